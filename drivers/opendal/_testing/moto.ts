/**
 * Test support: moto's S3 server (`moto_server`, Python), a real S3 API for an `s3` Opendal to
 * talk to, on a free port with one bucket.
 */
import { eventually, freePort } from "@jumpstarter/lib/testing";

/** A running moto S3 server; dispose to stop it. */
export interface MotoS3 extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, the `endpoint` of an `s3` Opendal. */
  readonly endpoint: string;
  /** The bucket made at start. */
  readonly bucket: string;
  /** The object at `key` (throws when there is none). */
  object(key: string): Promise<Uint8Array>;
}

/** Starts moto and makes `bucket`, waiting (with a deadline) until it answers. */
export async function startMotoS3(bucket = "images"): Promise<MotoS3> {
  const port = freePort();
  const server = new Deno.Command("moto_server", {
    args: ["-H", "127.0.0.1", "-p", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new Response(server.stderr).text();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      server.kill("SIGTERM");
    } catch { /* already gone */ }
    await server.status;
    await log;
  };
  try {
    await eventually(
      `moto_server to make bucket ${bucket} on port ${port}`,
      () =>
        fetch(`${endpoint}/${bucket}`, { method: "PUT" }).then(
          async (response) => (await response.body?.cancel(), response.ok || undefined),
          () => undefined,
        ),
      { timeoutMs: 30_000, describe: () => log.then(() => "", () => "") },
    );
  } catch (error) {
    await stop();
    throw new Error(`moto_server did not start: ${await log}`, { cause: error });
  }
  return {
    endpoint,
    bucket,
    async object(key) {
      // moto accepts any signature: ask it as the S3 API's ListObjects would not do for content
      const response = await fetch(`${endpoint}/${bucket}/${key}`, {
        headers: {
          Authorization:
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        },
      });
      if (!response.ok) throw new Error(`no object ${key}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    [Symbol.asyncDispose]: stop,
  };
}
