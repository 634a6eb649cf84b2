/**
 * The beforeLease and afterLease phases of a lease, with the statuses upstream HEAD reports around
 * them (spec/protocol.md 7.3): what runs, what the client sees through GetStatus, and when the
 * exporter asks the controller to end the lease.
 */
import { SOCKET_DIR_VARIABLE } from "./confined_grants.ts";
import { ExporterStatus } from "@jumpstarter/protos";
import type { HookInstance } from "@jumpstarter/lib/config";
import type { LogRecord, Severity } from "@jumpstarter/lib/driver";
import { type HookResult, runHook } from "./hooks.ts";
import type { LeaseContext } from "./lease_context.ts";

/** Starts a status message that `jmp shell` shows as a warning. */
export const HOOK_WARNING_PREFIX = "[HOOK_WARNING] ";
/** Pause after the afterLease hook so polling clients see its final status before release. */
export const RELEASE_DELAY_MS = 1000;
/** The most of `$JMP_MOTD_FILE` a beforeLease hook may add to the message of the day. */
const MAX_MOTD_BYTES = 64 * 1024;

/** What the lease phases need from the exporter. */
export interface LeasePhaseActions {
  beforeLease: HookInstance | null;
  afterLease: HookInstance | null;
  /** Sets the status on the lease's session and reports it to the controller. */
  report(status: ExporterStatus, message: string): Promise<void>;
  /** Asks the controller to end the lease (skipped once it has ended). */
  releaseLease(): Promise<void>;
  /** Stops the exporter once this lease is torn down, exiting with `exitCode`. */
  stopAfterLease(exitCode: number): void;
  /** The operator's log. */
  log(message: string): void;
}

type When = "beforeLease" | "afterLease";

function sessionLog(lease: LeaseContext, when: When, severity: Severity, message: string) {
  const record: LogRecord = { severity, message, source: `hook.${when}`, timestamp: new Date() };
  lease.session.log(record);
}

async function execute(
  lease: LeaseContext,
  hook: HookInstance,
  when: When,
  env: Record<string, string> = {},
): Promise<HookResult> {
  const result = await runHook(hook, {
    host: lease.server.address,
    leaseName: lease.name,
    clientName: lease.client,
    env,
    log: (line, severity) => sessionLog(lease, when, severity, line),
  });
  if (!result.ok) {
    const note = hook.onFailure === "warn"
      ? `${result.message} (on_failure=warn, continuing)`
      : `${result.message} (on_failure=${hook.onFailure})`;
    sessionLog(lease, when, hook.onFailure === "warn" ? "WARNING" : "ERROR", note);
  }
  return result;
}

