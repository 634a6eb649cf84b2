/**
 * Test peer: a real net-snmp `snmpd` on 127.0.0.1 whose PDU outlet table is
 * `testdata/outlet_pass.sh` (through snmpd's `pass` extension), everything in a temp dir. Needs
 * Debian `snmpd` and `snmp`.
 */
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { RARITAN_OUTLET_OID } from "../config.ts";

/** The outlet table the agent serves: the driver's default (Raritan) OID. */
export const OUTLET_OID = RARITAN_OUTLET_OID;

/** An SNMPv3 user the agent knows, with read-write access. */
export interface SnmpdUser {
  name: string;
  auth?: { protocol: "MD5" | "SHA"; key: string };
  priv?: { protocol: "DES" | "AES"; key: string };
}

export interface SnmpdOptions {
  /** Read-write communities (v1/v2c). */
  communities?: string[];
  users?: SnmpdUser[];
}

const PASS_SCRIPT = fileURLToPath(new URL("../testdata/outlet_pass.sh", import.meta.url));

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function configText(options: SnmpdOptions, stateDir: string): string {
  const lines: string[] = [];
  for (const community of options.communities ?? []) {
    lines.push(`rwcommunity ${community} 127.0.0.1`);
  }
  for (const user of options.users ?? []) {
    const auth = user.auth ? ` ${user.auth.protocol} ${user.auth.key}` : "";
    const priv = user.priv ? ` ${user.priv.protocol} ${user.priv.key}` : "";
    lines.push(`createUser ${user.name}${auth}${priv}`);
    lines.push(`rwuser ${user.name} ${user.priv ? "priv" : user.auth ? "auth" : "noauth"}`);
  }
  lines.push(`pass .${OUTLET_OID} /bin/sh ${PASS_SCRIPT} ${stateDir}`);
  return lines.join("\n") + "\n";
}

/** A running snmpd; stop it with `await using` or {@linkcode Snmpd.stop}. */
export class Snmpd implements AsyncDisposable {
  readonly port: number;
  readonly dir: string;
  readonly #process: Deno.ChildProcess;
  readonly #output: string[];

  private constructor(port: number, dir: string, process: Deno.ChildProcess, output: string[]) {
    this.port = port;
    this.dir = dir;
    this.#process = process;
    this.#output = output;
  }

  /** Starts snmpd and resolves once it serves (it logs its version line when listening). */
  static async start(options: SnmpdOptions): Promise<Snmpd> {
    const dir = await Deno.makeTempDir({ prefix: "jmp-snmpd-" });
    try {
      for (const sub of ["state", "persist", "client"]) await Deno.mkdir(`${dir}/${sub}`);
      await Deno.writeTextFile(`${dir}/snmpd.conf`, configText(options, `${dir}/state`));
      for (let attempt = 1;; attempt++) {
        const port = await freeUdpPort();
        const started = await Snmpd.#spawn(dir, port);
        if (started) return started;
        if (attempt === 3) throw new Error("snmpd did not start; see its output above");
      }
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  static async #spawn(dir: string, port: number): Promise<Snmpd | undefined> {
    const process = new Deno.Command("/usr/sbin/snmpd", {
      args: ["-f", "-Lo", "-C", "-c", `${dir}/snmpd.conf`, `udp:127.0.0.1:${port}`],
      env: { SNMP_PERSISTENT_DIR: `${dir}/persist`, MIBS: "" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output: string[] = [];
    const ready = Promise.withResolvers<boolean>();
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      for await (const line of stream.pipeThrough(new TextDecoderStream()).pipeThrough(lines())) {
        output.push(line);
        if (line.startsWith("NET-SNMP version")) ready.resolve(true);
      }
    };
    void drain(process.stdout);
    void drain(process.stderr);
    void process.status.then(() => ready.resolve(false));
    if (await ready.promise) return new Snmpd(port, dir, process, output);
    await process.status;
    console.error(output.join("\n"));
    return undefined;
  }

  /** The `<plug> <value>` lines the outlet table recorded, one per SET, oldest first. */
  async sets(): Promise<string[]> {
    const text = await Deno.readTextFile(`${this.dir}/state/sets.log`).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    });
    return text.split("\n").filter((line) => line !== "");
  }

  /**
   * Sets an outlet's value behind the driver's back (as the PDU's own panel would). snmpd
   * reuses the output of a `pass` command for up to 30 s while the same command repeats, so do
   * this before the agent first reads that outlet (or after some other request).
   */
  async writeOutlet(plug: number, value: number): Promise<void> {
    await Deno.writeTextFile(`${this.dir}/state/outlet.${plug}`, `${value}\n`);
  }

  /** Makes the outlet table refuse SETs (`notWritable`) or accept them again. */
  async setReadOnly(readOnly: boolean): Promise<void> {
    const flag = `${this.dir}/state/read-only`;
    if (readOnly) await Deno.writeTextFile(flag, "");
    else await Deno.remove(flag);
  }

  /** Reads an integer with the `snmpget` command (v2c, community `community`). */
  async snmpget(oid: string, community: string): Promise<string> {
    const { code, stdout, stderr } = await new Deno.Command("snmpget", {
      args: ["-v2c", "-c", community, "-Oqv", "-t", "2", `127.0.0.1:${this.port}`, oid],
      env: {
        SNMPCONFPATH: `${this.dir}/client`,
        SNMP_PERSISTENT_DIR: `${this.dir}/client`,
        MIBS: "",
      },
    }).output();
    const decoder = new TextDecoder();
    if (code !== 0) throw new Error(`snmpget failed: ${decoder.decode(stderr)}`);
    return decoder.decode(stdout).trim();
  }

  /** What snmpd logged so far. */
  get output(): string {
    return this.#output.join("\n");
  }

  async stop(): Promise<void> {
    try {
      this.#process.kill("SIGTERM");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // already exited
    }
    await this.#process.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function lines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}
