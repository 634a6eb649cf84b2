/**
 * `jmp auth status|refresh`: the client config's access token (expiry, subject, issuer) and
 * renewing it with the stored refresh token, as upstream's `jmp auth`.
 */
import { Command } from "commander";
import * as jose from "jose";
import { saveClientConfig } from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import {
  addClientSelectorOptions,
  type ClientSelector,
  resolveClientConfig,
} from "../config_selection.ts";
import { OidcClient, tokenIssuer } from "../oidc_client.ts";

/** Below this many seconds left, the status says the token expires soon (upstream: 5 min). */
const EXPIRY_WARNING_SECONDS = 300;

function duration(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${rest}s`;
  return `${rest}s`;
}

function utc(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

async function status(flags: ClientSelector & { verbose?: boolean }): Promise<void> {
  const config = await resolveClientConfig(flags);
  if (!config.token) {
    console.log("No token found in config");
    return;
  }
  let payload: jose.JWTPayload;
  try {
    payload = jose.decodeJwt(config.token);
  } catch (error) {
    console.log(`Failed to decode token: ${(error as Error).message}`);
    return;
  }
  if (payload.exp === undefined) {
    console.log("Token has no expiry claim");
    return;
  }
  const remaining = payload.exp - Date.now() / 1000;
  console.log(`Token expiry: ${utc(payload.exp)}`);
  const hint = "Run 'jmp login' to refresh your credentials.";
  if (remaining < 0) console.log(`Status: EXPIRED (${duration(remaining)} ago)\n${hint}`);
  else if (remaining < EXPIRY_WARNING_SECONDS) {
    console.log(`Status: EXPIRING SOON (${duration(remaining)} remaining)\n${hint}`);
  } else console.log(`Status: Valid (${duration(remaining)} remaining)`);
  if (payload.sub) console.log(`Subject: ${payload.sub}`);
  if (payload.iss) console.log(`Issuer: ${payload.iss}`);
  if (flags.verbose) {
    if (typeof payload.iat === "number") console.log(`Issued at: ${utc(payload.iat)}`);
    if (typeof payload.auth_time === "number") console.log(`Auth time: ${utc(payload.auth_time)}`);
    console.log(`Refresh token stored: ${config.refresh_token ? "yes" : "no"}`);
  }
}

async function refresh(flags: ClientSelector): Promise<void> {
  const config = await resolveClientConfig(flags);
  if (!config.refresh_token) {
    throw new JumpstarterError("No refresh token found. Run 'jmp login --offline-access'.");
  }
  if (!config.token) {
    throw new JumpstarterError("No access token found. Run 'jmp login --offline-access'.");
  }
  if (!config.path) throw new JumpstarterError("the client config was not read from a file");
  const client = new OidcClient(tokenIssuer(config.token), { offlineAccess: true });
  const tokens = await client.refresh(config.refresh_token);
  await saveClientConfig({
    ...config,
    token: tokens.accessToken,
    "refresh_token": tokens.refreshToken ?? config.refresh_token,
  }, config.path);
  console.log("Access token refreshed.");
}

/** `jmp auth`. */
export function authCommand(): Command {
  return new Command("auth")
    .description("Authentication and token management commands.")
    .addCommand(
      addClientSelectorOptions(new Command("status"))
        .description("Display token status and expiry information.")
        .option("-v, --verbose", "Show additional token details")
        .action(async (flags: ClientSelector & { verbose?: boolean }) => await status(flags)),
    )
    .addCommand(
      addClientSelectorOptions(new Command("refresh"))
        .description("Refresh the access token using a stored refresh token.")
        .action(async (flags: ClientSelector) => await refresh(flags)),
    );
}
