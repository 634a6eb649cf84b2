/**
 * Verifies access tokens of trusted external OIDC issuers (see oidc_config.ts): the issuer's
 * discovery document names its JWKS, whose keys must have signed the token; the audience, expiry
 * and claim rules are checked, and the identity is the username claim with its prefix, as a
 * Kubernetes JWT authenticator maps it.
 */
import * as jose from "jose";
import { TokenError } from "./auth.ts";
import type { AuthConfig, JwtAuthenticator } from "./oidc_config.ts";

/** Signature algorithms accepted from external issuers (asymmetric only). */
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];

/** How long to wait for an issuer's discovery document or keys. */
const FETCH_TIMEOUT_MS = 10_000;

/** `iss` of a token, read without verifying it; undefined when it is no JWT. */
export function unverifiedIssuer(token: string): string | undefined {
  try {
    const iss = jose.decodeJwt(token).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}

class TrustedIssuer {
  readonly config: JwtAuthenticator;
  readonly #fetch: typeof fetch;
  #keys: Promise<jose.JWTVerifyGetKey> | undefined;

  constructor(config: JwtAuthenticator) {
    this.config = config;
    const ca = config.issuer.certificateAuthority;
    const client = ca ? Deno.createHttpClient({ caCerts: [ca] }) : undefined;
    this.#fetch = (input, init) =>
      fetch(input, {
        ...init,
        ...(client ? { client } : {}),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
  }

  /** The issuer's key set, from its discovery document (read once; retried after a failure). */
  keys(): Promise<jose.JWTVerifyGetKey> {
    this.#keys ??= this.#discover().catch((error) => {
      this.#keys = undefined;
      throw error;
    });
    return this.#keys;
  }

  async #discover(): Promise<jose.JWTVerifyGetKey> {
    const issuer = this.config.issuer;
    const url = issuer.discoveryURL ??
      `${issuer.url.replace(/\/$/, "")}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; "jwks_uri"?: unknown };
    try {
      const response = await this.#fetch(url);
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      document = await response.json();
    } catch (error) {
      throw new TokenError(
        `cannot read the discovery document of issuer "${issuer.url}" (${url}): ${
          (error as Error).message
        }`,
      );
    }
    if (document.issuer !== issuer.url) {
      throw new TokenError(
        `the discovery document of "${issuer.url}" names another issuer: "${document.issuer}"`,
      );
    }
    if (typeof document.jwks_uri !== "string") {
      throw new TokenError(`the discovery document of "${issuer.url}" has no jwks_uri`);
    }
    return jose.createRemoteJWKSet(new URL(document.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      [jose.customFetch]: this.#fetch,
    });
  }
}

/** The external issuers the controller trusts. */
export class OidcVerifier {
  readonly #issuers = new Map<string, TrustedIssuer>();

  constructor(config: AuthConfig) {
    for (const entry of config.jwt) this.#issuers.set(entry.issuer.url, new TrustedIssuer(entry));
  }

  /** Whether `issuer` is one of the trusted issuers. */
  trusts(issuer: string): boolean {
    return this.#issuers.has(issuer);
  }

  /** The issuer URLs, for messages. */
  get issuers(): string[] {
    return [...this.#issuers.keys()];
  }

  /**
   * Verifies `token` and returns its username (prefix + claim).
   *
   * @throws {TokenError} for an untrusted issuer, a bad signature, another audience, an expired
   *   token (message `token is expired`, as for our own tokens), a failed claim rule or a missing
   *   username claim.
   */
  async verify(token: string): Promise<string> {
    const iss = unverifiedIssuer(token);
    const issuer = iss === undefined ? undefined : this.#issuers.get(iss);
    if (!issuer) {
      throw new TokenError(
        iss === undefined ? "invalid token: not a JWT" : `token issuer "${iss}" is not trusted`,
      );
    }
    const { url, audiences } = issuer.config.issuer;
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, await issuer.keys(), {
        issuer: url,
        audience: audiences,
        algorithms: ALGORITHMS,
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof jose.errors.JWTExpired) {
        throw new TokenError("token is expired", { cause: error });
      }
      if (error instanceof jose.errors.JWTClaimValidationFailed && error.claim === "aud") {
        throw new TokenError(
          `token audience ${JSON.stringify(error.payload.aud)} is not accepted for issuer ` +
            `"${url}" (expected one of ${audiences.map((a) => `"${a}"`).join(", ")})`,
          { cause: error },
        );
      }
      throw new TokenError(`invalid token from "${url}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    for (const rule of issuer.config.claimValidationRules) {
      const value = payload[rule.claim];
      const ok = Array.isArray(value)
        ? value.includes(rule.requiredValue)
        : value === rule.requiredValue;
      if (!ok) {
        throw new TokenError(`token claim "${rule.claim}" must be "${rule.requiredValue}"`);
      }
    }
    const { claim, prefix } = issuer.config.username;
    const value = payload[claim];
    if (typeof value !== "string" || value === "") {
      throw new TokenError(`token from "${url}" has no "${claim}" claim (its username)`);
    }
    return prefix + value;
  }
}
