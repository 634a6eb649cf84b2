/**
 * An emulated `probe-rs` CLI (no probe-rs is packaged here, and no probe is attached). Run as a
 * program it behaves as `probe-rs` does for the subcommands Jumpstarter uses: it parses its
 * arguments and the `PROBE_RS_*` variables as probe-rs's clap options do (a flag wins over its
 * variable), refuses what probe-rs refuses with its exit codes (2 for usage, 1 for errors), and
 * acts on an emulated target whose memory lives in a state file: `download` loads an ELF's
 * segments into it, `read` prints words from it, `erase` clears the flash. The state can make
 * the probe absent, or make it vanish in the middle of a download.
 *
 * Imported, {@linkcode ProbeRsEmulator} installs it as an executable `probe-rs` in a temporary
 * folder and reads and writes its state.
 */

/** The emulated bench: one probe, wired to one target. */
export interface EmulatorState {
  /** Whether the probe is plugged in. */
  attached: boolean;
  /** The probe's `VID:PID:SERIAL`. */
  probe: string;
  /** The chip on the other end. */
  target: string;
  /** Written bytes by address (unwritten memory reads as erased flash, 0xff). */
  memory: Record<string, number>;
  /** Set to make the probe vanish halfway through the next `download`. */
  vanishDuringDownload: boolean;
  /** Set to make the next run hang (a probe that stopped answering) until it is killed. */
  hang: boolean;
  /** Process id of the last run, for checking that a hung one was killed. */
  pid?: number;
  /** Every run: its arguments and its environment. */
  calls: { args: string[]; env: Record<string, string> }[];
}

const KNOWN_CHIPS = ["RP2040", "RP2350", "nRF52840_xxAA", "STM32F103C8"];
const STATE_FILE = "state.json";
/**
 * Variables the wrapper script (sh sets PWD) and Deno (its Node shim) add before the emulator
 * runs: not part of what the driver passed.
 */
const WRAPPER_VARIABLES = [
  "DENO_DIR",
  "DENO_NO_UPDATE_CHECK",
  "NO_COLOR",
  "PWD",
  "DENO_NODE_SHIM_ACTIVE",
];

/** The environment probe-rs was started with. */
function callerEnvironment(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of WRAPPER_VARIABLES) delete env[name];
  if (env.PATH?.endsWith("node_compat_bin")) delete env.PATH;
  return env;
}

class Exit extends Error {
  constructor(readonly code: number, readonly stderr: string) {
    super(stderr);
  }
}

function usage(message: string): never {
  throw new Exit(2, `error: ${message}\n\nFor more information, try '--help'.\n`);
}

function failure(message: string, ...causes: string[]): never {
  const chain = causes.length
    ? `\n\nCaused by:\n${causes.map((cause, index) => `    ${index}: ${cause}`).join("\n")}`
    : "";
  throw new Exit(1, `Error: ${message}${chain}\n`);
}

interface Options {
  probe?: string;
  chip?: string;
  protocol?: string;
  speed?: string;
  connectUnderReset: boolean;
  positionals: string[];
}

const VALUE_OPTIONS = {
  "--probe": "probe",
  "--chip": "chip",
  "--protocol": "protocol",
  "--speed": "speed",
} as const;

function parseOptions(args: string[], env: Record<string, string>): Options {
  const options: Options = {
    ...(env.PROBE_RS_PROBE ? { probe: env.PROBE_RS_PROBE } : {}),
    ...(env.PROBE_RS_CHIP ? { chip: env.PROBE_RS_CHIP } : {}),
    ...(env.PROBE_RS_PROTOCOL ? { protocol: env.PROBE_RS_PROTOCOL } : {}),
    ...(env.PROBE_RS_SPEED ? { speed: env.PROBE_RS_SPEED } : {}),
    connectUnderReset: env.PROBE_RS_CONNECT_UNDER_RESET === "true",
    positionals: [],
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    if (flag in VALUE_OPTIONS) {
      const value = inline ?? args[++index];
      if (value === undefined) {
        usage(`a value is required for '${flag} <VALUE>' but none was supplied`);
      }
      options[VALUE_OPTIONS[flag as keyof typeof VALUE_OPTIONS]] = value;
    } else if (arg === "--connect-under-reset") {
      options.connectUnderReset = true;
    } else if (arg === "--non-interactive") {
      // the default here: nothing asks questions
    } else if (arg.startsWith("-") && !/^-?\d/.test(arg)) {
      usage(`unexpected argument '${arg}' found`);
    } else {
      options.positionals.push(arg);
    }
  }
  if (options.protocol !== undefined && !/^(swd|jtag)$/i.test(options.protocol)) {
    usage(
      `invalid value '${options.protocol}' for '--protocol <PROTOCOL>'\n  [possible values: swd, jtag]`,
    );
  }
  if (options.speed !== undefined && !/^\d+$/.test(options.speed)) {
    usage(`invalid value '${options.speed}' for '--speed <SPEED>': invalid digit found in string`);
  }
  return options;
}

