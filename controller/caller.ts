/**
 * Who is calling: the bearer token and the `jumpstarter-kind/namespace/name` metadata of every
 * controller call, checked as upstream does (spec/protocol.md 3.1), plus that the principal still
 * exists with the same uid (a deleted and recreated client's old tokens stop working).
 */
import type * as grpc from "@grpc/grpc-js";
import {
  AuthFailureThrottle,
  Code,
  JumpstarterError,
  KIND_METADATA_KEY,
  NAME_METADATA_KEY,
  NAMESPACE_METADATA_KEY,
} from "@jumpstarter/lib/wire";
import { type Authority, generationOf, type Principal, TokenError } from "./auth.ts";
import type { Store } from "./store/mod.ts";
import { unverifiedIssuer } from "./oidc.ts";
import { authenticateOidcCaller } from "./oidc_caller.ts";

export type CallerKind = "Client" | "Exporter" | "Admin";

/** An authenticated caller. */
export type Caller = Principal;

function single(metadata: grpc.Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  if (values.length > 1) {
    throw new JumpstarterError(`duplicate metadata: ${key}`, { code: Code.INVALID_ARGUMENT });
  }
  return values.length ? String(values[0]) : undefined;
}

function required(metadata: grpc.Metadata, key: string): string {
  const value = single(metadata, key);
  if (!value) {
    throw new JumpstarterError(`missing metadata: ${key}`, { code: Code.INVALID_ARGUMENT });
  }
  return value;
}

/**
 * Paces refused credentials. Calls reach the services through the TLS front's socket, so the
 * network peer is not known here: all callers share one pace (successful calls are never slowed).
 */
const failures = new AuthFailureThrottle();

/**
 * Authenticates a call and checks it comes from one of `allowed` kinds. Refused credentials are
 * logged and answered no faster than {@linkcode AuthFailureThrottle} allows.
 *
 * @throws {JumpstarterError} UNAUTHENTICATED, INVALID_ARGUMENT or PERMISSION_DENIED.
 */
export async function authenticate(
  metadata: grpc.Metadata,
  authority: Authority,
  store: Store,
  allowed: readonly CallerKind[],
): Promise<Caller> {
  try {
    return await check(metadata, authority, store, allowed);
  } catch (error) {
    if (error instanceof JumpstarterError && error.code === Code.UNAUTHENTICATED) {
      const claimed = [KIND_METADATA_KEY, NAMESPACE_METADATA_KEY, NAME_METADATA_KEY]
        .map((key) => String(metadata.get(key)[0] ?? "?").slice(0, 64)).join("/");
      await failures.refuse("a controller caller", `${error.message} (claims ${claimed})`);
    }
    throw error;
  }
}

async function check(
  metadata: grpc.Metadata,
  authority: Authority,
  store: Store,
  allowed: readonly CallerKind[],
): Promise<Caller> {
  const header = single(metadata, "authorization");
  if (!header) {
    throw new JumpstarterError("missing authorization token", { code: Code.UNAUTHENTICATED });
  }
  const match = /^bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new JumpstarterError("malformed authorization header", { code: Code.INVALID_ARGUMENT });
  }
  const kind = required(metadata, KIND_METADATA_KEY);
  const issuer = unverifiedIssuer(match[1]!);
  if (authority.oidc && issuer !== undefined && issuer !== authority.issuer) {
    const namespace = required(metadata, NAMESPACE_METADATA_KEY);
    const name = required(metadata, NAME_METADATA_KEY);
    const principal = await authenticateOidcCaller(authority.oidc, match[1]!, {
      kind,
      namespace,
      name,
    }, store);
    if (!allowed.includes(principal.kind)) {
      throw new JumpstarterError(`permission denied: ${principal.kind} may not call this`, {
        code: Code.PERMISSION_DENIED,
      });
    }
    return principal;
  }
  let principal: Principal;
  try {
    principal = await authority.verify(match[1]!);
  } catch (error) {
    const message = error instanceof TokenError ? error.message : "invalid token";
    throw new JumpstarterError(message, { code: Code.UNAUTHENTICATED, cause: error });
  }
  if (principal.kind !== kind) {
    throw new JumpstarterError(`permission denied: the token is not for the ${kind} kind`, {
      code: Code.PERMISSION_DENIED,
    });
  }
  if (!allowed.includes(principal.kind)) {
    throw new JumpstarterError(`permission denied: ${principal.kind} may not call this`, {
      code: Code.PERMISSION_DENIED,
    });
  }
  if (principal.kind === "Admin") return principal;
  const namespace = required(metadata, NAMESPACE_METADATA_KEY);
  const name = required(metadata, NAME_METADATA_KEY);
  if (principal.namespace !== namespace || principal.name !== name) {
    throw new JumpstarterError("permission denied: metadata does not match the token", {
      code: Code.PERMISSION_DENIED,
    });
  }
  const collection = principal.kind === "Client" ? store.clients : store.exporters;
  const record = await collection.get(namespace, name);
  if (!record || record.uid !== principal.uid) {
    throw new JumpstarterError(`${principal.kind.toLowerCase()} "${name}" no longer exists`, {
      code: Code.UNAUTHENTICATED,
    });
  }
  const current = "tokenGeneration" in record ? record.tokenGeneration ?? 0 : 0;
  if (generationOf(principal) !== current) {
    throw new JumpstarterError("token has been revoked: it was rotated", {
      code: Code.UNAUTHENTICATED,
    });
  }
  return principal;
}
