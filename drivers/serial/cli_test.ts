/**
 * The serial CLI: in-process on a served client (log, pipe mode, interactive mode with a fake
 * terminal), and as a real process in a real terminal (tmux) against a shell on a pty.
 */
import assert from "node:assert/strict";
import { Composite } from "@jumpstarter/lib/driver";
import { serve, waitingFor, withDeadline } from "@jumpstarter/lib/testing";
import { PySerial } from "./driver.ts";
import { PySerialClient } from "./client.ts";
import { INTERRUPTED_EXIT_CODE, pyserialCli, type SerialCliIo } from "./cli.ts";
import { TtyPort } from "./tty_port.ts";
import { ptyPair, ptyShell, tempDir, waitFor } from "./_testing/pty.ts";
import { isCooked, sttySettings, TmuxPane } from "./_testing/tmux.ts";
import { driverPackage } from "./package.ts";

const PACKAGES = [driverPackage];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function program(client: PySerialClient, io: SerialCliIo) {
  const command = pyserialCli(client, "serial", { progress: () => () => {} }, io);
  for (const sub of [command, ...command.commands]) {
    sub.exitOverride().configureOutput({ writeErr: () => {} });
  }
  return command;
}

function collector() {
  let text = "";
  return {
    stdout: new WritableStream<Uint8Array>({
      write: (chunk) => void (text += decoder.decode(chunk, { stream: true })),
    }),
    text: () => text,
  };
}

async function readPeer(peer: TtyPort, until: string): Promise<string> {
  let seen = "";
  while (!seen.includes(until)) seen += decoder.decode((await peer.read())!, { stream: true });
  return seen;
}

