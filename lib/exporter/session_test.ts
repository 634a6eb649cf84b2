import assert from "node:assert/strict";
import { z } from "zod";
import {
  defineInterface,
  Driver,
  type ExportedMethod,
  exportMethods,
  streaming,
  unary,
} from "@jumpstarter/lib/driver";
import { DriverClient } from "@jumpstarter/lib/client";
import {
  DriverError,
  InvalidArgumentError,
  MethodNotFoundError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { serve } from "@jumpstarter/lib/testing";
import { ExporterStatus, LogSource } from "@jumpstarter/protos";

const calcInterface = defineInterface({
  client: "tests.CalcClient",
  methods: {
    add: unary([z.number(), z.number()]),
    greet: unary([z.string(), z.string().optional()]),
    count: streaming([z.number().int().min(0)]),
    explode: unary([]),
    unfinished: unary([]),
    infinite: unary([]),
  },
});

class Calc extends Driver {
  readonly interface = calcInterface;
  calls = 0;

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(calcInterface, {
      add: (a, b) => {
        this.calls++;
        return a + b;
      },
      greet: (name, greeting) => `${greeting ?? "hello"} ${name}`,
      count: async function* (n) {
        for (let i = 0; i < n; i++) yield i;
        if (n > 5) throw new Error("counted too far");
      },
      explode: () => {
        throw new Error("the driver blew up");
      },
      unfinished: () => {
        throw new MethodNotImplementedError("not on this board");
      },
      infinite: () => Infinity,
    });
  }
}

class Root extends Driver {
  readonly interface = defineInterface({ client: "tests.Root", methods: {} });
  protected exportedMethods(): Map<string, ExportedMethod> {
    return new Map();
  }
}

async function served() {
  const root = new Root();
  const calc = new Calc();
  root.addChild("calc", calc);
  const handle = await serve(root);
  return { handle, calc, client: handle.client.children.get("calc")! };
}

Deno.test("Session serves unary calls with positional arguments", async () => {
  const { handle, client, calc } = await served();
  await using _ = handle;
  assert.equal(await client.call("add", 2, 3), 5);
  assert.equal(await client.call("greet", "board"), "hello board");
  assert.equal(await client.call("greet", "board", "hi"), "hi board");
  assert.equal(calc.calls, 1);
});

Deno.test("Session streams items and reports a mid-stream error after them", async () => {
  const { handle, client } = await served();
  await using _ = handle;
  const items: unknown[] = [];
  for await (const item of client.streamingCall("count", 3)) items.push(item);
  assert.deepEqual(items, [0, 1, 2]);
  const seen: unknown[] = [];
  await assert.rejects(async () => {
    for await (const item of client.streamingCall("count", 7)) seen.push(item);
  }, (error: Error) => error instanceof DriverError && /counted too far/.test(error.message));
  // grpc-js clients drop items not yet read when an error status arrives; what does arrive is
  // always an in-order prefix
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6].slice(0, seen.length));
});

Deno.test("Session refuses undeclared methods and wrong call kinds with NOT_FOUND", async () => {
  const { handle, client } = await served();
  await using _ = handle;
  await assert.rejects(client.call("calls"), MethodNotFoundError);
  await assert.rejects(client.call("constructor"), MethodNotFoundError);
  await assert.rejects(client.call("count", 1), /not a DriverCall method/);
  const unknown = new DriverClient({
    uuid: crypto.randomUUID(),
    name: "ghost",
    labels: {},
    description: undefined,
    methodsDescription: {},
    connection: handle.handle.connection,
  });
  await assert.rejects(unknown.call("add", 1, 2), /driver .* not found/);
});

Deno.test("Session rejects bad arguments with INVALID_ARGUMENT and the reason", async () => {
  const { handle, client } = await served();
  await using _ = handle;
  await assert.rejects(
    client.call("add", 1),
    (e: Error) =>
      e instanceof InvalidArgumentError && /expected 2 argument\(s\), got 1/.test(e.message),
  );
  await assert.rejects(client.call("add", 1, 2, 3), /expected 2 argument\(s\), got 3/);
  await assert.rejects(
    client.call("add", 1, "two"),
    (e: Error) => e instanceof InvalidArgumentError && /argument 2 is invalid/.test(e.message),
  );
  await assert.rejects(
    async () => {
      for await (const _ of client.streamingCall("count", -1)) { /* none */ }
    },
    InvalidArgumentError,
  );
});

Deno.test("Session keeps serving after a driver throws, and logs the failure", async () => {
  const { handle, client } = await served();
  await using _ = handle;
  const logs = handle.session.logs.subscribe();
  await assert.rejects(
    client.call("explode"),
    (e: Error) => e instanceof DriverError && e.message === "the driver blew up",
  );
  await assert.rejects(client.call("unfinished"), MethodNotImplementedError);
  await assert.rejects(client.call("infinite"), /Cannot encode the result/);
  assert.equal(await client.call("add", 20, 22), 42);
  const first = await logs[Symbol.asyncIterator]().next();
  assert.equal(first.value?.severity, "ERROR");
  assert.match(first.value?.message ?? "", /"explode" failed: the driver blew up/);
  logs.close();
});

Deno.test("Session reports the tree with upstream labels, parents first", async () => {
  const { handle, calc } = await served();
  await using _ = handle;
  const reports = handle.handle.report.reports;
  assert.equal(reports.length, 2);
  assert.equal(reports[0]!.parentUuid, undefined);
  assert.equal(reports[0]!.labels["jumpstarter.dev/client"], "tests.Root");
  assert.equal(reports[1]!.uuid, calc.uuid);
  assert.equal(reports[1]!.parentUuid, reports[0]!.uuid);
  assert.deepEqual(reports[1]!.labels, {
    "jumpstarter.dev/client": "tests.CalcClient",
    "jumpstarter.dev/name": "calc",
  });
});

Deno.test("Session answers GetStatus, EndSession and LogStream over gRPC", async () => {
  const { handle, client } = await served();
  await using _ = handle;
  const exporter = handle.handle.connection.exporter;
  const status = await exporter.getStatus({});
  assert.equal(status.status, ExporterStatus.LEASE_READY);
  handle.session.setStatus(ExporterStatus.AVAILABLE, "idle");
  const changed = await exporter.getStatus({});
  assert.equal(changed.status, ExporterStatus.AVAILABLE);
  assert.equal(changed.previousStatus, ExporterStatus.LEASE_READY);
  assert.equal(changed.statusVersion, status.statusVersion + 1n);
  assert.deepEqual(
    { ...(await exporter.endSession({})), $typeName: undefined },
    { $typeName: undefined, success: false, message: "No active lease context" },
  );

  await assert.rejects(client.call("explode"));
  const records = [];
  for await (const record of exporter.logStream({})) {
    records.push(record);
    break;
  }
  assert.equal(records[0]?.severity, "ERROR");
  assert.equal(records[0]?.source, LogSource.SYSTEM);
  assert.match(records[0]?.message ?? "", /the driver blew up/);
});
