/**
 * Keeps an OIDC access token fresh for as long as a command's controller connection lives
 * (`jmp shell` holding a lease for hours): shortly before the token expires, the stored refresh
 * token gets a new one, which the connection sends from its next call on and which is written
 * back to the client config (as `jmp login` would). Calls in flight are not interrupted.
 */
import type { ClientConfig } from "@jumpstarter/lib/config";
import { saveClientConfig } from "@jumpstarter/lib/config";
import type { ControllerIdentity } from "@jumpstarter/lib/client";
import { log } from "./logging.ts";
import { OidcClient, tokenIssuer, tokenSecondsLeft } from "./oidc_client.ts";

/** Refresh this long before expiry: a fifth of what is left, at least 1 s, at most a minute. */
function marginSeconds(left: number): number {
  return Math.min(60, Math.max(1, left / 5));
}

/** After a failed refresh, try again this often until the token has expired. */
const RETRY_SECONDS = 5;

/**
 * Refreshes `identity.token` before it expires, while the returned handle is not disposed.
 * Does nothing for a config without a refresh token or a token without `exp` (our controller's
 * own tokens). An already expired token is refreshed before this returns.
 */
export async function keepTokenFresh(
  config: ClientConfig,
  identity: ControllerIdentity,
): Promise<Disposable> {
  let refreshToken = config.refresh_token;
  if (!refreshToken || tokenSecondsLeft(identity.token) === undefined) {
    return { [Symbol.dispose]: () => {} };
  }
  const client = new OidcClient(tokenIssuer(identity.token), { offlineAccess: true });
  let document = config;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const refresh = async () => {
    const tokens = await client.refresh(refreshToken!);
    identity.token = tokens.accessToken;
    refreshToken = tokens.refreshToken ?? refreshToken;
    document = { ...document, token: tokens.accessToken, "refresh_token": refreshToken };
    if (document.path) await saveClientConfig(document, document.path);
    log(
      "DEBUG",
      `access token refreshed (${Math.round(tokenSecondsLeft(tokens.accessToken) ?? 0)} s)`,
    );
  };
  const schedule = (seconds: number) => {
    if (stopped) return;
    const handle = setTimeout(async () => {
      try {
        await refresh();
        const left = tokenSecondsLeft(identity.token) ?? 0;
        schedule(left - marginSeconds(left));
      } catch (error) {
        const left = tokenSecondsLeft(identity.token) ?? 0;
        log(
          "WARNING",
          `cannot refresh the access token (${Math.round(left)} s left): ${
            (error as Error).message
          }`,
        );
        if (left > 0) schedule(Math.min(RETRY_SECONDS, left));
      }
    }, Math.max(0, seconds) * 1000);
    // a pending refresh never keeps a finished command alive
    Deno.unrefTimer(handle);
    timer = handle;
  };

  const left = tokenSecondsLeft(identity.token)!;
  if (left <= marginSeconds(left)) {
    await refresh();
  }
  const now = tokenSecondsLeft(identity.token) ?? 0;
  schedule(now - marginSeconds(now));
  return {
    [Symbol.dispose]: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
