/**
 * `jmp login`: gets an access token (and a refresh token) from an OIDC identity provider and
 * writes it into a client config, as upstream's `jmp login` does: refresh with the stored refresh
 * token when there is one, else `--token` (token exchange), `--username/--password` (password
 * grant), `--device-flow` (device code), or by default the browser (authorization code with PKCE
 * and a local callback). An existing config keeps everything but its tokens; a new one takes
 * `--endpoint`, `--namespace`, `--name` and the driver allow-list.
 */
import { Command, Option } from "commander";
import {
  API_VERSION,
  type ClientConfig,
  type ClientConfigDocument,
  clientConfigPath,
  currentClientAlias,
  loadClientConfig,
  pathExists,
  saveClientConfig,
  setCurrentClient,
} from "@jumpstarter/lib/config";
import { UsageError } from "../errors.ts";
import { canPrompt, collectValues, confirm } from "../prompt.ts";
import { validAlias } from "../config_selection.ts";
import { confirmInsecureTls, insecureTlsOptions, splitAllowList } from "./config_client.ts";
import { DEFAULT_CLIENT_ID, OidcClient, type OidcTokens, tokenIssuer } from "../oidc_client.ts";
import { authorizationCodeGrant, deviceAuthorizationGrant } from "../oidc_browser_flows.ts";

interface LoginFlags {
  endpoint?: string;
  namespace?: string;
  name?: string;
  issuer?: string;
  clientId: string;
  token?: string;
  username?: string;
  password?: string;
  connectorId?: string;
  callbackPort?: number;
  offlineAccess: boolean;
  deviceFlow?: boolean;
  allow: string;
  unsafe?: boolean;
  insecureTls?: boolean;
  insecureTlsConfig?: boolean;
  nointeractive?: boolean;
  client?: string;
  clientConfig?: string;
}

function portFlag(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new UsageError(`Invalid value for '--callback-port': ${value} is not in 0..65535`);
  }
  return port;
}

/** The callback port: `--callback-port`, else `JMP_OIDC_CALLBACK_PORT`, else 0 (any). */
function callbackPort(flags: LoginFlags): number {
  if (flags.callbackPort !== undefined) return flags.callbackPort;
  const env = Deno.env.get("JMP_OIDC_CALLBACK_PORT");
  if (env === undefined) return 0;
  if (!/^\d+$/.test(env) || Number(env) > 65535) {
    throw new UsageError(`Invalid JMP_OIDC_CALLBACK_PORT "${env}": must be a valid port`);
  }
  return Number(env);
}

/** Where to write, and the config there if it exists. */
async function target(
  flags: LoginFlags,
): Promise<{ path: string; alias?: string; existing?: ClientConfig }> {
  if (flags.client !== undefined && flags.clientConfig !== undefined) {
    throw new UsageError("only one of --client, --client-config should be specified");
  }
  if (flags.clientConfig !== undefined) {
    const path = flags.clientConfig;
    return (await pathExists(path)) ? { path, existing: await loadClientConfig(path) } : { path };
  }
  const alias = flags.client !== undefined
    ? validAlias(flags.client, "--client")
    : (await currentClientAlias()) ?? "default";
  const path = clientConfigPath(alias);
  return (await pathExists(path))
    ? { path, alias, existing: await loadClientConfig(path) }
    : { path, alias };
}

/** A new client config from the flags (asking for what is missing, when it may). */
async function newConfig(flags: LoginFlags, insecure: boolean): Promise<ClientConfigDocument> {
  const interactive = canPrompt(flags);
  const [namespace, name, endpoint] = await collectValues([
    {
      flag: "--namespace",
      given: flags.namespace,
      message: "Enter the Jumpstarter exporter namespace",
    },
    { flag: "--name", given: flags.name, message: "Enter the Jumpstarter exporter name" },
    {
      flag: "--endpoint",
      given: flags.endpoint,
      message: "Enter the Jumpstarter service endpoint",
    },
  ], interactive);
  let unsafe = flags.unsafe ?? false;
  if (flags.unsafe === undefined && interactive) {
    unsafe = await confirm("Allow unsafe driver client imports?");
  }
  if (!unsafe && flags.allow === "" && !interactive && flags.unsafe === undefined) {
    throw new UsageError("--allow TEXT or --unsafe is required in non-interactive mode.");
  }
  return {
    apiVersion: API_VERSION,
    kind: "ClientConfig",
    metadata: { namespace: namespace!, name: name! },
    endpoint: endpoint!,
    tls: { ca: "", insecure },
    token: "",
    "refresh_token": null,
    grpcOptions: {},
    drivers: { allow: splitAllowList(flags.allow), unsafe },
    shell: { "use_profiles": false },
    leases: { "acquisition_timeout": 7200, "dial_timeout": 60, "retry_timeout": 300 },
  };
}