function attach(state: EmulatorState, options: Options, needsChip: boolean): void {
  if (options.probe !== undefined) {
    const [vid, pid, serial] = options.probe.split(":");
    const [ourVid, ourPid, ourSerial] = state.probe.split(":");
    if (pid === undefined || !/^[0-9a-f]{1,4}$/i.test(vid!) || !/^[0-9a-f]{1,4}$/i.test(pid)) {
      usage(`invalid value '${options.probe}' for '--probe <PROBE>': invalid probe selector`);
    }
    const matches = parseInt(vid!, 16) === parseInt(ourVid!, 16) &&
      parseInt(pid, 16) === parseInt(ourPid!, 16) && (serial === undefined || serial === ourSerial);
    if (!state.attached || !matches) failure("Failed to open probe", "Probe was not found.");
  }
  if (!state.attached) failure("No connected probes were found.");
  if (options.chip !== undefined && !KNOWN_CHIPS.includes(options.chip)) {
    failure(`Failed to find target '${options.chip}'`, `The target '${options.chip}' is unknown`);
  }
  if (needsChip && options.chip === undefined) {
    failure("A chip must be specified to flash it: use --chip or PROBE_RS_CHIP");
  }
}

function load(state: EmulatorState, image: Uint8Array, vanish: boolean): number {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const magic = image.subarray(0, 4);
  if (image.length < 52 || magic.join() !== "127,69,76,70") {
    failure("Failed to flash the file", "The file is not a valid ELF file");
  }
  if (image[4] !== 1 || image[5] !== 1) {
    failure("Failed to flash the file", "Only 32-bit little-endian ELF files are supported");
  }
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  let written = 0;
  for (let index = 0; index < phnum; index++) {
    const header = phoff + index * phentsize;
    if (view.getUint32(header, true) !== 1) continue; // PT_LOAD only
    const offset = view.getUint32(header + 4, true);
    const address = view.getUint32(header + 12, true);
    const size = view.getUint32(header + 16, true);
    const bytes = image.subarray(offset, offset + size);
    const count = vanish ? Math.floor(bytes.length / 2) : bytes.length;
    for (let at = 0; at < count; at++) state.memory[(address + at).toString(16)] = bytes[at]!;
    written += count;
    if (vanish) {
      state.attached = false;
      failure(
        "An error with the usage of the probe occurred",
        "Operation timed out",
        "USB device disconnected",
      );
    }
  }
  return written;
}

function readWords(state: EmulatorState, width: string, address: string, words: string): string {
  const bits = { b8: 8, b16: 16, b32: 32, b64: 64 }[width];
  if (bits === undefined) {
    usage(`invalid value '${width}' for '<WIDTH>'\n  [possible values: b8, b16, b32, b64]`);
  }
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(address)) {
    usage(`invalid value '${address}' for '<LOC>': invalid digit found in string`);
  }
  if (!/^\d+$/.test(words)) {
    usage(`invalid value '${words}' for '<WORDS>': invalid digit found in string`);
  }
  const start = Number(BigInt(address));
  const bytesPerWord = bits / 8;
  const out: string[] = [];
  for (let word = 0; word < Number(words); word++) {
    let value = 0n;
    for (let byte = bytesPerWord - 1; byte >= 0; byte--) {
      const at = (start + word * bytesPerWord + byte).toString(16);
      value = (value << 8n) | BigInt(state.memory[at] ?? 0xff);
    }
    out.push(value.toString(16).padStart(bits / 4, "0"));
  }
  return `${out.join(" ")}\n`;
}

