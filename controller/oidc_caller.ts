/**
 * A controller call made with an external OIDC token: the token names a user (see oidc.ts), and
 * the client named in the call's metadata must be bound to that user
 * (`jmp admin create client --oidc-username`), as upstream's Client `spec.username`.
 */
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import { type Principal, TokenError } from "./auth.ts";
import type { OidcVerifier } from "./oidc.ts";
import type { Store } from "./store/mod.ts";

/** Who the call claims to be, from its metadata. */
export interface ClaimedCaller {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Verifies an external token and returns the client it may act as.
 *
 * @throws {JumpstarterError} UNAUTHENTICATED for a token that is not valid, PERMISSION_DENIED
 *   when the user is not bound to the claimed client (or claims another kind).
 */
export async function authenticateOidcCaller(
  verifier: OidcVerifier,
  token: string,
  claimed: ClaimedCaller,
  store: Store,
): Promise<Principal> {
  let username: string;
  try {
    username = await verifier.verify(token);
  } catch (error) {
    const message = error instanceof TokenError ? error.message : "invalid token";
    throw new JumpstarterError(message, { code: Code.UNAUTHENTICATED, cause: error });
  }
  if (claimed.kind !== "Client") {
    throw new JumpstarterError(
      `permission denied: OIDC user "${username}" may only act as a client, not ${claimed.kind}`,
      { code: Code.PERMISSION_DENIED },
    );
  }
  const record = await store.clients.get(claimed.namespace, claimed.name);
  if (!record || record.oidcUsername !== username) {
    throw new JumpstarterError(
      `permission denied: OIDC user "${username}" is not bound to client ` +
        `"${claimed.namespace}/${claimed.name}"`,
      { code: Code.PERMISSION_DENIED },
    );
  }
  return { kind: "Client", namespace: record.namespace, name: record.name, uid: record.uid };
}
