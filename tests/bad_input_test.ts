/**
 * Inputs that once crashed, hung or printed a stack trace (issue 10, item 14): each now gives one
 * `Error: ...` line naming the file, line and field (or the flag), exit 1 (2 for a `jmp` usage
 * error), and no trace.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  describe,
  jmp,
  type RunResult,
  spawnJmp,
  tempDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n" +
  "metadata: { namespace: default, name: bad }\n";
const TIMEOUT_MS = 20_000;

function oneLine(result: RunResult, code: number): string {
  assertExit(result, code);
  assertNoStackTrace(result);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected a one-line error; ${describe(result)}`);
  return lines[0]!;
}

async function shellWith(path: string): Promise<string> {
  const result = await jmp(["shell", "--exporter-config", path, "--", "true"], {
    timeoutMs: TIMEOUT_MS,
  });
  return oneLine(result, 1);
}

Deno.test("a YAML alias that contains itself is refused at its position", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.path}/recursive.yaml`;
  await Deno.writeTextFile(path, `${HEADER}export: &lab\n  board:\n    children: *lab\n`);
  assert.equal(
    await shellWith(path),
    `Error: ${path}:6:15: Alias "lab" refers to a value that contains it at export.board.children`,
  );
});

Deno.test("a device, a FIFO or a huge file as config is refused without reading it", async () => {
  await using tmp = await tempDir();
  const fifo = `${tmp.path}/config.fifo`;
  const mkfifo = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(mkfifo.success, "mkfifo failed");
  const huge = `${tmp.path}/huge.yaml`;
  await Deno.writeTextFile(huge, `${HEADER}# ${"x".repeat(2 * 1024 * 1024)}\n`);
  assert.equal(
    await shellWith("/dev/zero"),
    "Error: /dev/zero: Expected a regular config file, found a character device",
  );
  assert.equal(
    await shellWith(fifo),
    `Error: ${fifo}: Expected a regular config file, found a FIFO`,
  );
  assert.equal(await shellWith(huge), `Error: ${huge}: Config file is larger than 1 MiB`);
});

Deno.test("proxies that name each other are a cycle, a chain of proxies resolves", async () => {
  await using tmp = await tempDir();
  const cycle = `${tmp.path}/cycle.yaml`;
  await Deno.writeTextFile(cycle, `${HEADER}export:\n  a: { ref: b }\n  b: { ref: a }\n`);
  assert.equal(
    await shellWith(cycle),
    `Error: ${cycle}:5:13: Reference "b" is part of a cycle (a, b) at export.a.ref`,
  );
  const chain = `${tmp.path}/chain.yaml`;
  await Deno.writeTextFile(
    chain,
    `${HEADER}export:\n  a: { ref: b }\n  b: { ref: c }\n  c: { type: MockPower }\n`,
  );
  const result = await jmp(["shell", "--exporter-config", chain, "--", "j", "a", "read"], {
    timeoutMs: TIMEOUT_MS,
    env: { JMP_DRIVERS_ALLOW: "UNSAFE" },
  });
  assertExit(result, 0);
});

Deno.test("a listener address that is not HOST:PORT is a usage error naming the flag", async () => {
  const result = await jmp([
    "run",
    "--exporter-config",
    VIRTUAL_LAB,
    "--tls-grpc-listener",
    "abc:def",
    "--tls-grpc-insecure",
  ], { timeoutMs: TIMEOUT_MS });
  assert.equal(
    oneLine(result, 2),
    'Error: --tls-grpc-listener: Expected [HOST:]PORT with a port from 0 to 65535, got "abc:def"',
  );
});

Deno.test("a listener on a port in use names the address and the reason", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(taken.addr as Deno.NetAddr).port}`;
  const result = await jmp([
    "run",
    "--exporter-config",
    VIRTUAL_LAB,
    "--tls-grpc-listener",
    address,
    "--tls-grpc-insecure",
  ], { timeoutMs: TIMEOUT_MS });
  assert.match(oneLine(result, 1), new RegExp(`^Error: Cannot listen on ${address}: .*in use`));
});

Deno.test("j without the driver in its allow-list says so instead of a usage error", async () => {
  await using served = spawnJmp(["run", "--exporter-config", VIRTUAL_LAB]);
  const socket = await served.firstLine;
  const result = await jmp(["j", "power", "on"], {
    timeoutMs: TIMEOUT_MS,
    env: { JUMPSTARTER_HOST: socket, _JMP_SUPPRESS_DRIVER_WARNINGS: "1" },
  });
  const line = oneLine(result, 1);
  assert.match(line, /^Error: Driver client "jumpstarter_driver_power\.client\.PowerClient"/);
  assert.match(line, /not allowed by the driver allow-list .*JMP_DRIVERS_ALLOW/);
  await served.stop("SIGTERM");
});

Deno.test("a malformed endpoint list is one line naming the file, the position and the field", async () => {
  await using tmp = await tempDir();
  const client = `${tmp.path}/alice.yaml`;
  await Deno.writeTextFile(
    client,
    "apiVersion: jumpstarter.dev/v1alpha1\nkind: ClientConfig\n" +
      "metadata: { namespace: default, name: alice }\n" +
      "endpoint: ctl-a.lab:8082,ctl-b.lab:8082\ntoken: t\n",
  );
  const exporter = `${tmp.path}/bench.yaml`;
  await Deno.writeTextFile(
    exporter,
    `${HEADER}endpoint: ipv4:10.0.0.1:8082,ctl-b.lab:8082\ntoken: t\n`,
  );
  const get = oneLine(
    await jmp(["get", "exporters", "--client-config", client], { timeoutMs: TIMEOUT_MS }),
    1,
  );
  assert.match(
    get,
    new RegExp(
      `^Error: ${client}:4:11: Expected a gRPC target \\(HOST:PORT, dns:NAME:PORT or ` +
        `ipv4:IP:PORT,IP:PORT\\), got "ctl-a.lab:8082,ctl-b.lab:8082": several addresses are ` +
        `written ipv4:IP:PORT,IP:PORT .* at endpoint$`,
    ),
  );
  const run = oneLine(
    await jmp(["run", "--exporter-config", exporter], { timeoutMs: TIMEOUT_MS }),
    1,
  );
  assert.match(run, /:4:11: .*"ctl-b\.lab:8082" is not an IPv4 address \(IP:PORT\) at endpoint$/);
});
