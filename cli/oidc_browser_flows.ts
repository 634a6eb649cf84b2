/**
 * The two `jmp login` grants that need the user's browser: authorization code with PKCE and a
 * local callback server (the default), and the device authorization grant (RFC 8628,
 * `--device-flow`) for hosts whose browser cannot reach a local port.
 */
import * as jose from "jose";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { type OidcClient, OidcError, type OidcTokens } from "./oidc_client.ts";

/** How long a sign-in may take in the browser. */
const SIGN_IN_TIMEOUT_MS = 10 * 60_000;

function randomToken(): string {
  return jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return jose.base64url.encode(new Uint8Array(digest));
}

/**
 * Signs in through the browser: serves `http://localhost:PORT/callback` (`port` 0 picks one),
 * prints the authorization URL, and exchanges the code the browser brings back.
 */
export async function authorizationCodeGrant(
  client: OidcClient,
  options: { port: number; print?: (line: string) => void },
): Promise<OidcTokens> {
  const { authorizationEndpoint } = await client.endpoints();
  const verifier = randomToken();
  const state = randomToken();
  const callback = Promise.withResolvers<URL>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      onListen: () => {},
    }, (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/callback") return new Response("Not found", { status: 404 });
      callback.resolve(url);
      return new Response("Login successful, you can close this page");
    });
  } catch (error) {
    throw new JumpstarterError(
      `Failed to start callback server on port ${options.port}: ${(error as Error).message}`,
    );
  }
  try {
    const redirectUri = `http://localhost:${server.addr.port}/callback`;
    const authorize = new URL(authorizationEndpoint);
    for (
      const [key, value] of Object.entries({
        "response_type": "code",
        "client_id": client.clientId,
        "redirect_uri": redirectUri,
        scope: client.scope,
        state,
        "code_challenge": await s256(verifier),
        "code_challenge_method": "S256",
      })
    ) authorize.searchParams.set(key, value);
    (options.print ?? console.log)(`Please open the URL in browser:  ${authorize.href}`);
    const timeout = AbortSignal.timeout(SIGN_IN_TIMEOUT_MS);
    const timedOut = new Promise<never>((_, reject) =>
      timeout.addEventListener(
        "abort",
        () => reject(new JumpstarterError("no sign-in reached the callback within 10 minutes")),
      )
    );
    const answer = await Promise.race([callback.promise, timedOut]);
    const error = answer.searchParams.get("error");
    if (error) {
      const description = answer.searchParams.get("error_description");
      throw new OidcError(
        `sign-in failed: ${error}${description ? `: ${description}` : ""}`,
        error,
      );
    }
    if (answer.searchParams.get("state") !== state) {
      throw new JumpstarterError("sign-in failed: the callback's state does not match");
    }
    const code = answer.searchParams.get("code");
    if (!code) throw new JumpstarterError("sign-in failed: the callback carries no code");
    return await client.grant("authorization code", {
      "grant_type": "authorization_code",
      code,
      "redirect_uri": redirectUri,
      "code_verifier": verifier,
    });
  } finally {
    await server.shutdown();
  }
}

/** The device authorization grant: prints where to sign in, then polls until it is done. */
export async function deviceAuthorizationGrant(
  client: OidcClient,
  options: { print?: (line: string) => void } = {},
): Promise<OidcTokens> {
  const print = options.print ?? console.log;
  const { deviceAuthorizationEndpoint } = await client.endpoints();
  if (!deviceAuthorizationEndpoint) {
    throw new JumpstarterError(
      "The identity provider does not support Device Authorization Grant (RFC 8628): its " +
        "discovery document has no device_authorization_endpoint. Use another login method.",
    );
  }
  const response = await fetch(deviceAuthorizationEndpoint, {
    method: "POST",
    body: new URLSearchParams({ "client_id": client.clientId, scope: client.scope }),
    signal: AbortSignal.timeout(30_000),
  });
  const device = await response.json().catch(() => ({}));
  if (!response.ok || typeof device.device_code !== "string") {
    throw new JumpstarterError(
      `Device authorization request failed (HTTP ${response.status}): ${JSON.stringify(device)}`,
    );
  }
  if (typeof device.verification_uri_complete === "string") {
    print(
      `To sign in, open the following URL in your browser:\n\n  ${device.verification_uri_complete}\n`,
    );
  } else {
    print(
      `To sign in, open the following URL in your browser:\n\n  ${device.verification_uri}\n\n` +
        `Then enter the code: ${device.user_code}\n`,
    );
  }
  print("Waiting for authentication...");
  let interval = Number(device.interval ?? 5);
  const deadline = Date.now() + Number(device.expires_in ?? 600) * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    try {
      return await client.grant("device code", {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device.device_code,
      });
    } catch (error) {
      if (!(error instanceof OidcError)) throw error;
      if (error.oauthError === "authorization_pending") continue;
      if (error.oauthError === "slow_down") {
        interval += 5;
        continue;
      }
      throw error;
    }
  }
  throw new JumpstarterError("Device authorization timed out waiting for user approval.");
}
