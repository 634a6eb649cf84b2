/**
 * An OpenID Connect client for `jmp login`, `jmp auth` and the token refresh of a running
 * command: the issuer's discovery document, and the token endpoint's grants upstream's
 * `jmp login` uses (refresh token, password, token exchange, authorization code, device code).
 */
import * as jose from "jose";
import { JumpstarterError } from "@jumpstarter/lib/wire";

/** upstream's default `--client-id`, also what it refreshes with. */
export const DEFAULT_CLIENT_ID = "jumpstarter-cli";

/** How long to wait for one answer from the identity provider. */
const HTTP_TIMEOUT_MS = 30_000;

/** Tokens from the token endpoint. */
export interface OidcTokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
}

/** The endpoints of the issuer's discovery document that the grants use. */
export interface OidcEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
}

/** `iss` of a JWT, without verifying it. */
export function tokenIssuer(token: string): string {
  let issuer: unknown;
  try {
    issuer = jose.decodeJwt(token).iss;
  } catch (error) {
    throw new JumpstarterError(`the token is not a JWT: ${(error as Error).message}`);
  }
  if (typeof issuer !== "string") throw new JumpstarterError("the token names no issuer (iss)");
  return issuer;
}

/** Seconds until `token` expires (negative once it has); undefined without `exp` or for no JWT. */
export function tokenSecondsLeft(token: string, now = Date.now()): number | undefined {
  try {
    const exp = jose.decodeJwt(token).exp;
    return exp === undefined ? undefined : exp - now / 1000;
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode OidcClient}. */
export interface OidcClientOptions {
  clientId?: string;
  /** Ask for `offline_access` (a refresh token). */
  offlineAccess?: boolean;
}

/** One issuer, as one OAuth client. */
export class OidcClient {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
  #endpoints: Promise<OidcEndpoints> | undefined;

  constructor(issuer: string, options: OidcClientOptions = {}) {
    this.issuer = issuer;
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.scope = options.offlineAccess ? "openid profile offline_access" : "openid profile";
  }

  /** The issuer's endpoints, read once from its discovery document. */
  endpoints(): Promise<OidcEndpoints> {
    this.#endpoints ??= this.#discover();
    return this.#endpoints;
  }

  async #discover(): Promise<OidcEndpoints> {
    const url = `${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const document = await this.#json(url, undefined, "the discovery document");
    const endpoint = (key: string) => {
      const value = document[key];
      return typeof value === "string" ? value : undefined;
    };
    const authorizationEndpoint = endpoint("authorization_endpoint");
    const tokenEndpoint = endpoint("token_endpoint");
    if (!authorizationEndpoint || !tokenEndpoint) {
      throw new JumpstarterError(
        `the discovery document of ${this.issuer} lacks authorization_endpoint or token_endpoint`,
      );
    }
    const device = endpoint("device_authorization_endpoint");
    return {
      authorizationEndpoint,
      tokenEndpoint,
      ...(device ? { deviceAuthorizationEndpoint: device } : {}),
    };
  }

  /** Exchanges a refresh token for new tokens. */
  refresh(refreshToken: string): Promise<OidcTokens> {
    return this.grant("refresh token", {
      "grant_type": "refresh_token",
      "refresh_token": refreshToken,
    });
  }

  /** The resource owner password grant (`jmp login --username --password`). */
  password(username: string, password: string): Promise<OidcTokens> {
    return this.grant("password", {
      "grant_type": "password",
      username,
      password,
      scope: this.scope,
    });
  }

  /** Exchanges an ID token of another client for our tokens (`jmp login --token`, as Dex). */
  tokenExchange(token: string, connectorId?: string): Promise<OidcTokens> {
    return this.grant("token exchange", {
      "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
      "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
      "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
      "subject_token": token,
      scope: this.scope,
      ...(connectorId ? { "connector_id": connectorId } : {}),
    });
  }

  /** Posts a grant to the token endpoint; `what` names it in errors. */
  async grant(what: string, params: Record<string, string>): Promise<OidcTokens> {
    const { tokenEndpoint } = await this.endpoints();
    const body = await this.#json(
      tokenEndpoint,
      new URLSearchParams({ "client_id": this.clientId, ...params }),
      `the ${what} grant`,
    );
    if (typeof body.access_token !== "string") {
      throw new JumpstarterError(`the ${what} grant of ${this.issuer} returned no access_token`);
    }
    return {
      accessToken: body.access_token,
      ...(typeof body.refresh_token === "string" ? { refreshToken: body.refresh_token } : {}),
      ...(typeof body.id_token === "string" ? { idToken: body.id_token } : {}),
    };
  }

  /**
   * GETs (or POSTs `form` to) `url` and returns its JSON object; an OAuth error answer is
   * reported with its `error` and `error_description`, naming `what`.
   */
  async #json(
    url: string,
    form: URLSearchParams | undefined,
    what: string,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: form ? "POST" : "GET",
        headers: { accept: "application/json" },
        ...(form ? { body: form } : {}),
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
    } catch (error) {
      throw new JumpstarterError(`cannot reach ${url} for ${what}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const object = typeof body === "object" && body !== null && !Array.isArray(body)
      ? body as Record<string, unknown>
      : undefined;
    if (!response.ok || !object) {
      const reason = object?.error
        ? `${object.error}${object.error_description ? `: ${object.error_description}` : ""}`
        : `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
      throw new OidcError(`${what} failed at ${url}: ${reason}`, String(object?.error ?? ""));
    }
    return object;
  }
}

/** A refusal by the identity provider; `oauthError` is its OAuth `error` (empty if none). */
export class OidcError extends JumpstarterError {
  readonly oauthError: string;
  constructor(message: string, oauthError: string) {
    super(message);
    this.name = "OidcError";
    this.oauthError = oauthError;
  }
}
