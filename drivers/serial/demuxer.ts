/**
 * The shared NVIDIA TCU demuxer process behind NVDemuxSerial drivers (upstream's
 * `DemuxerManager`): one `DEMUXER -m CHIP -d DEVICE` per exporter, started once a device matches
 * the pattern, whose stdout lines `<pts path>\t<target>` say where each demultiplexed UART
 * (`CCPLEX: 0`, `BPMP: 1`...) can be opened. When it exits (the device went away) the paths are
 * forgotten and it is started again once the device is back.
 */
import { type Logger, throwIfRefused } from "@jumpstarter/lib/driver";

/** What every driver sharing the demuxer must agree on. */
export interface DemuxerConfig {
  demuxerPath: string;
  /** A device path or a glob pattern (`*`, `?`, `[...]`). */
  device: string;
  chip: string;
  /** Seconds between looks for the device (and restarts of the demuxer). */
  pollInterval: number;
}

const GLOB = /[*?[]/;

function globSegment(pattern: string): RegExp {
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = pattern.indexOf("]", index + 1);
      if (end < 0) source += "\\[";
      else {
        source += `[${pattern.slice(index + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        index = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Where looking for `pattern` reads: the directory holding its first glob segment (every match
 * is below it), or the path itself when it has no glob.
 */
export function globBase(pattern: string): string {
  if (!GLOB.test(pattern)) return pattern;
  const segments = pattern.split("/");
  const fixed = segments.slice(0, segments.findIndex((segment) => GLOB.test(segment)));
  const base = fixed.join("/");
  return base === "" ? (pattern.startsWith("/") ? "/" : ".") : base;
}

/** The first existing path `pattern` matches (sorted, as upstream), or undefined. */
export async function resolveDevice(pattern: string): Promise<string | undefined> {
  if (!GLOB.test(pattern)) {
    return await Deno.stat(pattern).then(() => pattern, (error) => {
      throwIfRefused(error);
      return undefined;
    });
  }
  let candidates = [pattern.startsWith("/") ? "/" : "."];
  for (const segment of pattern.split("/").filter((part) => part !== "")) {
    const next: string[] = [];
    for (const base of candidates) {
      const join = (name: string) => base === "/" ? `/${name}` : `${base}/${name}`;
      if (!GLOB.test(segment)) {
        next.push(join(segment));
        continue;
      }
      const matcher = globSegment(segment);
      try {
        for await (const entry of Deno.readDir(base)) {
          if (matcher.test(entry.name)) next.push(join(entry.name));
        }
      } catch (error) {
        throwIfRefused(error); // else an unreadable or missing directory matches nothing
      }
    }
    candidates = next;
  }
  const existing: string[] = [];
  for (const path of candidates.sort()) {
    const found = await Deno.stat(path).then(() => true, (error) => {
      throwIfRefused(error);
      return false;
    });
    if (found) existing.push(path);
  }
  return existing[0];
}

/** One demuxer process and the pts paths it announced. */
export class Demuxer {
  readonly config: DemuxerConfig;
  readonly #log: Logger;
  readonly #ptsByTarget = new Map<string, string>();
  readonly #stop = new AbortController();
  #child: Deno.ChildProcess | undefined;
  #loop: Promise<void> | undefined;

  constructor(config: DemuxerConfig, log: Logger) {
    this.config = config;
    this.#log = log;
  }

  /** Where `target`'s UART is right now, if the demuxer has announced it. */
  ptsPath(target: string): string | undefined {
    return this.#ptsByTarget.get(target);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async #sleep(seconds: number): Promise<void> {
    if (this.#stop.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000);
      this.#stop.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const device = await resolveDevice(this.config.device);
      if (device && !this.#stop.signal.aborted) {
        try {
          await this.#runOnce(device);
          if (!this.#stop.signal.aborted) {
            this.#log.info("Demuxer exited (device disconnected?); polling for the device");
          }
        } catch (error) {
          this.#log.error(`Cannot run the demuxer ${this.config.demuxerPath}: ${error}`);
        }
        this.#ptsByTarget.clear();
      }
      await this.#sleep(this.config.pollInterval);
    }
  }

  async #runOnce(device: string): Promise<void> {
    const { demuxerPath, chip } = this.config;
    this.#log.debug(`Starting demuxer: ${demuxerPath} -m ${chip} -d ${device}`);
    const child = new Deno.Command(demuxerPath, {
      args: ["-m", chip, "-d", device],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    const done = new AbortController();
    const lines = async (stream: ReadableStream<Uint8Array>, each: (line: string) => void) => {
      let rest = "";
      const decoded = stream.pipeThrough(new TextDecoderStream(), { signal: done.signal });
      for await (const text of decoded) {
        const parts = (rest + text).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) if (line.trim()) each(line);
      }
      if (rest.trim()) each(rest);
    };
    const output = Promise.all([
      lines(child.stdout, (line) => this.#announce(line)),
      lines(child.stderr, (line) => this.#log.warning(`Demuxer stderr: ${line.trim()}`)),
    ]).catch(() => {});
    // its own children may hold its output open after it exited: its exit is what counts
    const status = await child.status;
    await Promise.race([output, new Promise((resolve) => setTimeout(resolve, 100))]);
    done.abort();
    await output;
    this.#child = undefined;
    this.#log.info(`Demuxer process exited with code ${status.code}`);
  }

  /** Takes `<pts path>\t<target>`; other lines are only logged. */
  #announce(line: string): void {
    this.#log.debug(`Demuxer output: ${line.trim()}`);
    const [path, target] = line.split("\t");
    if (path?.startsWith("/dev/") && target?.trim()) {
      this.#ptsByTarget.set(target.trim(), path.trim());
    }
  }

  /** Stops the demuxer (SIGTERM) and the device polling. */
  async stop(): Promise<void> {
    this.#stop.abort();
    try {
      this.#child?.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.#loop;
  }
}
