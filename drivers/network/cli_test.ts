import assert from "node:assert/strict";
import type { Command } from "commander";
import { serve } from "@jumpstarter/lib/testing";
import { TcpNetwork } from "./driver.ts";
import { NetworkClient } from "./client.ts";
import { networkCli, type NetworkCliIo } from "./cli.ts";
import { curl, exchange } from "./_testing/peers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const context = { progress: () => () => {} };

function quiet(program: Command): Command {
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  return program;
}

/** Runs `args` until the first printed line, then returns it and a way to stop the command. */
async function start(client: NetworkClient, args: string[], errors: string[] = []) {
  const abort = new AbortController();
  const printed = Promise.withResolvers<string>();
  const io: NetworkCliIo = {
    print: (line) => printed.resolve(line),
    printError: (line) => errors.push(line),
    signal: abort.signal,
  };
  const program = quiet(networkCli(client, "net", context, io));
  const running = program.parseAsync(args, { from: "user" });
  running.catch((error) => printed.reject(error));
  const line = await printed.promise;
  return {
    line,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

Deno.test("networkCli forward-tcp prints host:port, serves curl, and stops when aborted", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => new Response(`cli forward to ${new URL(request.url).pathname}`),
  );
  await using served = await serve(
    new TcpNetwork({ host: "127.0.0.1", port: server.addr.port }),
    NetworkClient,
  );
  const { line, stop } = await start(served.client, ["forward-tcp", "0"]);
  // upstream's default --address is localhost
  const match = /^127\.0\.0\.1:(\d+)$/.exec(line);
  assert.ok(match, `printed "${line}"`);
  const result = await curl([`http://${line}/via-cli`]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(text(result.stdout), "cli forward to /via-cli");
  await stop();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: Number(match[1]) }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("networkCli forward-tcp --address and a refused target reported on stderr", async () => {
  using closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  await using served = await serve(new TcpNetwork({ host: "127.0.0.1", port }), NetworkClient);
  const errors: string[] = [];
  const { line, stop } = await start(
    served.client,
    ["forward-tcp", "--address", "127.0.0.1", "0"],
    errors,
  );
  const result = await curl([`http://${line}/`]);
  assert.notEqual(result.code, 0);
  await stop();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, new RegExp(`^net: Cannot connect to TCP 127\\.0\\.0\\.1:${port}: `));
});

Deno.test("networkCli forward-unix prints the socket path, serves it, and removes it", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("over the unix forward"),
  );
  await using served = await serve(
    new TcpNetwork({ host: "127.0.0.1", port: server.addr.port }),
    NetworkClient,
  );
  const { line, stop } = await start(served.client, ["forward-unix"]);
  const result = await curl(["--unix-socket", line, "http://board/"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(text(result.stdout), "over the unix forward");
  await stop();
  await assert.rejects(Deno.stat(line), Deno.errors.NotFound);
});

Deno.test("networkCli rejects a bad port", async () => {
  await using served = await serve(new TcpNetwork({ host: "127.0.0.1", port: 9 }), NetworkClient);
  const program = quiet(networkCli(served.client, "net", context, { signal: AbortSignal.abort() }));
  for (const port of ["http", "70000", "-1"]) {
    await assert.rejects(
      program.parseAsync(["forward-tcp", port], { from: "user" }),
      /expected a TCP port|unknown option/,
    );
  }
});

async function runUntilSignal(
  args: string[],
  signal: Deno.Signal,
  use: (line: string) => Promise<void>,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_testing/forward_main.ts", import.meta.url).pathname,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    while (!out.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the forwarder exited early: ${await stderr}`);
      out += value;
    }
    await use(out.trim());
  } finally {
    child.kill(signal);
    await lines.cancel();
  }
  const status = await child.status;
  return { code: status.code, stderr: await stderr };
}

Deno.test("forward-tcp blocks until SIGTERM, then closes cleanly", async () => {
  const result = await runUntilSignal(["forward-tcp", "0"], "SIGTERM", async (line) => {
    const [host, port] = line.split(":");
    const conn = await Deno.connect({ hostname: host!, port: Number(port) });
    assert.equal(text(await exchange(conn, new TextEncoder().encode("echo me"))), "echo me");
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /forwarding stopped/);
});

Deno.test("forward-unix blocks until SIGINT (Ctrl-C), then removes its socket", async () => {
  let path = "";
  const result = await runUntilSignal(["forward-unix"], "SIGINT", async (line) => {
    path = line;
    const conn = await Deno.connect({ transport: "unix", path });
    assert.equal(text(await exchange(conn, new TextEncoder().encode("unix echo"))), "unix echo");
  });
  assert.equal(result.code, 0, result.stderr);
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});
