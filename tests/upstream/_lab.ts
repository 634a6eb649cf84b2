/**
 * A lab for the cross-implementation tests: our jmp-controller as a subprocess, client and
 * exporter configs written by our `jmp admin`, and exporters of either implementation registered
 * with it (ours through `jmp run`, upstream's through its own `jmp run`).
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import {
  type ControllerProcess,
  exporterStatus,
  makeClient,
  makeExporter,
  startController,
  STARTUP_MS,
  until,
} from "../_distributed.ts";
import {
  assertExit,
  type BackgroundJmp,
  jmp,
  type RunOptions,
  spawnJmp,
  spawnProgram,
} from "../_helpers.ts";
import { UPSTREAM_PEER_SOURCE, type UpstreamPeer } from "./_peer.ts";

/** The environment that puts an upstream peer's programs first on PATH. */
export function peerEnv(peer: UpstreamPeer, extra: Record<string, string> = {}): RunOptions {
  return { env: { PATH: peer.env.PATH!, VIRTUAL_ENV: peer.env.VIRTUAL_ENV!, ...extra } };
}

/** The drivers of upstream's example exporter (power, echo, serial on loop://, shell). */
export async function upstreamExportSection(): Promise<unknown> {
  const text = await Deno.readTextFile(`${UPSTREAM_PEER_SOURCE}exporter-local.yaml`);
  return (parse(text) as { export: unknown }).export;
}

/** A running exporter of either implementation. */
export interface LabExporter extends AsyncDisposable {
  readonly name: string;
  readonly config: string;
  readonly process: BackgroundJmp;
}

/** Options of {@linkcode UpstreamLab.ourExporter} and {@linkcode UpstreamLab.upstreamExporter}. */
export interface OurExporterOptions {
  /** The `hooks:` block of the exporter config. */
  hooks?: Record<string, unknown>;
  /** Our exporter serves upstream's example drivers instead of the virtual lab's. */
  upstreamDrivers?: boolean;
}

/** Our controller and the configs around it; disposing it stops every process it started. */
export interface UpstreamLab extends AsyncDisposable {
  readonly controller: ControllerProcess;
  readonly dir: string;
  /** A client allowed every driver; returns its config path (read by both implementations). */
  client(name: string): Promise<string>;
  /** Our exporter (`jmp run`) with the virtual lab's drivers, waited for until AVAILABLE. */
  ourExporter(name: string, labels: string[], options?: OurExporterOptions): Promise<LabExporter>;
  /** Upstream's exporter (its `jmp run`) with upstream's example drivers, waited for online. */
  upstreamExporter(
    peer: UpstreamPeer,
    name: string,
    labels: string[],
    options?: OurExporterOptions,
  ): Promise<LabExporter>;
  /** The exporter's status as our `jmp get exporters` shows it. */
  status(name: string): Promise<string>;
}

async function writeConfig(path: string, change: (doc: Record<string, unknown>) => void) {
  const doc = parse(await Deno.readTextFile(path)) as Record<string, unknown>;
  change(doc);
  await Deno.writeTextFile(path, stringify(doc));
}

export async function startUpstreamLab(): Promise<UpstreamLab> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-upstream-lab-" });
  const controller = await startController(`${dir}/state`);
  const exporters: LabExporter[] = [];
  let observer: string | undefined;
  const observerConfig = async () =>
    observer ??= await makeClient(controller.adminConfig, dir, "observer");
  const track = (name: string, config: string, process: BackgroundJmp): LabExporter => {
    const exporter = {
      name,
      config,
      process,
      [Symbol.asyncDispose]: async () => {
        await process.stop("SIGTERM", 20_000);
      },
    };
    exporters.push(exporter);
    return exporter;
  };
  const waitOnline = async (name: string, process: BackgroundJmp, statuses: string[]) => {
    const client = await observerConfig();
    let exited = false;
    process.process.status.then(() => exited = true);
    await until(`exporter ${name} to register (${statuses.join(" or ")})`, async () => {
      if (exited) {
        const result = await process.wait();
        assert.fail(`exporter ${name} exited: ${result.stderr}`);
      }
      return statuses.includes(await exporterStatus(client, name));
    }, STARTUP_MS);
  };
  return {
    controller,
    dir,
    client: (name) => makeClient(controller.adminConfig, dir, name),
    async ourExporter(name, labels, options = {}) {
      const config = await makeExporter(controller.adminConfig, dir, name, labels);
      const drivers = options.upstreamDrivers ? await upstreamExportSection() : undefined;
      await writeConfig(config, (doc) => {
        if (options.hooks) doc.hooks = options.hooks;
        if (drivers) doc.export = drivers;
      });
      const process = spawnJmp(["run", "--exporter-config", config]);
      const exporter = track(name, config, process);
      await waitOnline(name, process, ["AVAILABLE"]);
      return exporter;
    },
    async upstreamExporter(peer, name, labels, options = {}) {
      const config = `${dir}/${name}.yaml`;
      assertExit(
        await jmp([
          "admin",
          "create",
          "exporter",
          name,
          "--admin-config",
          controller.adminConfig,
          ...labels.flatMap((l) => ["-l", l]),
          "--out",
          config,
        ]),
        0,
      );
      const drivers = await upstreamExportSection();
      await writeConfig(config, (doc) => {
        doc.export = drivers;
        if (options.hooks) doc.hooks = options.hooks;
      });
      const process = spawnProgram(
        peer.jmp,
        ["run", "--exporter-config", config],
        peerEnv(peer),
      );
      const exporter = track(name, config, process);
      // 0.7.0 never reports a status: online with none is as far as it gets
      await waitOnline(name, process, ["AVAILABLE", "UNSPECIFIED"]);
      return exporter;
    },
    async status(name) {
      return await exporterStatus(await observerConfig(), name);
    },
    async [Symbol.asyncDispose]() {
      for (const exporter of exporters.reverse()) {
        await Promise.resolve(exporter[Symbol.asyncDispose]()).catch(() => {});
      }
      await controller.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Lines of a file written by test commands (missing file: none). */
export async function linesOf(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter(Boolean);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
