/**
 * A private Debian `mosquitto` broker for tests: its own config and temp dir, a free loopback
 * port, killed and restarted on demand.
 */
import { freePort } from "@jumpstarter/lib/testing";
import { makeCertificates } from "./certs.ts";

const MOSQUITTO = "/usr/sbin/mosquitto";

export { freePort };

/** What the config builder gets: the main port and the broker's private directory. */
export interface BrokerPlace {
  port: number;
  dir: string;
}

/** A running (or stopped) mosquitto with a fixed config. */
export class Mosquitto implements AsyncDisposable {
  readonly port: number;
  readonly dir: string;
  readonly #configPath: string;
  #process: Deno.ChildProcess | undefined;
  #log = "";

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
    this.#configPath = `${dir}/mosquitto.conf`;
  }

  /**
   * Starts a broker whose listeners and settings `configure` writes (the first listener should
   * use `port`); returns once mosquitto says it is running.
   */
  static async start(
    configure: (place: BrokerPlace) => string | Promise<string>,
  ): Promise<Mosquitto> {
    const dir = await Deno.makeTempDir({ prefix: "tasmota-mqtt-" });
    const broker = new Mosquitto(freePort(), dir);
    try {
      const body = await configure({ port: broker.port, dir });
      // as root, mosquitto would switch to the "mosquitto" user and lose access to our files
      const user = Deno.uid() === 0 ? "user root\n" : "";
      await Deno.writeTextFile(broker.#configPath, `${user}persistence false\n${body}\n`);
      await broker.restart();
    } catch (error) {
      await broker.#cleanUp();
      throw error;
    }
    return broker;
  }

  /** The broker's log so far, for failure messages. */
  get log(): string {
    return this.#log;
  }

  /** Starts mosquitto again with the same config (and so on the same port). */
  async restart(): Promise<void> {
    if (this.#process) throw new Error("mosquitto is already running");
    const child = new Deno.Command(MOSQUITTO, {
      args: ["-c", this.#configPath],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#process = child;
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { value, done } = await lines.read();
      if (done) {
        await child.status;
        this.#process = undefined;
        throw new Error(`mosquitto exited before it was running:\n${this.#log}`);
      }
      this.#log += value;
      pending += value;
      if (/mosquitto version \S+ running/.test(pending)) break;
    }
    // keep draining so the broker never blocks on a full pipe
    (async () => {
      for (;;) {
        const { value, done } = await lines.read();
        if (done) return;
        this.#log += value;
      }
    })().catch(() => {});
  }

  /** Kills the broker at once (as a crash would) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    child.kill("SIGKILL");
    await child.status;
  }

  async #cleanUp(): Promise<void> {
    await this.kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#cleanUp();
  }
}

/**
 * A broker config with an anonymous plain listener on `port` and a TLS one on `tlsPort`, its
 * certificate signed by a throw-away CA written to `dir` (`ca.crt`, what a client's `ca_file`
 * names).
 */
export async function plainAndTlsListeners(
  { port, dir }: BrokerPlace,
  tlsPort: number,
): Promise<string> {
  const certs = await makeCertificates(dir);
  return [
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    `listener ${tlsPort} 127.0.0.1`,
    `cafile ${certs.caCert}`,
    `certfile ${certs.serverCert}`,
    `keyfile ${certs.serverKey}`,
  ].join("\n");
}

/** Creates a mosquitto password file holding one user. */
export async function passwordFile(dir: string, user: string, password: string): Promise<string> {
  const path = `${dir}/passwords`;
  const result = await new Deno.Command("mosquitto_passwd", {
    args: ["-b", "-c", path, user, password],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`mosquitto_passwd failed: ${new TextDecoder().decode(result.stderr)}`);
  }
  return path;
}
