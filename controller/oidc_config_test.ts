import assert from "node:assert/strict";
import { ConfigError } from "@jumpstarter/lib/config";
import { parseAuthConfig } from "./oidc_config.ts";

const VALID = `apiVersion: jumpstarter.dev/v1alpha1
kind: AuthenticationConfiguration
internal:
  prefix: "internal:"
jwt:
  - issuer:
      url: https://dex.example.com
      audiences: [jumpstarter, other]
    claimMappings:
      username:
        claim: email
        prefix: "dex:"
`;

Deno.test("parseAuthConfig reads upstream's AuthenticationConfiguration", () => {
  assert.deepEqual(parseAuthConfig(VALID, "auth.yaml"), {
    jwt: [{
      issuer: { url: "https://dex.example.com", audiences: ["jumpstarter", "other"] },
      claimValidationRules: [],
      username: { claim: "email", prefix: "dex:" },
    }],
  });
});

Deno.test("parseAuthConfig accepts it nested under authentication: (the controller config)", () => {
  const nested = `authentication:\n${VALID.replace(/^/gm, "  ")}`;
  assert.equal(parseAuthConfig(nested, "config.yaml").jwt[0]?.username.prefix, "dex:");
});

Deno.test("parseAuthConfig names the file, line and field of a bad entry", () => {
  const cases: [string, RegExp][] = [
    [VALID.replace("https://dex", "http://dex"), /auth\.yaml:7:\d+: .*must use https/],
    [VALID.replace("[jumpstarter, other]", "[]"), /auth\.yaml:\d+:\d+: .*at least one audience/],
    [
      VALID.replace("claim: email", "expression: claims.email"),
      /auth\.yaml:11:\d+: A CEL expression .* is not supported/,
    ],
    [VALID + VALID.slice(VALID.indexOf("  - issuer")), /listed twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAuthConfig(text, "auth.yaml"), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("parseAuthConfig reads a certificateAuthority file named relative to the config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    await Deno.writeTextFile(`${dir}/ca.pem`, pem);
    const withCa = (ca: string) =>
      VALID.replace("audiences:", `certificateAuthority: ${ca}\n      audiences:`);
    const parsed = parseAuthConfig(withCa("ca.pem"), `${dir}/auth.yaml`);
    assert.equal(parsed.jwt[0]?.issuer.certificateAuthority, pem);
    assert.throws(
      () => parseAuthConfig(withCa("missing.pem"), `${dir}/auth.yaml`),
      /auth\.yaml:8:\d+: Cannot read the certificate authority file ".*missing\.pem"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
