/**
 * Helpers of the distributed security suite (`distributed_security_*_test.ts`): a controller
 * with exporters bench1 and bench2 and clients alice, bob and carol (plus, when asked, the same
 * names on a second controller, whose tokens only differ by their signing key), and the checks
 * that a refusal is clear: the gRPC code and details, or the CLI's one `Error:` line.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  assertExit,
  assertNoStackTrace,
  type BackgroundJmp,
  describe,
  type RunResult,
  spawnJmp,
} from "./_helpers.ts";
import {
  type CallFailure,
  type ControllerProcess,
  type CredentialFile,
  makeClient,
  makeExporter,
  type RawChannel,
  rawChannel,
  readCredentials,
  startController,
  untilExporter,
} from "./_distributed.ts";

/** Asserts a gRPC refusal with `code` whose details contain (or match) `details`. */
export function assertRefused(failure: CallFailure, code: number, details: string | RegExp): void {
  assert.equal(
    failure.code,
    code,
    `expected ${grpc.status[code]}, got ${grpc.status[failure.code]}: ${failure.details}`,
  );
  if (typeof details === "string") {
    assert.ok(failure.details.includes(details), `details: ${failure.details}`);
  } else assert.match(failure.details, details);
}

/** A CLI run refused by the controller: exit 1, `Error: ...details...`, no stack trace. */
export function assertCliRefused(result: RunResult, details: string | RegExp): void {
  assertExit(result, 1);
  const pattern = typeof details === "string"
    ? new RegExp(`^Error: .*${details.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m")
    : details;
  assert.match(result.stderr, pattern, describe(result));
  assertNoStackTrace(result);
}

/** The first item of a server stream (to make a streaming call fail or succeed). */
export async function first<T>(stream: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of stream) return item;
  return undefined;
}

/** A Register request with one driver report. */
export const REPORT = { labels: {}, reports: [{ uuid: "00000000-0000-0000-0000-000000000001" }] };

/** Configs made on the second controller, under the same names. */
export interface ForeignConfigs {
  alice: string;
  bench1: string;
  adminConfig: string;
}

/** What {@linkcode withSecurityLab} hands its body. */
export interface SecurityLab {
  dir: string;
  controller: ControllerProcess;
  bench1: string;
  bench2: string;
  alice: string;
  bob: string;
  carol: string;
  admin: CredentialFile;
  aliceId: CredentialFile;
  bobId: CredentialFile;
  bench1Id: CredentialFile;
  bench2Id: CredentialFile;
  /** Set when asked for with `foreign: true`. */
  foreign: ForeignConfigs | undefined;
  /** A raw channel to the controller attaching `metadata` to every call. */
  raw(metadata?: Record<string, string | string[]>): Promise<RawChannel>;
}

/** Options of {@linkcode withSecurityLab}. */
export interface SecurityLabOptions {
  /** Also make configs of the same names on a second controller (stopped before the body). */
  foreign?: boolean;
  /** Serve bench1 under `jmp run` (and wait for it to be Available) during the body. */
  serveBench1?: boolean;
}

/** Builds the lab in `dir`, runs `body`, and stops everything whatever happened. */
export async function withSecurityLab(
  dir: string,
  options: SecurityLabOptions,
  body: (lab: SecurityLab) => Promise<void>,
): Promise<void> {
  const controller = await startController(`${dir}/controller`);
  let exporter: BackgroundJmp | undefined;
  try {
    const [bench1, bench2, alice, bob, carol] = await Promise.all([
      makeExporter(controller.adminConfig, dir, "bench1", ["board=virt"]),
      makeExporter(controller.adminConfig, dir, "bench2", ["board=other"]),
      makeClient(controller.adminConfig, dir, "alice"),
      makeClient(controller.adminConfig, dir, "bob"),
      makeClient(controller.adminConfig, dir, "carol"),
    ]);
    await Deno.mkdir(`${dir}/other-configs`);
    const foreign = options.foreign ? await foreignConfigs(dir) : undefined;
    const admin = await readCredentials(controller.adminConfig);
    const [aliceId, bobId, bench1Id, bench2Id] = await Promise.all(
      [alice, bob, bench1, bench2].map(readCredentials),
    ) as [CredentialFile, CredentialFile, CredentialFile, CredentialFile];
    if (options.serveBench1) {
      exporter = spawnJmp(["run", "--exporter-config", bench1]);
      await untilExporter(alice, "bench1");
    }
    await body({
      dir,
      controller,
      bench1,
      bench2,
      alice,
      bob,
      carol,
      admin,
      aliceId,
      bobId,
      bench1Id,
      bench2Id,
      foreign,
      raw: (metadata = {}) => rawChannel(admin.endpoint, admin.ca, metadata),
    });
  } finally {
    await exporter?.stop("SIGTERM", 20_000);
    await controller.stop();
  }
}

/** Alice, bench1 and the admin config on a second controller, which is then stopped. */
async function foreignConfigs(dir: string): Promise<ForeignConfigs> {
  const other = await startController(`${dir}/other`);
  try {
    const configs = `${dir}/other-configs`;
    return {
      alice: await makeClient(other.adminConfig, configs, "alice"),
      bench1: await makeExporter(other.adminConfig, configs, "bench1", ["board=virt"]),
      adminConfig: other.adminConfig,
    };
  } finally {
    await other.stop();
  }
}
