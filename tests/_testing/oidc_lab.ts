/**
 * The OIDC tests' identity provider: starts tests/_testing/oidc_provider.ts in a child process,
 * writes the controller's AuthenticationConfiguration for it, and obtains tokens from it the way
 * upstream's `jmp login` does by default (authorization code with PKCE, signed in by the scripted
 * browser).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import * as jose from "jose";
import { DENO_CONFIG, spawnProgram, withTimeout } from "../_helpers.ts";
import type { BackgroundJmp } from "../_helpers.ts";
import { signIn } from "./oidc_browser.ts";

const PROVIDER_MAIN = fileURLToPath(new URL("./oidc_provider.ts", import.meta.url));

/** The client id the provider registers (upstream `jmp login`'s default). */
export const CLIENT_ID = "jumpstarter-cli";
/** The username claim and prefix the tests' AuthenticationConfiguration maps. */
export const USERNAME_CLAIM = "preferred_username";
export const USERNAME_PREFIX = "oidc:";

/** A running provider. */
export interface Provider extends AsyncDisposable {
  readonly issuer: string;
  readonly process: BackgroundJmp;
}

/**
 * Starts the provider; its access tokens live `accessTokenSeconds` and carry `audience`; `users`
 * (name to password) may use the password grant.
 */
export async function startProvider(
  options: { accessTokenSeconds?: number; audience?: string; users?: Record<string, string> } = {},
): Promise<Provider> {
  const process = spawnProgram(Deno.execPath(), [
    "run",
    "-A",
    "--quiet",
    "--config",
    DENO_CONFIG,
    PROVIDER_MAIN,
    JSON.stringify({
      accessTokenSeconds: options.accessTokenSeconds ?? 600,
      audience: options.audience ?? "jumpstarter",
      clientId: CLIENT_ID,
      users: options.users ?? {},
    }),
  ], { timeoutMs: 600_000 });
  let line: string;
  try {
    line = await withTimeout(process.firstLine, 30_000, "the OIDC provider to listen");
  } catch (error) {
    await process.stop("SIGKILL");
    throw new Error(`${(error as Error).message}\n${process.printed().stderr}`);
  }
  const { issuer } = JSON.parse(line) as { issuer: string };
  return {
    issuer,
    process,
    async [Symbol.asyncDispose]() {
      await process.stop("SIGTERM");
    },
  };
}

/** An AuthenticationConfiguration trusting `issuer` for `audience`, as upstream writes it. */
export function authConfigYaml(issuer: string, audience = "jumpstarter"): string {
  return [
    "apiVersion: jumpstarter.dev/v1alpha1",
    "kind: AuthenticationConfiguration",
    "jwt:",
    "  - issuer:",
    `      url: ${issuer}`,
    "      audiences:",
    `        - ${audience}`,
    "    claimMappings:",
    "      username:",
    `        claim: ${USERNAME_CLAIM}`,
    `        prefix: "${USERNAME_PREFIX}"`,
    "",
  ].join("\n");
}

/** Tokens from the provider's token endpoint. */
export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
}

/** Signs `username` in with authorization code + PKCE and exchanges the code for tokens. */
export async function loginWithCode(issuer: string, username: string): Promise<Tokens> {
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const verifier = jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = jose.base64url.encode(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const redirectUri = "http://127.0.0.1:1/callback";
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    "client_id": CLIENT_ID,
    "response_type": "code",
    "redirect_uri": redirectUri,
    scope: "openid profile offline_access",
    "code_challenge": challenge,
    "code_challenge_method": "S256",
    state: "s",
    prompt: "consent",
  }).toString();
  const callback = await signIn(authorize.href, username, redirectUri);
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`no code in the callback ${callback.href}`);
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    body: new URLSearchParams({
      "grant_type": "authorization_code",
      code,
      "redirect_uri": redirectUri,
      "client_id": CLIENT_ID,
      "code_verifier": verifier,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`token endpoint: ${response.status} ${JSON.stringify(body)}`);
  return {
    accessToken: body.access_token,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    ...(body.id_token ? { idToken: body.id_token } : {}),
  };
}
