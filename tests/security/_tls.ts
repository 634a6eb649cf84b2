/**
 * Helpers of the TLS security tests: throwaway certificates made by openssl, and `jmp run` in
 * direct mode serving the virtual lab over TLS.
 */
import assert from "node:assert/strict";
import { spawnJmp, VIRTUAL_LAB, withTimeout } from "../_helpers.ts";

/** A self-signed certificate for 127.0.0.1 (IP SAN only) and its key; `other*` a second pair. */
export async function makeCertificates(dir: string) {
  const make = async (name: string, san: string) => {
    const result = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=jumpstarter-test",
        "-addext",
        `subjectAltName=${san}`,
        "-keyout",
        `${dir}/${name}.key`,
        "-out",
        `${dir}/${name}.pem`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(result.success, new TextDecoder().decode(result.stderr));
    return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
  };
  const [mine, other] = await Promise.all([
    make("server", "IP:127.0.0.1"),
    make("other", "IP:127.0.0.1"),
  ]);
  await Deno.writeTextFile(`${dir}/garbage.pem`, "this is not a certificate\n");
  return { ...mine, otherCert: other.cert, otherKey: other.key, garbage: `${dir}/garbage.pem` };
}

/** `jmp run` in direct mode with TLS on 127.0.0.1; returns its `host:port`. */
export async function directExporter(
  certs: { cert: string; key: string },
  extra: string[],
  env: Record<string, string> = {},
) {
  const exporter = spawnJmp([
    "run",
    "--exporter-config",
    VIRTUAL_LAB,
    "--tls-grpc-listener",
    "127.0.0.1:0",
    "--tls-cert",
    certs.cert,
    "--tls-key",
    certs.key,
    ...extra,
  ], { env, timeoutMs: 60_000 });
  const address = await withTimeout(exporter.firstLine, 30_000, "jmp run to print its address");
  return { exporter, address };
}
