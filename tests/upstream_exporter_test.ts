/**
 * Our client side against an exporter that behaves like upstream's Python one: a grpcio (C-core)
 * server (tests/upstream_compat/upstream_exporter.py) serving protoc-generated messages, driven by
 * `j` as a subprocess and by the client library in-process. The exporter records every driver
 * call it receives, so each check sees exactly what our client sent.
 *
 * Needs the Debian packages named in tests/upstream_compat/_python.ts; the test fails (never skips)
 * without them. Set PYTHON to choose the interpreter.
 */
import assert from "node:assert/strict";
import { openExporter } from "@jumpstarter/lib/client";
import { clientRegistry } from "../cli/driver_packages.ts";
import { InvalidArgumentError, MethodNotFoundError } from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  describe,
  jmp,
  type RunResult,
} from "./_helpers.ts";
import { findPython, generateStubs, repoPath, terminate } from "./upstream_compat/_python.ts";

const EXPORTER_SCRIPT = repoPath("tests/upstream_compat/upstream_exporter.py");

const POWER_CLIENT = "jumpstarter_driver_power.client.PowerClient";
const COMPOSITE_CLIENT = "jumpstarter_driver_composite.client.CompositeClient";
/** A client class no package provides (as OpendalClient was before issue 13). */
const UNKNOWN_CLIENT = "jumpstarter_driver_unknown.client.UnknownStorageClient";
const ALLOW_DRIVERS = "jumpstarter_driver_*";

const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const J_TIMEOUT_MS = 30_000;
const LOG_TIMEOUT_MS = 10_000;

/** One line of the exporter's calls file. */
interface RecordedCall {
  rpc: "DriverCall" | "StreamingDriverCall";
  uuid: string;
  method: string;
  args: unknown[];
}

/** The Python exporter, running. */
interface PythonExporter {
  socket: string;
  /** Driver UUIDs by dotted export path, as the exporter printed them ("" is the root). */
  uuids: Record<string, string>;
  /** Driver calls recorded since the previous `newCalls()`. */
  newCalls(): Promise<RecordedCall[]>;
  /** SIGTERM (once), then the exit status and stderr; SIGKILL if it does not exit in time. */
  stop(): Promise<{ status: Deno.CommandStatus; stderr: string }>;
}

/** Reads lines from a byte stream, keeping what follows them for the next read. */
class LineReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffered = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line, or `null` at the end of the stream. */
  async line(): Promise<string | null> {
    while (!this.#buffered.includes("\n")) {
      const { done, value } = await this.#reader.read();
      if (done) return null;
      this.#buffered += this.#decoder.decode(value, { stream: true });
    }
    const newline = this.#buffered.indexOf("\n");
    const line = this.#buffered.slice(0, newline);
    this.#buffered = this.#buffered.slice(newline + 1);
    return line;
  }

  /** Everything left, once the stream ends. */
  async rest(): Promise<string> {
    while (true) {
      const { done, value } = await this.#reader.read();
      if (done) break;
      this.#buffered += this.#decoder.decode(value, { stream: true });
    }
    return this.#buffered + this.#decoder.decode();
  }
}

async function startPythonExporter(python: string, dir: string): Promise<PythonExporter> {
  const socket = `${dir}/exporter.sock`;
  const callsFile = `${dir}/calls.jsonl`;
  const stubs = `${dir}/stubs`;
  await Deno.mkdir(stubs);
  await generateStubs(stubs);
  const child = new Deno.Command(python, {
    args: [EXPORTER_SCRIPT, "--socket", socket, "--stubs", stubs, "--calls", callsFile],
    env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = new LineReader(child.stdout);

  let stopping: ReturnType<PythonExporter["stop"]> | undefined;
  let rest: Promise<string> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const status = await terminate(child, SHUTDOWN_TIMEOUT_MS);
      await (rest ??= stdout.rest());
      return { status, stderr: await stderr };
    })();
    return stopping;
  };

  let startupTimer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    startupTimer = setTimeout(() => resolve("timeout"), STARTUP_TIMEOUT_MS);
  });
  const firstLines = (async () => [await stdout.line(), await stdout.line()] as const)();
  const lines = await Promise.race([firstLines, timedOut]);
  clearTimeout(startupTimer);
  if (lines === "timeout" || lines[0] === null || lines[1] === null) {
    const { status, stderr: errors } = await stop();
    await firstLines.catch(() => null);
    assert.fail(
      `the Python exporter did not start (${
        lines === "timeout" ? `no socket path in ${STARTUP_TIMEOUT_MS} ms` : `exit ${status.code}`
      }):\n${errors}`,
    );
  }
  // Keep reading so the exporter never blocks on a full stdout pipe.
  rest = stdout.rest();
  assert.equal(lines[0], socket, "the exporter prints its socket path first");

  let seen = 0;
  return {
    socket,
    uuids: JSON.parse(lines[1]) as Record<string, string>,
    async newCalls() {
      const text = await Deno.readTextFile(callsFile).catch((error) => {
        if (error instanceof Deno.errors.NotFound) return "";
        throw error;
      });
      const calls = text.split("\n").filter((line) => line !== "").map((line) =>
        JSON.parse(line) as RecordedCall
      );
      const fresh = calls.slice(seen);
      seen = calls.length;
      return fresh;
    },
    stop,
  };
}