/** Appends what the hook wrote to `$JMP_MOTD_FILE` (a regular file, capped) to the motd. */
async function appendHookMotd(lease: LeaseContext, path: string): Promise<void> {
  try {
    using file = await Deno.open(path, { read: true });
    if (!(await file.stat()).isFile) return;
    const buffer = new Uint8Array(MAX_MOTD_BYTES);
    let filled = 0;
    while (filled < buffer.length) {
      const read = await file.read(buffer.subarray(filled));
      if (read === null) break;
      filled += read;
    }
    const text = new TextDecoder().decode(buffer.subarray(0, filled)).trim();
    if (text) lease.session.appendMotd(text);
  } catch { /* the hook removed or replaced it: no motd from it */ }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The beforeLease phase: LEASE_READY at once without a hook; otherwise BEFORE_LEASE_HOOK, the
 * hook, then LEASE_READY or BEFORE_LEASE_HOOK_FAILED. Always marks the phase done.
 */
export async function runBeforeLease(lease: LeaseContext, act: LeasePhaseActions): Promise<void> {
  let release = false;
  try {
    const hook = act.beforeLease;
    if (!hook) {
      await act.report(ExporterStatus.LEASE_READY, "Ready for commands");
      return;
    }
    if (lease.ended.isSet) {
      lease.skipAfterLeaseHook = true;
      return;
    }
    await act.report(ExporterStatus.BEFORE_LEASE_HOOK, "Running beforeLease hook");
    // a confined exporter may write only in its socket directory
    const dir = Deno.env.get(SOCKET_DIR_VARIABLE);
    const motdFile = await Deno.makeTempFile({ prefix: "jmp-motd-", ...(dir ? { dir } : {}) });
    let result: HookResult;
    try {
      result = await execute(lease, hook, "beforeLease", { JMP_MOTD_FILE: motdFile });
      if (result.ok || hook.onFailure === "warn") await appendHookMotd(lease, motdFile);
    } finally {
      await Deno.remove(motdFile).catch(() => {});
    }
    if (lease.ended.isSet) return;
    if (result.ok || hook.onFailure === "warn") {
      await act.report(
        ExporterStatus.LEASE_READY,
        result.ok
          ? "Ready for commands"
          : `${HOOK_WARNING_PREFIX}beforeLease hook warning: ${result.message}`,
      );
      return;
    }
    act.log(`beforeLease hook failed: ${result.message}`);
    lease.skipAfterLeaseHook = true;
    if (hook.onFailure === "exit") {
      await act.report(
        ExporterStatus.BEFORE_LEASE_HOOK_FAILED,
        `beforeLease hook failed (on_failure=exit, shutting down): ${result.message}`,
      );
      await act.report(
        ExporterStatus.OFFLINE,
        "Exporter shutting down due to beforeLease hook failure",
      );
      act.stopAfterLease(1);
    } else {
      release = true;
      await act.report(
        ExporterStatus.BEFORE_LEASE_HOOK_FAILED,
        `beforeLease hook failed (on_failure=endLease): ${result.message}`,
      );
    }
  } finally {
    lease.beforeLeaseDone.set();
    if (release) {
      await sleep(RELEASE_DELAY_MS);
      await act.releaseLease().catch((error) => act.log(`Cannot release lease: ${error}`));
    }
  }
}

/**
 * The afterLease phase with hooks configured: AFTER_LEASE_HOOK, the hook, then AVAILABLE or
 * AFTER_LEASE_HOOK_FAILED; a pause for polling clients, then the release request.
 */
export async function runAfterLease(lease: LeaseContext, act: LeasePhaseActions): Promise<void> {
  let stopping = false;
  try {
    const hook = act.afterLease;
    if (!hook) {
      await act.report(ExporterStatus.AVAILABLE, "Available for new lease");
      return;
    }
    await act.report(ExporterStatus.AFTER_LEASE_HOOK, "Running afterLease hooks");
    const result = await execute(lease, hook, "afterLease");
    if (result.ok || hook.onFailure === "warn") {
      await act.report(
        ExporterStatus.AVAILABLE,
        result.ok
          ? "Available for new lease"
          : `${HOOK_WARNING_PREFIX}afterLease hook warning: ${result.message}`,
      );
      return;
    }
    act.log(`afterLease hook failed: ${result.message}`);
    if (hook.onFailure === "exit") {
      await act.report(
        ExporterStatus.AFTER_LEASE_HOOK_FAILED,
        `afterLease hook failed (on_failure=exit, shutting down): ${result.message}`,
      );
      await act.report(
        ExporterStatus.OFFLINE,
        "Exporter shutting down due to afterLease hook failure",
      );
      act.stopAfterLease(1);
      stopping = true;
    } else {
      await act.report(
        ExporterStatus.AFTER_LEASE_HOOK_FAILED,
        `afterLease hook failed (on_failure=endLease): ${result.message}`,
      );
    }
  } finally {
    await sleep(RELEASE_DELAY_MS);
    // an exporter on its way out unregisters instead, which ends the lease anyway
    if (!stopping) {
      await act.releaseLease().catch((error) => act.log(`Cannot release lease: ${error}`));
    }
  }
}
