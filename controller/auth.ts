/**
 * Tokens: client and exporter credentials (ES256 JWTs signed by the controller) and router
 * tokens (HS256, short-lived, `sub` = the stream id), with upstream's issuers and audiences for
 * router tokens so either side of a tunnel can be an upstream peer.
 */
import * as jose from "jose";
import type { OidcVerifier } from "./oidc.ts";

export const ROUTER_ISSUER = "https://jumpstarter.dev/stream";
export const ROUTER_AUDIENCE = "https://jumpstarter.dev/router";
export const CONTROLLER_AUDIENCE = "jumpstarter";
export const ROUTER_TOKEN_SECONDS = 30 * 60;

/** Who a credential token speaks for. */
export type Principal =
  | {
    kind: "Client" | "Exporter";
    namespace: string;
    name: string;
    uid: string;
    /**
     * Which rotation of the principal's credential the token belongs to (claim `gen`, absent
     * for 0): rotating bumps the record's generation, revoking every older token.
     */
    generation?: number;
  }
  | { kind: "Admin"; name: string };

/** The token generation a principal's token carries (0 for admins and first tokens). */
export function generationOf(principal: Principal): number {
  return principal.kind === "Admin" ? 0 : principal.generation ?? 0;
}

/** The controller's signing material, persisted in its state directory. */
export interface KeyMaterial {
  /** ES256 private key (JWK) for credential tokens. */
  signingKey: jose.JWK;
  /** Shared secret (base64url) for router tokens. */
  routerSecret: string;
  issuer: string;
}

/** Creates fresh key material. */
export async function generateKeyMaterial(issuer: string): Promise<KeyMaterial> {
  const { privateKey } = await jose.generateKeyPair("ES256", { extractable: true });
  const secret = crypto.getRandomValues(new Uint8Array(32));
  return {
    signingKey: await jose.exportJWK(privateKey),
    routerSecret: jose.base64url.encode(secret),
    issuer,
  };
}

function subjectOf(principal: Principal): string {
  return principal.kind === "Admin"
    ? `admin:${principal.name}`
    : `${principal.kind.toLowerCase()}:${principal.namespace}:${principal.name}:${principal.uid}`;
}

function principalOf(subject: string): Principal | undefined {
  const parts = subject.split(":");
  if (parts[0] === "admin" && parts.length === 2) return { kind: "Admin", name: parts[1]! };
  if (parts.length !== 4) return undefined;
  const [kind, namespace, name, uid] = parts as [string, string, string, string];
  if (kind === "client") return { kind: "Client", namespace, name, uid };
  if (kind === "exporter") return { kind: "Exporter", namespace, name, uid };
  return undefined;
}

/** Raised for any token that must not be accepted; `reason` is safe to show the caller. */
export class TokenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TokenError";
  }
}

/** Signs and verifies the controller's tokens. */
export class Authority {
  readonly issuer: string;
  /** External issuers trusted besides this authority (`jmp-controller --auth-config`). */
  oidc: OidcVerifier | undefined;
  readonly #privateKey: CryptoKey;
  readonly #publicKey: CryptoKey;
  readonly #routerKey: Uint8Array;

  private constructor(
    issuer: string,
    privateKey: CryptoKey,
    publicKey: CryptoKey,
    router: Uint8Array,
  ) {
    this.issuer = issuer;
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.#routerKey = router;
  }

  static async create(material: KeyMaterial): Promise<Authority> {
    const privateKey = await jose.importJWK(material.signingKey, "ES256") as CryptoKey;
    const { d: _d, ...publicJwk } = material.signingKey;
    const publicKey = await jose.importJWK(publicJwk, "ES256") as CryptoKey;
    return new Authority(
      material.issuer,
      privateKey,
      publicKey,
      jose.base64url.decode(material.routerSecret),
    );
  }

  /** A credential token for a client, exporter or admin (default lifetime 365 days). */
  issue(principal: Principal, lifetimeSeconds = 365 * 24 * 3600): Promise<string> {
    const generation = generationOf(principal);
    return new jose.SignJWT(generation ? { gen: generation } : {})
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(this.issuer)
      .setAudience(CONTROLLER_AUDIENCE)
      .setSubject(subjectOf(principal))
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.#privateKey);
  }

  /**
   * Verifies a credential token.
   *
   * @throws {TokenError} for a bad signature, another issuer or audience, an expired token
   *   (message contains `token is expired`, which upstream clients look for) or a bad subject.
   */
  async verify(token: string): Promise<Principal> {
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, this.#publicKey, {
        issuer: this.issuer,
        audience: CONTROLLER_AUDIENCE,
        algorithms: ["ES256"],
      }));
    } catch (error) {
      if (error instanceof jose.errors.JWTExpired) {
        throw new TokenError("token is expired", { cause: error });
      }
      throw new TokenError(`invalid token: ${(error as Error).message}`, { cause: error });
    }
    const principal = principalOf(payload.sub ?? "");
    if (!principal) throw new TokenError(`invalid token subject "${payload.sub}"`);
    const generation = payload.gen ?? 0;
    if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
      throw new TokenError("invalid token generation");
    }
    if (principal.kind !== "Admin" && generation > 0) principal.generation = generation;
    return principal;
  }

  /** A router token for one stream (both tunnel ends present the same token). */
  routerToken(streamId: string = crypto.randomUUID()): Promise<string> {
    return new jose.SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ROUTER_ISSUER)
      .setAudience(ROUTER_AUDIENCE)
      .setSubject(streamId)
      .setIssuedAt()
      .setNotBefore("0s")
      .setJti(crypto.randomUUID())
      .setExpirationTime(`${ROUTER_TOKEN_SECONDS}s`)
      .sign(this.#routerKey);
  }

  /**
   * Verifies a router token and returns its stream id.
   *
   * @throws {TokenError} when it is not valid.
   */
  async verifyRouterToken(token: string): Promise<string> {
    try {
      const { payload } = await jose.jwtVerify(token, this.#routerKey, {
        issuer: ROUTER_ISSUER,
        audience: ROUTER_AUDIENCE,
        algorithms: ["HS256", "HS384", "HS512"],
        requiredClaims: ["exp", "iat", "sub"],
      });
      return payload.sub!;
    } catch (error) {
      throw new TokenError(`invalid router token: ${(error as Error).message}`, { cause: error });
    }
  }
}