/** Runs `j ARGS...` against the exporter with the given allow-list. */
function j(exporter: PythonExporter, args: string[], allow = ALLOW_DRIVERS): Promise<RunResult> {
  return jmp(["j", ...args], {
    env: { JUMPSTARTER_HOST: exporter.socket, JMP_DRIVERS_ALLOW: allow },
    unset: ["_JMP_SUPPRESS_DRIVER_WARNINGS"],
    timeoutMs: J_TIMEOUT_MS,
  });
}

function call(
  rpc: RecordedCall["rpc"],
  uuid: string | undefined,
  method: string,
  args: unknown[] = [],
): RecordedCall {
  assert.ok(uuid, `no uuid for the driver of ${method}`);
  return { rpc, uuid, method, args };
}

/** The `Warning: ...` lines of stderr. */
function warnings(result: RunResult): string[] {
  return result.stderr.split("\n").filter((line) => line.startsWith("Warning:"));
}

/** Names listed under "Commands:" in commander's help. */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:\s*$/m)[1] ?? "";
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((match) => match[1]!);
}

Deno.test("our client drives an upstream-like Python exporter", async (t) => {
  const python = await findPython();
  const dir = await Deno.makeTempDir({ prefix: "jmp-upstream-exporter-" });
  let exporter: PythonExporter | undefined;
  try {
    exporter = await startPythonExporter(python, dir);
    const server = exporter;
    const { uuids } = server;
    assert.deepEqual(Object.keys(uuids), ["", "power", "storage", "board", "board.power"]);

    await t.step("j --help lists power and board, leaves the unknown storage out", async () => {
      const result = await j(server, ["--help"]);
      assertExit(result, 0);
      const commands = listedCommands(result.stdout);
      assert.ok(commands.includes("power"), describe(result));
      assert.ok(commands.includes("board"), describe(result));
      assert.ok(!commands.includes("storage"), describe(result));
      assert.equal(warnings(result).length, 1, describe(result));
      assertOutput(result, "stderr", UNKNOWN_CLIENT);
      assert.deepEqual(await server.newCalls(), []);
    });

    await t.step("j power on sends DriverCall on, no args, to power", async () => {
      const result = await j(server, ["power", "on"]);
      assertExit(result, 0);
      assert.deepEqual(await server.newCalls(), [call("DriverCall", uuids.power, "on")]);
    });

    await t.step("j board power off reaches the nested power", async () => {
      const result = await j(server, ["board", "power", "off"]);
      assertExit(result, 0);
      assert.deepEqual(await server.newCalls(), [call("DriverCall", uuids["board.power"], "off")]);
    });

    await t.step("j power read prints both readings", async () => {
      const result = await j(server, ["power", "read"]);
      assertExit(result, 0);
      assert.deepEqual(result.stdout.trim().split("\n"), [
        "voltage=0.0 V  current=0.0 A  apparent_power=0.0 VA",
        "voltage=5.0 V  current=2.0 A  apparent_power=10.0 VA",
      ]);
      assert.deepEqual(await server.newCalls(), [
        call("StreamingDriverCall", uuids.power, "read"),
      ]);
    });

    await t.step("j power cycle --wait 0 switches off, then on", async () => {
      const result = await j(server, ["power", "cycle", "--wait", "0"]);
      assertExit(result, 0);
      assertOutput(result, "stdout", "Power cycling with 0 seconds wait time...");
      assert.deepEqual(await server.newCalls(), [
        call("DriverCall", uuids.power, "off"),
        call("DriverCall", uuids.power, "on"),
      ]);
    });

    await t.step("j power bogus is a usage error", async () => {
      const result = await j(server, ["power", "bogus"]);
      assertExit(result, 1);
      assertNoStackTrace(result);
      assert.deepEqual(await server.newCalls(), []);
    });

    await t.step("a composite-only allow-list keeps power out", async () => {
      const result = await j(server, ["power", "on"], "jumpstarter_driver_composite.*");
      assertExit(result, 1);
      assertNoStackTrace(result);
      const lines = warnings(result);
      assert.ok(
        lines.some((line) => line.includes(POWER_CLIENT) && line.includes("not allowed")),
        describe(result),
      );
      assertOutput(result, "stderr", UNKNOWN_CLIENT);
      assert.deepEqual(await server.newCalls(), []);
    });

    await t.step("the library opens the session and calls power", async () => {
      const seenWarnings: string[] = [];
      await using handle = await openExporter(server.socket, {
        registry: clientRegistry,
        policy: { allow: [ALLOW_DRIVERS], unsafe: false },
        onWarning: (message) => seenWarnings.push(message),
      });
      assert.equal(handle.root.uuid, uuids[""]);
      assert.equal(handle.root.clientClass, COMPOSITE_CLIENT);
      assert.deepEqual([...handle.root.children.keys()], ["power", "storage", "board"]);
      // Only what is unknown falls back: storage's class (and CompositeClient, whose module this
      // file does not import), never the allowed and imported PowerClient.
      const about = (path: string) => seenWarnings.filter((message) => message.includes(path));
      assert.equal(about(UNKNOWN_CLIENT).length, 1, seenWarnings.join("\n"));
      assert.deepEqual(about(POWER_CLIENT), [], seenWarnings.join("\n"));
      for (const message of seenWarnings) assert.match(message, /is not available$/);

      const power = handle.root.child("power", PowerClient);
      assert.equal(power.uuid, uuids.power);
      assert.equal(power.description, "Power control");
      const boardPower = handle.root.children.get("board")?.children.get("power");
      assert.ok(boardPower instanceof PowerClient);
      assert.equal(boardPower.uuid, uuids["board.power"]);
      assert.equal(boardPower.description, undefined);

      await power.on();
      assert.deepEqual(await server.newCalls(), [call("DriverCall", uuids.power, "on")]);

      const readings = [];
      for await (const reading of power.read()) readings.push(reading);
      assert.deepEqual(readings, [{ voltage: 0, current: 0 }, { voltage: 5, current: 2 }]);

      await assert.rejects(power.call("read"), (error) => {
        assert.ok(error instanceof MethodNotFoundError, String(error));
        assert.match(error.message, /^method read missing marker /);
        return true;
      });
      await assert.rejects(power.call("bogus"), (error) => {
        assert.ok(error instanceof MethodNotFoundError, String(error));
        assert.equal(error.message, "method bogus not found on driver");
        return true;
      });
      await assert.rejects(power.call("on", 1), InvalidArgumentError);
      await assert.rejects(async () => {
        for await (const _ of power.streamingCall("on")) assert.fail("on is not a stream");
      }, (error) => {
        assert.ok(error instanceof MethodNotFoundError, String(error));
        assert.equal(error.message, "method on missing marker marker_streamingdrivercall");
        return true;
      });

      // The unknown storage client stays reachable through the generic calls.
      const storage = handle.root.children.get("storage");
      assert.ok(storage !== undefined);
      assert.equal(storage.uuid, uuids.storage);
      assert.equal(await storage.call("exists", "/"), true);
      const listed: unknown[] = [];
      await assert.rejects(async () => {
        for await (const entry of storage.streamingCall("list", "/")) listed.push(entry);
      }, (error) => {
        assert.ok(error instanceof InvalidArgumentError, String(error));
        assert.match(error.message, /^cannot list \/: /);
        return true;
      });
      assert.deepEqual(listed, ["/boot"], "the entry sent before the error is delivered");

      assert.deepEqual(await server.newCalls(), [
        call("StreamingDriverCall", uuids.power, "read"),
        call("DriverCall", uuids.power, "read"),
        call("DriverCall", uuids.power, "bogus"),
        call("DriverCall", uuids.power, "on", [1]),
        call("StreamingDriverCall", uuids.power, "on"),
        call("DriverCall", uuids.storage, "exists", ["/"]),
        call("StreamingDriverCall", uuids.storage, "list", ["/"]),
      ]);
    });

    await t.step("LogStream delivers the power records", async () => {
      await using handle = await openExporter(server.socket, {
        registry: clientRegistry,
        policy: { allow: [ALLOW_DRIVERS], unsafe: false },
      });
      await handle.root.child("power", PowerClient).on();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), LOG_TIMEOUT_MS);
      const records: { uuid: string; severity: string; message: string }[] = [];
      try {
        const stream = handle.connection.exporter.logStream({}, { signal: abort.signal });
        for await (const { uuid, severity, message } of stream) {
          records.push({ uuid, severity, message });
          if (message === "power on") break;
        }
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      } finally {
        clearTimeout(timer);
      }
      const powerOn = records.find((record) => record.message === "power on");
      assert.deepEqual(
        powerOn,
        { uuid: "", severity: "INFO", message: "power on" },
        [
          `records in ${LOG_TIMEOUT_MS} ms:`,
          ...records.map((record) => JSON.stringify(record)),
        ].join("\n"),
      );
    });

    const stopped = await server.stop();
    assert.equal(stopped.status.code, 0, `the Python exporter failed:\n${stopped.stderr}`);
  } finally {
    await exporter?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
