/**
 * Test support: the python-can peer (`python_can_peer.py`, real python-can on the udp_multicast
 * bus) as a process, and the lines it prints; and a network namespace where multicast reaches
 * the loopback interface, for a peer and an exporter to share (`unshare -n`, as root).
 */

const PEER = new URL("./python_can_peer.py", import.meta.url).pathname;

/** Lines the peer prints, as they come. */
export class PeerOutput {
  readonly lines: string[] = [];
  #wake: (() => void) | undefined;

  constructor(stdout: ReadableStream<Uint8Array>) {
    void (async () => {
      let pending = "";
      for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop()!;
        this.lines.push(...parts);
        this.#wake?.();
      }
    })();
  }

  async waitFor(line: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.lines.includes(line)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `the peer did not print "${line}"; it printed ${JSON.stringify(this.lines)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Starts the peer on `group` (inside `enter`: a command prefix, e.g. `nsenter -t PID -n`). */
export function startPeer(group: string, enter: string[] = []): {
  process: Deno.ChildProcess;
  output: PeerOutput;
} {
  const [program, ...args] = [...enter, "/usr/bin/python3", PEER, group];
  const process = new Deno.Command(program!, {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return { process, output: new PeerOutput(process.stdout) };
}

/** A network namespace with `lo` up and multicast routed to it; dispose to end it. */
export interface MulticastNetns extends AsyncDisposable {
  /** The prefix running a command inside it. */
  readonly enter: string[];
}

/** Creates a {@linkcode MulticastNetns} (root only). */
export async function multicastNetns(): Promise<MulticastNetns> {
  const holder = new Deno.Command("unshare", {
    args: [
      "-n",
      "sh",
      "-c",
      "ip link set lo up && ip route add 224.0.0.0/4 dev lo && echo ready && exec sleep infinity",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = new PeerOutput(holder.stdout);
  const stderr = new Response(holder.stderr).text();
  const end = async () => {
    try {
      holder.kill("SIGKILL");
    } catch { /* already gone */ }
    await holder.status;
  };
  try {
    await output.waitFor("ready");
  } catch (error) {
    await end();
    throw new Error(`cannot make a network namespace: ${await stderr}`, { cause: error });
  }
  return {
    enter: ["nsenter", "-t", String(holder.pid), "-n"],
    [Symbol.asyncDispose]: async () => {
      await end();
      await stderr;
    },
  };
}
