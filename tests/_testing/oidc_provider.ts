/**
 * A real OpenID Connect provider (npm `oidc-provider`) for the OIDC tests, run as a child process:
 *
 *     deno run -A tests/_testing/oidc_provider.ts '{"accessTokenSeconds": 10, ...}'
 *
 * It prints one JSON line `{"issuer": "http://localhost:PORT"}` on stdout once it listens. Access
 * tokens are JWTs (audience `audience`) carrying `preferred_username`; refresh tokens are always
 * issued. Besides its own grants (authorization code with PKCE, device code, refresh token) it
 * accepts the password grant for `users` and the token-exchange grant for one of its own ID
 * tokens, as Dex does for `jmp login --username/--password` and `--token`.
 *
 * @module
 */
import http from "node:http";
import Provider, { errors } from "oidc-provider";

interface Options {
  /** Access token lifetime. */
  accessTokenSeconds: number;
  /** `aud` of access tokens (what the controller's AuthenticationConfiguration expects). */
  audience: string;
  /** Password-grant users: name to password. */
  users: Record<string, string>;
  clientId: string;
}

const PASSWORD_GRANT = "password";
const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const SCOPES = "openid profile offline_access";

const options: Options = {
  accessTokenSeconds: 60,
  audience: "jumpstarter",
  users: {},
  clientId: "jumpstarter-cli",
  ...JSON.parse(Deno.args[0] ?? "{}"),
};

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;
const issuer = `http://127.0.0.1:${port}`;
// the resource server whose JWT access tokens the controller verifies
const resource = `urn:jumpstarter:${options.audience}`;
const resourceInfo = {
  scope: SCOPES,
  audience: options.audience,
  accessTokenFormat: "jwt" as const,
  accessTokenTTL: options.accessTokenSeconds,
  jwt: { sign: { alg: "ES256" as const } },
};

const provider = new Provider(issuer, {
  clients: [{
    "client_id": options.clientId,
    "application_type": "native",
    "token_endpoint_auth_method": "none",
    "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
    "grant_types": [
      "authorization_code",
      "refresh_token",
      DEVICE_GRANT,
      PASSWORD_GRANT,
      TOKEN_EXCHANGE_GRANT,
    ],
    "response_types": ["code"],
    "id_token_signed_response_alg": "ES256",
  }],
  jwks: { keys: [await generateSigningKey()] },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => resourceInfo,
    },
  },
  scopes: ["openid", "profile", "offline_access"],
  ttl: {
    AccessToken: options.accessTokenSeconds,
    IdToken: 3600,
    RefreshToken: 24 * 3600,
    Grant: 24 * 3600,
    Session: 24 * 3600,
    Interaction: 3600,
    AuthorizationCode: 600,
    DeviceCode: 600,
  },
  findAccount: (_ctx: unknown, id: string) => ({
    accountId: id,
    claims: () => ({ sub: id, "preferred_username": id }),
  }),
  extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) =>
    token.accountId ? { "preferred_username": token.accountId } : undefined,
  issueRefreshToken: () => true,
  pkce: { required: () => true },
  // the devInteractions consent page is the only one; grant everything asked for
  loadExistingGrant: async (ctx: ProviderContext) => {
    const grantId = ctx.oidc.result?.consent?.grantId ??
      ctx.oidc.session?.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return await ctx.oidc.provider.Grant.find(grantId);
    return undefined;
  },
});
provider.proxy = false;

// deno-lint-ignore no-explicit-any
type ProviderContext = any;

/** Issues an access token (a JWT for our resource) and a refresh token for `accountId`. */
async function issueFor(ctx: ProviderContext, accountId: string, gty: string) {
  const { client } = ctx.oidc;
  const grant = new provider.Grant({ accountId, clientId: client.clientId });
  grant.addOIDCScope(SCOPES);
  grant.addResourceScope(resource, SCOPES);
  const grantId = await grant.save();
  const accessToken = new provider.AccessToken({
    accountId,
    client,
    grantId,
    gty,
    scope: SCOPES,
  });
  accessToken.resourceServer = new provider.ResourceServer(resource, resourceInfo);
  const refreshToken = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    gty,
    scope: SCOPES,
    resource,
    rotations: 0,
  });
  ctx.body = {
    "access_token": await accessToken.save(),
    "token_type": "Bearer",
    "expires_in": accessToken.expiration,
    "refresh_token": await refreshToken.save(),
    scope: SCOPES,
  };
}

provider.registerGrantType(PASSWORD_GRANT, async (ctx: ProviderContext) => {
  const { username, password } = ctx.oidc.params;
  if (!username || options.users[username] === undefined || options.users[username] !== password) {
    throw new errors.InvalidGrant("invalid username or password");
  }
  await issueFor(ctx, username, PASSWORD_GRANT);
}, ["username", "password", "scope"]);

provider.registerGrantType(TOKEN_EXCHANGE_GRANT, async (ctx: ProviderContext) => {
  const params = ctx.oidc.params;
  if (params.subject_token_type !== "urn:ietf:params:oauth:token-type:id_token") {
    throw new errors.InvalidRequest("subject_token_type must be an id_token");
  }
  let accountId: string;
  try {
    const { payload } = await provider.IdToken.validate(params.subject_token, ctx.oidc.client);
    accountId = String(payload.sub);
  } catch (error) {
    throw new errors.InvalidGrant(`invalid subject_token: ${(error as Error).message}`);
  }
  await issueFor(ctx, accountId, TOKEN_EXCHANGE_GRANT);
}, ["subject_token", "subject_token_type", "requested_token_type", "connector_id", "scope"]);

async function generateSigningKey() {
  const { privateKey } = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  // WebCrypto marks the export key_ops ["sign"], which the provider would publish in its JWKS and
  // verifiers then refuse to verify with
  const { "key_ops": _ops, ext: _ext, ...jwk } = await crypto.subtle.exportKey("jwk", privateKey);
  return { ...jwk, alg: "ES256", use: "sig" };
}

server.on("request", provider.callback());
console.log(JSON.stringify({ issuer }));
