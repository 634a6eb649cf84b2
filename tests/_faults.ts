/**
 * Helpers of the fault suite (`faults_*_test.ts`): a lab of real processes (jmp-controller, an
 * exporter under `jmp run`, two clients), a stopwatch that prints the time to each clear error,
 * and a controller start that is expected to be refused.
 */
import { assertExit, jmp, spawnJmp, withTimeout } from "./_helpers.ts";
import {
  controllerArgs,
  type ControllerProcess,
  type ControllerStartOptions,
  makeClient,
  makeExporter,
  startController,
  STARTUP_MS,
} from "./_distributed.ts";

/** One controller, exporter bench1 (board=virt) to run under `jmp run`, clients alice and bob. */
export async function faultLab(dir: string, options: ControllerStartOptions = {}) {
  const controller = await startController(`${dir}/controller`, options);
  const exporterConfig = await makeExporter(controller.adminConfig, dir, "bench1", [
    "board=virt",
  ]);
  const alice = await makeClient(controller.adminConfig, dir, "alice");
  const bob = await makeClient(controller.adminConfig, dir, "bob");
  const startExporter = () => spawnJmp(["run", "--exporter-config", exporterConfig]);
  return { controller, exporterConfig, alice, bob, startExporter };
}

/** Prints a measured fault figure in one greppable format: `[fault] WHAT: N ms`. */
export function report(what: string, ms: number): number {
  console.log(`[fault] ${what}: ${Math.round(ms)} ms`);
  return ms;
}

/** A stopwatch started now; `lap()` is the time since. */
export function stopwatch(): { lap(): number } {
  const start = performance.now();
  return { lap: () => performance.now() - start };
}

/** Holds a lease on bench1 for `client` (`jmp create lease`); returns its name. */
export async function holdLease(client: string, duration = "10m"): Promise<string> {
  const created = await jmp([
    "create",
    "lease",
    "--client-config",
    client,
    "-l",
    "board=virt",
    "--duration",
    duration,
    "-o",
    "json",
  ]);
  assertExit(created, 0);
  const [lease] = JSON.parse(created.stdout) as { name: string }[];
  if (!lease) throw new Error(`jmp create lease printed no lease: ${created.stdout}`);
  return lease.name;
}

/** How a controller start that must be refused ended. */
export interface RefusedStart {
  code: number;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
}

/** Runs jmp-controller on `stateDir`, which must refuse to start; fails if it serves instead. */
export async function refusedStart(stateDir: string): Promise<RefusedStart> {
  const watch = stopwatch();
  const child = new Deno.Command(Deno.execPath(), {
    args: controllerArgs([
      "--state-dir",
      stateDir,
      "--listen",
      "127.0.0.1:0",
    ]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const output = await withTimeout(child.output(), STARTUP_MS, "jmp-controller to refuse");
    return {
      code: output.code,
      stderr: new TextDecoder().decode(output.stderr),
      ms: watch.lap(),
    };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw error;
  }
}

/** Stops the controller (if not already) and forgets errors: for `finally` blocks. */
export async function stopQuietly(controller: ControllerProcess | undefined): Promise<void> {
  await controller?.stop("SIGKILL").catch(() => {});
}
