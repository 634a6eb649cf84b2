/**
 * `j serial pipe` as real processes, our `j` and upstream's (HEAD), against our exporter with a
 * shell (or a bare pty) as the board: piped input keeps getting answers after stdin's EOF, and
 * every flag upstream has (-o, -a, -i, --no-input, --no-output, and the combinations it
 * refuses) does what upstream's does.
 */
import assert from "node:assert/strict";
import { Composite } from "@jumpstarter/lib/driver";
import { serve } from "@jumpstarter/lib/testing";
import { PySerial } from "./driver.ts";
import { ptyPair, ptyShell, tempDir, waitFor } from "./_testing/pty.ts";
import { TtyPort } from "./tty_port.ts";
import { driverPackage } from "./package.ts";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";

const PACKAGES = [driverPackage];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const J_TIMEOUT_MS = 60_000;

type Which = "ours" | "upstream";

/** A running `j ARGS...` whose stdout and stderr are collected as they come. */
class JProcess {
  readonly child: Deno.ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<Deno.CommandStatus>;

  constructor(
    readonly which: Which,
    host: string,
    args: string[],
    stdin: string | null,
  ) {
    const peer = which === "upstream" ? upstreamPeer("head") : undefined;
    const command = peer ? peer.j : `${REPO}bin/j`;
    this.child = new Deno.Command(command, {
      args,
      env: { ...(peer?.env ?? {}), JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: stdin === null ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(J_TIMEOUT_MS),
    }).spawn();
    if (stdin !== null) {
      const writer = this.child.stdin.getWriter();
      writer.write(encoder.encode(stdin)).then(() => writer.close()).catch(() => {});
    }
    const collect = async (from: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      const text = new TextDecoder();
      for await (const chunk of from) this[into] += text.decode(chunk, { stream: true });
    };
    this.done = Promise.all([
      collect(this.child.stdout, "stdout"),
      collect(this.child.stderr, "stderr"),
    ]).then(() => this.child.status);
  }

  describe(): string {
    return `stdout: ${JSON.stringify(this.stdout)}\nstderr: ${JSON.stringify(this.stderr)}`;
  }

  /** Waits until stdout shows `pattern`. */
  async sees(pattern: RegExp, what: string): Promise<void> {
    await waitFor(
      what,
      () => pattern.test(this.stdout) || undefined,
      30_000,
      () => this.describe(),
    );
  }

  /**
   * Ctrl+C, then checks the exit: ours exits 2 saying "Stopped."; upstream's `j` means to exit 2
   * too, but its SIGINT handler ends in a traceback and exit code 1.
   */
  async interrupt(): Promise<void> {
    this.child.kill("SIGINT");
    const status = await this.done;
    if (this.which === "ours") {
      assert.equal(status.code, 2, this.describe());
      assert.match(this.stderr, /Stopped\./);
    } else {
      assert.notEqual(status.code, 0, this.describe());
    }
  }
}

async function shellBoard() {
  const dir = await tempDir();
  const link = `${dir.path}/console`;
  const shell = await ptyShell(link, "board$ ");
  const root = new Composite();
  root.addChild("serial", new PySerial({ url: link, logDir: `${dir.path}/logs` }));
  const served = await serve(root, undefined, { packages: PACKAGES });
  return {
    dir: dir.path,
    host: served.address,
    [Symbol.asyncDispose]: async () => {
      await served.close();
      await shell.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function ptyBoard() {
  const dir = await tempDir();
  const socat = await ptyPair(`${dir.path}/a`, `${dir.path}/b`);
  const root = new Composite();
  root.addChild("serial", new PySerial({ url: `${dir.path}/a`, logDir: `${dir.path}/logs` }));
  const served = await serve(root, undefined, { packages: PACKAGES });
  const peer = await TtyPort.open(`${dir.path}/b`, 115200);
  let seen = "";
  return {
    dir: dir.path,
    host: served.address,
    peer,
    /** What the board received, once it includes `until`. */
    async received(until: string): Promise<string> {
      while (!seen.includes(until)) seen += decoder.decode((await peer.read())!, { stream: true });
      return seen;
    },
    [Symbol.asyncDispose]: async () => {
      await peer.close();
      await served.close();
      await socat.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

for (const which of ["ours", "upstream"] as const) {
  Deno.test(`${which} j serial pipe: piped input gets its answers after stdin's EOF`, async () => {
    await using board = await shellBoard();
    const j = new JProcess(which, board.host, ["serial", "pipe"], "echo $((6*7))\n");
    await j.sees(/\r\n42\r\n/, "the board's answer after stdin ended");
    await j.interrupt();
    assert.match(j.stderr, /Bidirectional mode \(auto-detected piped stdin\)/);
  });

  Deno.test(`${which} j serial pipe -o FILE, then -a: the output goes to the file`, async () => {
    await using board = await shellBoard();
    const file = `${board.dir}/serial.log`;
    const first = new JProcess(
      which,
      board.host,
      ["serial", "pipe", "-o", file],
      "echo one$((0+1))\n",
    );
    await waitFor(
      "one1 in the file",
      async () => {
        const text = await Deno.readTextFile(file).catch(() => "");
        return text.includes("one1\r\n") || undefined;
      },
      30_000,
      () => first.describe(),
    );
    await first.interrupt();
    assert.equal(first.stdout, "", "with -o nothing goes to stdout");
    assert.match(first.stderr, new RegExp(`Bidirectional mode .* with logging to ${file}`));
    const before = await Deno.readTextFile(file);

    const second = new JProcess(
      which,
      board.host,
      ["serial", "pipe", "-o", file, "-a"],
      "echo two$((1+1))\n",
    );
    await waitFor(
      "two2 appended",
      async () => {
        const text = await Deno.readTextFile(file);
        return text.includes("two2\r\n") || undefined;
      },
      30_000,
      () => second.describe(),
    );
    await second.interrupt();
    assert.ok((await Deno.readTextFile(file)).startsWith(before), "-a kept the earlier output");

    const third = new JProcess(which, board.host, ["serial", "pipe", "-o", file], "echo three\n");
    await waitFor(
      "the file rewritten",
      async () => {
        const text = await Deno.readTextFile(file);
        return (text.includes("three") && !text.includes("one1")) || undefined;
      },
      30_000,
      () => third.describe(),
    );
    await third.interrupt();
  });

  Deno.test(`${which} j serial pipe --no-output sends stdin and exits at its end`, async () => {
    await using board = await ptyBoard();
    const j = new JProcess(which, board.host, ["serial", "pipe", "--no-output"], "fire\n");
    const status = await j.done;
    assert.equal(status.code, 0, j.describe());
    assert.match(j.stderr, /Fire-and-forget mode/);
    assert.equal(await board.received("fire\n"), "fire\n");
  });

  Deno.test(`${which} j serial pipe --no-input reads only; -i forces input`, async () => {
    await using board = await ptyBoard();
    const reader = new JProcess(which, board.host, ["serial", "pipe", "--no-input"], "ignored\n");
    await waitFor("the read-only status", () => /read-only/.test(reader.stderr) || undefined);
    await waitFor(
      "the board's output on stdout",
      async () => {
        await board.peer.write(encoder.encode("from-board\n"));
        return reader.stdout.includes("from-board") || undefined;
      },
      30_000,
      () => reader.describe(),
    );
    await reader.interrupt();

    const forced = new JProcess(which, board.host, ["serial", "pipe", "-i"], "forced\n");
    // the board got "forced" and nothing before it: --no-input sent nothing
    assert.equal(await board.received("forced\n"), "forced\n");
    await forced.interrupt();
    assert.match(forced.stderr, /Bidirectional mode \(forced input mode\)/);
  });

  Deno.test(`${which} j serial pipe refuses the flag combinations upstream refuses`, async () => {
    await using board = await ptyBoard();
    const cases: [string[], RegExp][] = [
      [["-i", "--no-input"], /Cannot use both --input and --no-input/],
      [["--no-output", "-o", "x"], /Cannot use both --no-output and --output/],
      [["-a"], /--append requires --output/],
      [["--no-output", "--no-input"], /--no-output requires stdin input/],
    ];
    for (const [flags, message] of cases) {
      const j = new JProcess(which, board.host, ["serial", "pipe", ...flags], "");
      const status = await j.done;
      assert.notEqual(status.code, 0, `${flags.join(" ")} was accepted\n${j.describe()}`);
      assert.match(j.stderr, message);
    }
  });
}

Deno.test("our j serial pipe through upstream HEAD's exporter: answers after stdin's EOF", async () => {
  await using dir = await tempDir();
  const link = `${dir.path}/console`;
  await using _shell = await ptyShell(link, "board$ ");
  await using upstream = await serveWithUpstream(
    upstreamPeer("head"),
    `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: serial }
endpoint: ""
token: ""
export:
  serial:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config: { url: "${link}" }
`,
    [driverPackage],
  );
  const j = new JProcess("ours", upstream.socket, ["serial", "pipe"], "echo $((6*7))\n");
  await j.sees(/\r\n42\r\n/, "the board's answer after stdin ended");
  await j.interrupt();
});