/** A PySerial on one end of a pty pair, served, and the board's end. */
async function board() {
  const dir = await tempDir();
  const socat = await ptyPair(`${dir.path}/a`, `${dir.path}/b`);
  const served = await serve(
    new PySerial({ url: `${dir.path}/a`, logDir: `${dir.path}/logs` }),
    PySerialClient,
  );
  const peer = await TtyPort.open(`${dir.path}/b`, 115200);
  return {
    client: served.client,
    peer,
    [Symbol.asyncDispose]: async () => {
      await peer.close();
      await served.close();
      await socat.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("j serial log prints the session's console output; --path its file", async () => {
  await using b = await board();
  await b.peer.write(encoder.encode("Linux version 6.6.0\r\nlogin: "));
  await waitFor("the output to be logged", async () => {
    let text = "";
    for await (const chunk of b.client.readLog()) text += chunk;
    return text.endsWith("login: ") ? text : undefined;
  });
  const out = collector();
  await program(b.client, { stdout: out.stdout }).parseAsync(["log"], { from: "user" });
  assert.equal(out.text(), "Linux version 6.6.0\r\nlogin: ");

  const path = collector();
  await program(b.client, { stdout: path.stdout }).parseAsync(["log", "--path"], { from: "user" });
  assert.equal(path.text(), `${await b.client.logPath()}\n`);
});

Deno.test("j serial log --follow prints new output until interrupted (exit code 2)", async () => {
  await using b = await board();
  const out = collector();
  const abort = new AbortController();
  const codes: number[] = [];
  const following = program(b.client, {
    stdout: out.stdout,
    signal: abort.signal,
    setExitCode: (code) => codes.push(code),
  }).parseAsync(["log", "-f"], { from: "user" });
  await b.peer.write(encoder.encode("first\r\n"));
  await waitFor("first", () => out.text().includes("first") || undefined);
  await b.peer.write(encoder.encode("second\r\n"));
  await waitFor("second", () => out.text().includes("second") || undefined);
  abort.abort();
  await following;
  assert.equal(out.text(), "first\r\nsecond\r\n");
  assert.deepEqual(codes, [INTERRUPTED_EXIT_CODE]);
});

Deno.test("j serial start-console without a terminal pipes stdin and stdout", async () => {
  await using b = await board();
  const out = collector();
  const stdin = new TransformStream<Uint8Array, Uint8Array>();
  const keys = stdin.writable.getWriter();
  const codes: number[] = [];
  const running = program(b.client, {
    stdin: stdin.readable,
    stdout: out.stdout,
    isTerminal: false,
    setExitCode: (code) => codes.push(code),
  }).parseAsync(["start-console", "--linger", "0.2"], { from: "user" });
  await keys.write(encoder.encode("version\x02\x02\x02\n"));
  assert.equal(await readPeer(b.peer, "\n"), "version\x02\x02\x02\n", "Ctrl-B passes in a pipe");
  await b.peer.write(encoder.encode("v1.2.3\r\n"));
  await waitFor("the answer", () => out.text().includes("v1.2.3") || undefined);
  await keys.close();
  await running;
  // no banner: stdout carries only the device's bytes
  assert.equal(out.text(), "v1.2.3\r\n");
  assert.deepEqual(codes, []);
});

Deno.test("j serial start-console on a terminal: banner, raw mode, Ctrl-B x3, restored", async () => {
  await using b = await board();
  const out = collector();
  const stdin = new TransformStream<Uint8Array, Uint8Array>();
  const keys = stdin.writable.getWriter();
  const modes: boolean[] = [];
  const running = program(b.client, {
    stdin: stdin.readable,
    stdout: out.stdout,
    isTerminal: true,
    setRaw: (raw) => void modes.push(raw),
  }).parseAsync(["start-console"], { from: "user" });
  await keys.write(encoder.encode("reboot\r"));
  assert.equal(await readPeer(b.peer, "\r"), "reboot\r");
  await b.peer.write(encoder.encode("\x1b[31mrebooting\x1b[0m"));
  await waitFor("the output", () => out.text().includes("rebooting") || undefined);
  await keys.write(new Uint8Array([2, 2, 2]));
  await running;
  assert.equal(
    out.text(),
    "Starting serial port console ... exit with CTRL+B x 3 times\n" +
      "\x1b[31mrebooting\x1b[0m\x1b[0m\r\n",
  );
  assert.deepEqual(modes, [true, false]);
  // the port is free again for the next client
  const again = await b.client.connect();
  await again.writable.close();
});

const deno = Deno.execPath();
const config = new URL("../../deno.json", import.meta.url).pathname;
/**
 * How long the terminal may take to show what a step waits for. Generous: on a busy machine a
 * `deno run` starting in the pane alone can take seconds; a wait that fails dumps the screen.
 */
const SCREEN_WAIT_MS = 60_000;
const script = new URL("./_testing/console_main.ts", import.meta.url).pathname;

Deno.test(
  "j serial start-console in a real terminal (tmux) against a shell on a pty",
  withDeadline(180_000, async (t) => {
    await using dir = await tempDir();
    const link = `${dir.path}/console`;
    const shell = await ptyShell(link, "board$ ");
    const root = new Composite();
    root.addChild("serial", new PySerial({ url: link, logDir: `${dir.path}/logs` }));
    await using served = await serve(root, undefined, { packages: PACKAGES });
    const pidFile = `${dir.path}/console.pid`;
    await using pane = await TmuxPane.start(`${dir.path}/tmux.sock`, {
      JUMPSTARTER_HOST: served.address,
      SERIAL_CONSOLE_PIDFILE: pidFile,
    });
    const device = await pane.tty();
    const screen = () => pane.screen();
    const lines = async () => (await screen()).split("\n");
    const command = `${deno} run -A --quiet --config ${config} ${script} serial start-console`;
    /** Starts the console and waits until it has put the terminal in raw mode. */
    const startConsole = async () => {
      await Deno.remove(pidFile).catch(() => {});
      await pane.type(command);
      await pane.press("Enter");
      await waitFor(
        "the raw terminal",
        async () => {
          const settings = await sttySettings(device);
          return settings.includes("-icanon") && settings.includes("-echo ") ? true : undefined;
        },
        SCREEN_WAIT_MS,
        screen,
      );
    };
    /** Waits for the outer shell's prompt, then checks the exit code and that the tty is cooked. */
    let checks = 0;
    const expectBackInShell = async (exitCode: number) => {
      await waitFor(
        "the outer prompt",
        async () => {
          const all = await lines();
          return all.at(-1) === "outer$ " || all.at(-1) === "outer$" ? true : undefined;
        },
        SCREEN_WAIT_MS,
        screen,
      );
      // markers unique to this check, matched as whole output lines (the typed command line
      // shows them inside quotes), so that output of an earlier check is never taken for this one
      const mark = `check${++checks}`;
      await pane.type(`echo "${mark}-exit=$?"; stty -a; echo "${mark}-done"`);
      await pane.press("Enter");
      const settings = await waitFor(
        "stty -a in the pane",
        async () => {
          const all = await lines();
          const from = all.findIndex((line) => line.startsWith(`${mark}-exit=`));
          const to = all.indexOf(`${mark}-done`);
          return from >= 0 && to > from ? all.slice(from, to).join("\n") : undefined;
        },
        SCREEN_WAIT_MS,
        screen,
      );
      assert.match(settings, new RegExp(`^${mark}-exit=${exitCode}\n`));
      assert.ok(isCooked(settings), `not cooked:\n${settings}`);
      assert.ok(isCooked(await sttySettings(device)));
    };
    // the pane's sh does not take PS1 from its environment everywhere: set it by hand
    await pane.type("PS1='outer$ '");
    await pane.press("Enter");
    await waitFor(
      "the outer prompt",
      async () => (await lines()).at(-1) === "outer$" || undefined,
      SCREEN_WAIT_MS,
      screen,
    );

    await t.step("types into the board's shell and leaves with Ctrl-B x3", async () => {
      await startConsole();
      assert.ok(
        (await screen()).includes("Starting serial port console ... exit with CTRL+B x 3 times"),
      );
      await pane.type("echo hel''lo");
      await pane.press("Enter");
      await waitFor(
        "the board's answer",
        async () => {
          return (await lines()).includes("hello") ? true : undefined;
        },
        SCREEN_WAIT_MS,
        screen,
      );
      assert.ok(
        (await lines()).some((line) => line.endsWith("echo hel''lo")),
        "echoed by the board",
      );
      await pane.sendBytes([0x02, 0x02, 0x02]);
      await expectBackInShell(0);
    });

    await t.step("restores the terminal on SIGTERM (exit code 2)", async () => {
      await startConsole();
      const pid = Number(await Deno.readTextFile(pidFile));
      Deno.kill(pid, "SIGTERM");
      await expectBackInShell(2);
    });

    await t.step("restores the terminal when the board goes away (exit code 1)", async () => {
      await startConsole();
      await shell.stop();
      await waitFor(
        "the error",
        async () => {
          return (await screen()).includes(`Error: Serial port ${link} disconnected`)
            ? true
            : undefined;
        },
        SCREEN_WAIT_MS,
        screen,
      );
      await expectBackInShell(1);
    });
  }),
);

Deno.test("j serial start-console as a real process with piped stdin", async () => {
  await using dir = await tempDir();
  const link = `${dir.path}/console`;
  await using _shell = await ptyShell(link, "board$ ");
  const root = new Composite();
  root.addChild("serial", new PySerial({ url: link, logDir: `${dir.path}/logs` }));
  await using served = await serve(root, undefined, { packages: PACKAGES });
  const child = new Deno.Command(deno, {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      config,
      script,
      "serial",
      "start-console",
      "--linger",
      "1.5",
    ],
    env: { JUMPSTARTER_HOST: served.address },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode("echo $((6*7))\n"));
  // stdin ends only once the answer is out: the linger after it is no race against the board
  let stdout = "";
  const answer = Promise.withResolvers<boolean>();
  const drained = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      stdout += chunk;
      if (/echo \$\(\(6\*7\)\)\r\n42\r\n/.test(stdout)) answer.resolve(true);
    }
    answer.resolve(false);
  })();
  const sawAnswer = await waitingFor("the board's answer on stdout", answer.promise, () => stdout);
  await writer.close();
  const { code } = await child.status;
  await drained;
  assert.ok(sawAnswer, `stdout ended without the answer:\n${stdout}\n${await stderr}`);
  assert.equal(code, 0, await stderr);
});
