import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { DriverError } from "@jumpstarter/lib/wire";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CorelliumEmulator, MODEL, PROJECT } from "./_testing/corellium_emulator.ts";
import { CONFIG, packagesReading, served } from "./_testing/corellium_lab.ts";
import { Corellium } from "./driver.ts";

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected the call to fail");
}

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
) {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) {
      assert.fail(
        `the console ended before "${text}"; it sent ${JSON.stringify(seen)}`,
      );
    }
    seen += new TextDecoder().decode(value);
  }
  return seen;
}

Deno.test("CorelliumPower creates, starts, stops and destroys an instance as upstream calls the API", async () => {
  await using emulator = await CorelliumEmulator.start();
  const { session, power } = await served(emulator);
  await using _ = session;

  await power.on();
  const [instance] = [...emulator.instances.values()];
  assert.equal(instance?.state, "on");
  assert.equal(instance.name, "jmp-rd1ae");
  assert.equal(instance.os, "1.1.1");
  assert.equal(instance.osbuild, "Critical Application Monitor (Baremetal)");
  const create = emulator.requests.find((request) => request.method === "POST");
  assert.deepEqual(create, {
    method: "POST",
    path: "/api/v1/instances",
    body: {
      name: "jmp-rd1ae",
      project: PROJECT.id,
      flavor: MODEL.flavor,
      os: "1.1.1",
      osbuild: "Critical Application Monitor (Baremetal)",
    },
  });

  emulator.requests.length = 0;
  await power.cycle({ wait: 0.01 });
  assert.equal(instance.state, "on");
  const writes = emulator.requests.filter((request) => request.method !== "GET");
  assert.deepEqual(writes, [
    {
      method: "PUT",
      path: `/api/v1/instances/${instance.id}/state`,
      body: { state: "off" },
    },
    {
      method: "PUT",
      path: `/api/v1/instances/${instance.id}/state`,
      body: { state: "on" },
    },
  ]);

  await power.off({ destroy: true });
  assert.equal(emulator.instances.size, 0);
  assert.deepEqual(emulator.requests.find((request) => request.method === "DELETE"), {
    method: "DELETE",
    path: `/api/v1/instances/${instance.id}`,
    body: undefined,
  });
  const error = await failure(power.off());
  assert.ok(error instanceof DriverError);
  assert.equal(error.message, "Instance does not exist: jmp-rd1ae");
});

Deno.test("CorelliumConsole relays a console session over the instance's websocket", async () => {
  await using emulator = await CorelliumEmulator.start();
  const { session, power, serial } = await served(emulator);
  await using _ = session;
  await power.on();
  const [instance] = [...emulator.instances.values()];

  const stream = await serial.connect();
  const reader = stream.readable.getReader();
  assert.match(await readUntil(reader, "console\r\n"), /^jmp-rd1ae console/);
  const writer = stream.writable.getWriter();
  await writer.write(new TextEncoder().encode("uname -a\r"));
  await readUntil(reader, "you said: uname -a\r\n");
  assert.equal(emulator.consoleInput.get(instance!.id), "uname -a\r");
  assert.ok(
    emulator.requests.some((request) =>
      request.path === `/api/v1/instances/${instance!.id}/console?type=2-cons`
    ),
    "the console URL was not asked with type=2-cons (Primary Compute Non-Secure)",
  );
  await writer.close();
  reader.releaseLock();
});

Deno.test("Corellium API errors surface as one line and the exporter keeps serving", async () => {
  await using emulator = await CorelliumEmulator.start();
  const { session, power, serial } = await served(emulator);
  await using _ = session;

  const cases: [number, string, RegExp][] = [
    [
      401,
      `{"error": "Unauthorized"}`,
      /GET .*\/api\/v1\/projects: HTTP 401: Unauthorized$/,
    ],
    [404, `{"error": "Project not found"}`, /HTTP 404: Project not found$/],
    [
      502,
      "<html>Bad Gateway</html>",
      /HTTP 502, not JSON: <html>Bad Gateway<\/html>$/,
    ],
  ];
  for (const [status, body, expected] of cases) {
    emulator.fail("GET", "/api/v1/projects", status, body);
    const error = await failure(power.on());
    assert.ok(error instanceof DriverError, `HTTP ${status}: ${error}`);
    assert.match(error.message, expected);
    assert.ok(
      !error.message.includes("\n"),
      `more than one line: ${error.message}`,
    );
  }
  emulator.fail("POST", "/api/v1/instances", 500, `{"error": "Internal error"}`);
  assert.match(
    (await failure(power.on())).message,
    /POST .*: HTTP 500: Internal error$/,
  );
  assert.equal(emulator.instances.size, 0);

  const console = await failure(serial.connect());
  assert.match(console.message, /Instance does not exist: jmp-rd1ae/);

  await power.on();
  assert.equal([...emulator.instances.values()][0]?.state, "on");
});

Deno.test("Corellium reports a wrong token and an unreachable API host clearly", async () => {
  await using emulator = await CorelliumEmulator.start();
  {
    const { session, power } = await served(emulator, { token: "wrong-token" });
    await using _ = session;
    const error = await failure(power.on());
    assert.match(
      error.message,
      /HTTP 403: Invalid or missing authorization token$/,
    );
  }
  const { session, power, serial } = await served(emulator, {
    host: "127.0.0.1:1",
  });
  await using _ = session;
  for (const call of [power.on(), serial.connect()]) {
    const error = await failure(call);
    assert.ok(error instanceof DriverError);
    assert.match(
      error.message,
      /^Corellium API GET https:\/\/127\.0\.0\.1:1\/api\/v1\/projects failed: /,
    );
    assert.ok(
      !error.message.includes("\n"),
      `more than one line: ${error.message}`,
    );
  }
});

Deno.test("Corellium refuses to start without its API host and token", async () => {
  const build = buildDriverTree(parseExporterConfig(CONFIG, "corellium.yaml"), {
    registry: driverRegistryOf(packagesReading({ CORELLIUM_API_TOKEN: "x" })),
  });
  assert.match(
    (await failure(build)).message,
    /^corellium\.yaml:4:11: Cannot start driver .*Missing "CORELLIUM_API_HOST" environment variable/,
  );
  const blank = buildDriverTree(parseExporterConfig(CONFIG, "corellium.yaml"), {
    registry: driverRegistryOf(
      packagesReading({ CORELLIUM_API_HOST: "127.0.0.1:1", CORELLIUM_API_TOKEN: "  " }),
    ),
  });
  assert.match(
    (await failure(blank)).message,
    /"CORELLIUM_API_TOKEN" environment variable is empty/,
  );
});

Deno.test("Corellium keeps working after a session's end closed it", async () => {
  await using emulator = await CorelliumEmulator.start();
  const { session, power } = await served(emulator);
  await using _ = session;
  await power.on();
  const board = session.session.root.children.get("rd1ae");
  assert.ok(board instanceof Corellium);
  await board.close();
  await power.off();
  assert.equal([...emulator.instances.values()][0]?.state, "off");
});
