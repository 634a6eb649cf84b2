/**
 * How fast credentials can be guessed (issue 10 item 7): `--attempts` refused calls, `--concurrency`
 * at a time, against
 *
 * - **forged tokens**: a jmp-controller (in-process, TLS) called with ES256 tokens signed by a
 *   stranger's key (`ListLeases`);
 * - **wrong passphrases**: a direct-mode exporter session on plaintext TCP (`GetReport`).
 *
 * Prints refusals per second for each. Benchmarks report, never assert.
 *
 * Usage: `deno run -A bench/auth_failures.ts [--attempts N] [--concurrency N] [--json]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as jose from "jose";
import { clientV1, createClient } from "@jumpstarter/protos";
import { openExporter } from "@jumpstarter/lib/client";
import { channelCredentials } from "@jumpstarter/lib/tunnel";
import { serveSessionTcp, Session } from "@jumpstarter/lib/exporter";
import { MockPower } from "@jumpstarter/driver-power/driver";
import { startController } from "../controller/server.ts";
import { clientRegistry } from "../cli/driver_packages.ts";
import { positiveInt } from "./_measure.ts";

/** Runs `attempt` `total` times, `concurrency` at once; returns refusals per second. */
async function refusalsPerSecond(
  total: number,
  concurrency: number,
  attempt: () => Promise<unknown>,
): Promise<number> {
  let started = 0;
  let refused = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      try {
        await attempt();
      } catch {
        refused++;
      }
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - begin) / 1000;
  if (refused !== total) throw new Error(`${total - refused} of ${total} attempts were accepted`);
  return total / seconds;
}

async function forgedTokens(attempts: number, concurrency: number): Promise<number> {
  const stateDir = await Deno.makeTempDir({ prefix: "jmp-auth-bench-" });
  try {
    await using controller = await startController({ stateDir, listen: "127.0.0.1:0" });
    const forged = await new jose.SignJWT({})
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer("jmp-controller")
      .setAudience("jumpstarter")
      .setSubject("client:default:mallory:00000000-0000-0000-0000-000000000000")
      .setExpirationTime("1h")
      .sign((await jose.generateKeyPair("ES256")).privateKey);
    const credentials = await channelCredentials(controller.endpoint, {
      ca: controller.core.caBase64,
    });
    const channel = new grpc.Client(controller.endpoint, credentials);
    try {
      const clients = createClient(clientV1.ClientService, channel);
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${forged}`);
      metadata.set("jumpstarter-kind", "Client");
      metadata.set("jumpstarter-namespace", "default");
      metadata.set("jumpstarter-name", "mallory");
      return await refusalsPerSecond(
        attempts,
        concurrency,
        () => clients.listLeases({ parent: "namespaces/default" }, { metadata }),
      );
    } finally {
      channel.close();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}

async function wrongPassphrases(attempts: number, concurrency: number): Promise<number> {
  const session = new Session(new MockPower({}));
  await session.open();
  try {
    await using server = await serveSessionTcp(session, "127.0.0.1:0", { passphrase: "right" });
    return await refusalsPerSecond(attempts, concurrency, async () => {
      const handle = await openExporter(server.address, {
        insecure: true,
        passphrase: "guess",
        registry: clientRegistry,
      });
      handle.close();
    });
  } finally {
    await session.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      attempts: { type: "string" },
      concurrency: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const attempts = positiveInt("attempts", values.attempts, 200);
  const concurrency = positiveInt("concurrency", values.concurrency, 50);
  // the log lines of each refusal are not what is measured
  const log = console.error;
  console.error = () => {};
  const tokens = await forgedTokens(attempts, concurrency);
  const passphrases = await wrongPassphrases(attempts, concurrency);
  console.error = log;
  if (values.json) console.log(JSON.stringify({ attempts, concurrency, tokens, passphrases }));
  else {
    console.log(`${attempts} attempts, ${concurrency} at a time:`);
    console.log(`  forged tokens refused:     ${tokens.toFixed(1)}/s`);
    console.log(`  wrong passphrases refused: ${passphrases.toFixed(1)}/s`);
  }
}
