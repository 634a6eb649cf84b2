/**
 * The controller's trust in external OIDC issuers, read from upstream's AuthenticationConfiguration
 * (`jmp-controller --auth-config FILE`): the `jwt:` list of Kubernetes JWT authenticators (issuer
 * URL, audiences, optional discovery URL and CA, username claim and prefix, claim rules). Both
 * shapes upstream reads are accepted: the `AuthenticationConfiguration` document itself and the
 * controller config that holds it under `authentication:`.
 */
import { dirname, isAbsolute, join } from "node:path";
import { z } from "zod";
import { ConfigError, validateSource, YamlSource } from "@jumpstarter/lib/config";

/** One trusted issuer (a Kubernetes `JWTAuthenticator`). */
export interface JwtAuthenticator {
  issuer: {
    /** Must equal the tokens' `iss`; `https`, or `http` on a loopback host. */
    url: string;
    /** Where to read the discovery document, when not `{url}/.well-known/openid-configuration`. */
    discoveryURL?: string;
    /** A token's `aud` must hold one of these. */
    audiences: string[];
    /** PEM to trust for the issuer's HTTPS endpoints (the file's, when the config names one). */
    certificateAuthority?: string;
  };
  /** `claim` must be present and equal `requiredValue` (or hold it, for a list claim). */
  claimValidationRules: { claim: string; requiredValue: string }[];
  /** username = `prefix` + the value of `claim`. */
  username: { claim: string; prefix: string };
}

/** What the controller trusts besides its own tokens. */
export interface AuthConfig {
  jwt: JwtAuthenticator[];
}

/** A key upstream accepts that we refuse, naming it (checked in parseAuthConfig). */
const unsupported = z.unknown().optional();

const authenticatorSchema = z.object({
  issuer: z.strictObject({
    url: z.string().min(1),
    discoveryURL: z.string().min(1).optional(),
    audiences: z.array(z.string().min(1)),
    audienceMatchPolicy: z.literal("MatchAny").optional(),
    certificateAuthority: z.string().optional(),
  }),
  claimValidationRules: z.array(z.strictObject({
    claim: z.string().min(1),
    requiredValue: z.string(),
    expression: unsupported,
  })).default([]),
  claimMappings: z.object({
    username: z.strictObject({
      // optional here so that an `expression` instead is named as unsupported
      claim: z.string().min(1).optional(),
      prefix: z.string().default(""),
      expression: unsupported,
    }),
  }),
  userValidationRules: unsupported,
});

const authenticationSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.literal("AuthenticationConfiguration").optional(),
  // upstream's prefix for its own tokens' subjects; our own tokens are matched by issuer
  internal: z.object({ prefix: z.string().optional() }).optional(),
  jwt: z.array(authenticatorSchema).default([]),
});

/** Parses an AuthenticationConfiguration; `file` names it in errors. */
export function parseAuthConfig(text: string, file: string): AuthConfig {
  const source = YamlSource.parse(text, file);
  const value = source.toJS();
  const wrapped = typeof value === "object" && value !== null && "authentication" in value;
  const document = wrapped
    ? validateSource(z.object({ authentication: authenticationSchema }), value, source)
      .authentication
    : validateSource(authenticationSchema, value ?? {}, source);
  const base: PropertyKey[] = wrapped ? ["authentication", "jwt"] : ["jwt"];
  const seen = new Set<string>();
  return {
    jwt: document.jwt.map((entry, index) => {
      const url = entry.issuer.url;
      const at = [...base, index, "issuer", "url"];
      checkIssuerUrl(url, (reason) => source.errorAt(at, reason));
      if (seen.has(url)) throw source.errorAt(at, `Issuer "${url}" is listed twice`);
      const unsupportedAt = (path: PropertyKey[], what: string) =>
        source.errorAt([...base, index, ...path], `${what} is not supported`);
      if (entry.userValidationRules !== undefined) {
        throw unsupportedAt(["userValidationRules"], "userValidationRules");
      }
      if (entry.claimMappings.username.expression !== undefined) {
        throw unsupportedAt(
          ["claimMappings", "username", "expression"],
          "A CEL expression (use claim and prefix)",
        );
      }
      const ruleIndex = entry.claimValidationRules.findIndex((rule) => rule.expression);
      if (ruleIndex >= 0) {
        throw unsupportedAt(
          ["claimValidationRules", ruleIndex, "expression"],
          "A CEL expression (use claim and requiredValue)",
        );
      }
      const claim = entry.claimMappings.username.claim;
      if (claim === undefined) {
        throw source.errorAt(
          [...base, index, "claimMappings", "username"],
          'Missing required key "claim"',
        );
      }
      if (entry.issuer.audiences.length === 0) {
        throw source.errorAt(
          [...base, index, "issuer", "audiences"],
          "Expected at least one audience",
        );
      }
      seen.add(url);
      return {
        issuer: {
          url,
          audiences: entry.issuer.audiences,
          ...(entry.issuer.discoveryURL ? { discoveryURL: entry.issuer.discoveryURL } : {}),
          ...(entry.issuer.certificateAuthority
            ? {
              certificateAuthority: readCertificateAuthority(
                entry.issuer.certificateAuthority,
                file,
                (reason) =>
                  source.errorAt([...base, index, "issuer", "certificateAuthority"], reason),
              ),
            }
            : {}),
        },
        claimValidationRules: entry.claimValidationRules.map(({ claim, requiredValue }) => ({
          claim,
          requiredValue,
        })),
        username: {
          claim,
          prefix: entry.claimMappings.username.prefix,
        },
      };
    }),
  };
}

/** Reads and parses an AuthenticationConfiguration file. */
export async function loadAuthConfig(path: string): Promise<AuthConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "No such file"
      : `Cannot read: ${(error as Error).message}`;
    throw new ConfigError(reason, { file: path, line: 0, column: 0, field: "" }, { cause: error });
  }
  return parseAuthConfig(text, path);
}

/** `value` itself when it is PEM (upstream's form), else the file it names (relative to `file`). */
function readCertificateAuthority(
  value: string,
  file: string,
  fail: (reason: string) => Error,
): string {
  if (value.includes("-----BEGIN")) return value;
  const path = isAbsolute(value) ? value : join(dirname(file), value);
  let pem: string;
  try {
    pem = Deno.readTextFileSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).name;
    throw fail(`Cannot read the certificate authority file "${path}": ${why}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw fail(`The certificate authority file "${path}" holds no PEM certificate`);
  }
  return pem;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

function checkIssuerUrl(url: string, fail: (reason: string) => Error): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail(`Invalid issuer URL "${url}"`);
  }
  if (parsed.search || parsed.hash) throw fail("The issuer URL must not have a query or fragment");
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname)) return;
  throw fail(`The issuer URL must use https (http only on a loopback host), got "${url}"`);
}