/** The tokens the flags ask for (after a stored refresh token, tried first by the caller). */
function signIn(client: OidcClient, flags: LoginFlags): Promise<OidcTokens> {
  if (flags.token !== undefined) return client.tokenExchange(flags.token, flags.connectorId);
  if (flags.username !== undefined && flags.password !== undefined) {
    return client.password(flags.username, flags.password);
  }
  if (flags.deviceFlow || Deno.env.get("JMP_OIDC_DEVICE_FLOW") === "1") {
    return deviceAuthorizationGrant(client);
  }
  return authorizationCodeGrant(client, { port: callbackPort(flags) });
}

async function login(flags: LoginFlags): Promise<void> {
  const insecure = await confirmInsecureTls(flags);
  const { path, alias, existing } = await target(flags);
  let config: ClientConfigDocument = existing ?? await newConfig(flags, insecure);
  let issuer = flags.issuer;
  if (existing && issuer === undefined && existing.token) issuer = tokenIssuer(existing.token);
  if (issuer === undefined) {
    [issuer] = await collectValues(
      [{ flag: "--issuer", given: undefined, message: "Enter the OIDC issuer" }],
      canPrompt(flags),
    );
  }
  const stored = existing?.refresh_token ?? null;
  const client = new OidcClient(issuer!, {
    clientId: flags.clientId,
    offlineAccess: flags.offlineAccess || stored !== null,
  });
  const save = async (tokens: OidcTokens) => {
    config = {
      ...config,
      token: tokens.accessToken,
      "refresh_token": tokens.refreshToken ?? config.refresh_token,
    };
    await saveClientConfig(config, path);
  };
  if (stored && flags.token === undefined && flags.username === undefined) {
    try {
      await save(await client.refresh(stored));
      console.log("Refreshed access token using stored refresh token.");
      return;
    } catch (error) {
      if (flags.nointeractive) {
        throw new UsageError(`Failed to refresh access token: ${(error as Error).message}`);
      }
      console.error(`Stored refresh token not accepted (${(error as Error).message}); signing in`);
    }
  }
  await save(await signIn(client, flags));
  console.error(`Client configuration saved to ${path}`);
  if (alias !== undefined) {
    await setCurrentClient(alias);
    console.log(`Set '${alias}' as the default client.`);
  }
}

/** `jmp login`. */
export function loginCommand(): Command {
  const command = new Command("login")
    .description("Login into a jumpstarter instance (OIDC)")
    .option("-e, --endpoint <endpoint>", "Enter the Jumpstarter service endpoint.")
    .option("--namespace <ns>", "Enter the Jumpstarter exporter namespace.")
    .option("--name <name>", "Enter the Jumpstarter exporter name.")
    .option("--issuer <url>", "OIDC issuer")
    .option("--client-id <id>", "OIDC client id", DEFAULT_CLIENT_ID)
    .option("--token <token>", "OIDC access token")
    .option("--username <user>", "OIDC username")
    .option("--password <password>", "OIDC password")
    .option("--connector-id <id>", "OIDC token exchange connector id (Dex specific)")
    .option("--callback-port <port>", "Port for OIDC callback server (0=random port)", portFlag)
    .option("--offline-access", "Request offline_access scope (refresh token)", true)
    .option("--no-offline-access", "Do not request a refresh token")
    .option("--device-flow", "Use OAuth 2.0 Device Authorization Grant (RFC 8628)")
    .option("--allow <list>", "A comma-separated list of driver client packages to load.", "")
    .addOption(
      new Option("--unsafe", "Should all driver client packages be allowed to load (UNSAFE!).")
        .default(undefined),
    )
    .option("--nointeractive", "Disable interactive prompts")
    .option("--client <alias>", "the client config <home>/clients/ALIAS.yaml to write")
    .option("--client-config <path>", "the client config file to write")
    .action(async (flags: LoginFlags) => await login(flags));
  for (const option of insecureTlsOptions()) command.addOption(option);
  return command;
}