function run(state: EmulatorState, args: string[], env: Record<string, string>): string {
  const [command, ...rest] = args;
  if (command === undefined) usage("'probe-rs' requires a subcommand but one was not provided");
  const options = parseOptions(rest, env);
  const [first, second, third, extra] = options.positionals;
  switch (command) {
    case "info": {
      attach(state, options, false);
      const via = options.protocol?.toUpperCase() ?? "SWD";
      return `Probing target via ${via}\n\nARM Chip with debug port Default:\n` +
        `Debug Port: DPv2, Designer: ${state.target}, Part: 0x1002, Revision: 0x0\n` +
        "└── 0 MemoryAP\n    └── ARM Cortex-M (Cortex-M0+ r0p1)\n";
    }
    case "reset":
      attach(state, options, false);
      return "";
    case "erase":
      attach(state, options, true);
      state.memory = {};
      return "      Erasing ✔ 100% [####################] 2.00 MiB @ 1.00 MiB/s\n";
    case "download": {
      if (first === undefined) {
        usage("the following required arguments were not provided:\n  <PATH>");
      }
      if (second !== undefined) usage(`unexpected argument '${second}' found`);
      attach(state, options, true);
      let image: Uint8Array;
      try {
        image = Deno.readFileSync(first);
      } catch {
        failure(`Failed to open the file '${first}'`, "No such file or directory (os error 2)");
      }
      const vanish = state.vanishDuringDownload;
      state.vanishDuringDownload = false;
      const written = load(state, image, vanish);
      return `  Programming ✔ 100% [####################] ${written} B @ 10.00 KiB/s\n` +
        "     Finished in 0.05s\n";
    }
    case "read": {
      if (third === undefined) {
        usage("the following required arguments were not provided:\n  <WIDTH> <LOC> <WORDS>");
      }
      if (extra !== undefined) usage(`unexpected argument '${extra}' found`);
      attach(state, options, false);
      return readWords(state, first!, second!, third);
    }
    default:
      usage(`unrecognized subcommand '${command}'`);
  }
}

/** Replaces the state file whole, so a reader never sees it half written. */
async function saveState(path: string, state: EmulatorState): Promise<void> {
  await Deno.writeTextFile(`${path}.new`, JSON.stringify(state));
  await Deno.rename(`${path}.new`, path);
}

/** How long a hung run lingers if nobody kills it (so a broken test leaves nothing behind). */
const HANG_LIMIT_MS = 60_000;

async function main(): Promise<number> {
  const [folder, ...args] = Deno.args;
  const path = `${folder}/${STATE_FILE}`;
  const state = JSON.parse(await Deno.readTextFile(path)) as EmulatorState;
  const env = callerEnvironment();
  state.calls.push({ args, env });
  state.pid = Deno.pid;
  if (state.hang) {
    state.hang = false;
    await saveState(path, state);
    await new Promise((resolve) => setTimeout(resolve, HANG_LIMIT_MS));
    return 1;
  }
  let code = 0;
  try {
    await Deno.stdout.write(new TextEncoder().encode(run(state, args, env)));
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    await Deno.stderr.write(new TextEncoder().encode(error.stderr));
    code = error.code;
  }
  await saveState(path, state);
  return code;
}

if (import.meta.main) Deno.exit(await main());

/** The emulator installed as an executable named `probe-rs`, with its state. */
export class ProbeRsEmulator implements AsyncDisposable {
  private constructor(readonly folder: string) {}

  /** The executable to configure as `probe_rs_path`. */
  get path(): string {
    return `${this.folder}/probe-rs`;
  }

  /** Installs the emulator: a probe `2e8a:000c:E6614103` wired to an RP2040, memory erased. */
  static async install(): Promise<ProbeRsEmulator> {
    const folder = await Deno.makeTempDir({ prefix: "probe-rs-emulator-" });
    const emulator = new ProbeRsEmulator(folder);
    await emulator.write({
      attached: true,
      probe: "2e8a:000c:E6614103",
      target: "RP2040",
      memory: {},
      vanishDuringDownload: false,
      hang: false,
      calls: [],
    });
    const script = new URL(import.meta.url).pathname;
    const denoDir = Deno.env.get("DENO_DIR");
    await Deno.writeTextFile(
      emulator.path,
      "#!/bin/sh\n" +
        (denoDir ? `DENO_DIR='${denoDir}' ` : "") +
        `DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 exec '${Deno.execPath()}' run --quiet --no-config ` +
        `--no-lock --allow-read --allow-write --allow-env '${script}' '${folder}' "$@"\n`,
      { mode: 0o755 },
    );
    return emulator;
  }

  async state(): Promise<EmulatorState> {
    return JSON.parse(await Deno.readTextFile(`${this.folder}/${STATE_FILE}`));
  }

  write(state: EmulatorState): Promise<void> {
    return saveState(`${this.folder}/${STATE_FILE}`, state);
  }

  /** Changes part of the state. */
  async update(change: Partial<EmulatorState>): Promise<void> {
    await this.write({ ...await this.state(), ...change });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.folder, { recursive: true });
  }
}
