import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import {
  ConnectionError,
  DriverTimeoutError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { PowerClient, type PowerReading } from "@jumpstarter/driver-power";
import { TasmotaPower } from "./driver.ts";
import { tasmotaConfigSchema } from "./config.ts";
import { freePort, Mosquitto, passwordFile, plainAndTlsListeners } from "./_testing/mosquitto.ts";
import { PlugEmulator } from "./_testing/plug_emulator.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

const DEVICE = "tasmota_1A2B3C";
const METER = { voltage: 230, current: 0.12 };

function anonymous({ port }: { port: number }): string {
  return `listener ${port} 127.0.0.1\nallow_anonymous true`;
}

function plugConfig(port: number, extra: Record<string, unknown> = {}) {
  return {
    host: "127.0.0.1",
    port,
    tls: false,
    timeout: 2,
    "cmnd_topic": `cmnd/${DEVICE}/POWER`,
    "stat_topic": `stat/${DEVICE}/POWER`,
    ...extra,
  };
}

async function take<T>(stream: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

Deno.test("on/off through a session switch the plug, waiting for its state report", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  plug.state = "ON";
  const driver = new TasmotaPower(plugConfig(broker.port));
  {
    await using served = await serve(driver, PowerClient);
    assert.deepEqual(plug.commands, ["OFF"], "the session start switches the plug off");
    assert.equal(plug.state, "OFF");
    await served.client.on();
    assert.equal(plug.state, "ON");
    await served.client.off();
    assert.equal(plug.state, "OFF");
    await served.client.on();
    assert.deepEqual(plug.commands, ["OFF", "ON", "OFF", "ON"]);
  }
  assert.equal(plug.state, "OFF", "the session end switches the plug off");
  assert.deepEqual(plug.commands.at(-1), "OFF");
});

Deno.test("a state the plug reported earlier satisfies the command, as upstream", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  await using served = await serve(new TasmotaPower(plugConfig(broker.port)), PowerClient);
  plug.silent = true;
  await plug.report("ON");
  const sent = plug.nextCommand();
  await served.client.on();
  // The command is still published; the plug may get it after on() returns.
  assert.equal(await sent, "ON", "the command was still sent");
  plug.silent = false;
});

Deno.test("read streams voltage and current from Status 10 polls", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
    meter: METER,
  });
  const config = plugConfig(broker.port, { "read_interval": 0.05 });
  await using served = await serve(new TasmotaPower(config), PowerClient);
  assert.deepEqual(await take(served.client.read(), 1), [{ voltage: 230, current: 0 }]);
  await served.client.on();
  const readings = await take(served.client.read(), 3);
  assert.deepEqual(readings, Array(3).fill(METER));
  assert.ok(plug.statusRequests >= 4, `${plug.statusRequests} Status 10 requests`);
  assert.equal(plug.telemetrySent, 0);
});

Deno.test("read streams the plug's tele SENSOR telemetry", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
    meter: METER,
    answerStatus: false,
    telePeriodMs: 50,
  });
  await using served = await serve(new TasmotaPower(plugConfig(broker.port)), PowerClient);
  await served.client.on();
  const readings: PowerReading[] = await take(served.client.read(), 2);
  assert.deepEqual(readings, [METER, METER]);
  assert.ok(plug.telemetrySent >= 2, `${plug.telemetrySent} telemetry messages`);
});

Deno.test("read says so when the plug has no power meter", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using _plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  await using served = await serve(new TasmotaPower(plugConfig(broker.port)), PowerClient);
  await assert.rejects(
    take(served.client.read(), 1),
    (error: Error) =>
      error instanceof MethodNotImplementedError &&
      error.message.includes(`stat/${DEVICE}/STATUS10`) && /no ENERGY/.test(error.message),
  );
});

Deno.test("a plug that does not answer times out within the timeout; the next call works", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
    meter: METER,
  });
  const timeout = 0.5;
  await using served = await serve(
    new TasmotaPower(plugConfig(broker.port, { timeout })),
    PowerClient,
  );
  plug.silent = true;
  let started = performance.now();
  await assert.rejects(
    served.client.on(),
    (error: Error) =>
      error instanceof DriverTimeoutError &&
      error.message.includes(`did not report ON on stat/${DEVICE}/POWER within 0.5 s`),
  );
  let elapsed = performance.now() - started;
  assert.ok(elapsed >= timeout * 1000 - 20 && elapsed < timeout * 1000 + 1500, `${elapsed} ms`);
  started = performance.now();
  await assert.rejects(
    take(served.client.read(), 1),
    (error: Error) =>
      error instanceof DriverTimeoutError &&
      error.message.includes(`tele/${DEVICE}/SENSOR or stat/${DEVICE}/STATUS10 within 0.5 s`),
  );
  elapsed = performance.now() - started;
  assert.ok(elapsed < timeout * 1000 + 1500, `${elapsed} ms`);
  plug.silent = false;
  await served.client.on();
  assert.equal(plug.state, "ON");
  assert.deepEqual(await take(served.client.read(), 1), [METER]);
});

Deno.test("a broker that dies gives a clear error; after its restart the driver works again", async () => {
  await using broker = await Mosquitto.start(anonymous);
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  const timeout = 3;
  await using served = await serve(
    new TasmotaPower(plugConfig(broker.port, { timeout })),
    PowerClient,
  );
  plug.silent = true;
  const started = performance.now();
  const lost = assert.rejects(
    served.client.on(),
    (error: Error) =>
      error instanceof ConnectionError &&
      error.message.includes(`Lost the connection to MQTT broker mqtt://127.0.0.1:${broker.port}`),
  );
  await plug.nextCommand();
  await broker.kill();
  await lost;
  await assert.rejects(
    served.client.off(),
    (error: Error) =>
      error instanceof ConnectionError &&
      error.message.includes(`Cannot connect to MQTT broker mqtt://127.0.0.1:${broker.port}`),
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < timeout * 1000, `both errors came after ${elapsed} ms`);

  await broker.restart();
  await plug.ready(2);
  plug.silent = false;
  await served.client.on();
  assert.equal(plug.state, "ON");
  await served.client.off();
  assert.equal(plug.state, "OFF");
});

Deno.test("closing the session does not fail when the broker is gone", async () => {
  await using broker = await Mosquitto.start(anonymous);
  const config = plugConfig(broker.port, { timeout: 0.5 });
  const served = await serve(new TasmotaPower(config), PowerClient);
  const warnings: string[] = [];
  served.session.root.logger.setSink((record) => {
    if (record.severity === "WARNING") warnings.push(record.message);
  });
  await broker.kill();
  await served.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Could not switch the plug off at session end: .*127\.0\.0\.1/);
});

Deno.test("wrong credentials are refused with a clear error", async () => {
  await using broker = await Mosquitto.start(async ({ port, dir }) => {
    const passwords = await passwordFile(dir, "lab", "s3cret");
    return `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwords}`;
  });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  await using plug = await PlugEmulator.start({
    url,
    device: DEVICE,
    username: "lab",
    password: "s3cret",
  });
  {
    await using served = await serve(
      new TasmotaPower(plugConfig(broker.port, { username: "lab", password: "wrong" })),
      PowerClient,
    );
    await assert.rejects(
      served.client.on(),
      (error: Error) =>
        error instanceof ConnectionError &&
        error.message.includes(`MQTT broker ${url}`) &&
        /Not authorized|Bad username or password/.test(error.message),
    );
  }
  await using served = await serve(
    new TasmotaPower(plugConfig(broker.port, { username: "lab", password: "s3cret" })),
    PowerClient,
  );
  await served.client.on();
  assert.equal(plug.state, "ON");
});

Deno.test("TLS: the broker's certificate is checked against ca_file", async () => {
  const tlsPort = freePort();
  await using broker = await Mosquitto.start((place) => plainAndTlsListeners(place, tlsPort));
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  const tls = { tls: true, port: tlsPort };
  {
    await using served = await serve(
      new TasmotaPower({ ...plugConfig(broker.port), ...tls }),
      PowerClient,
    );
    await assert.rejects(
      served.client.on(),
      (error: Error) =>
        error instanceof ConnectionError &&
        error.message.includes(`Cannot connect to MQTT broker mqtts://127.0.0.1:${tlsPort}`) &&
        /certificate|issuer/i.test(error.message),
    );
  }
  {
    // upstream's defaults: TLS on, port 1883, here pointed at a plain listener
    await using served = await serve(
      new TasmotaPower({ ...plugConfig(broker.port), tls: true }),
      PowerClient,
    );
    await assert.rejects(
      served.client.on(),
      (error: Error) => error instanceof ConnectionError && /set tls: false/.test(error.message),
    );
  }
  await using served = await serve(
    new TasmotaPower({ ...plugConfig(broker.port), ...tls, "ca_file": `${broker.dir}/ca.crt` }),
    PowerClient,
  );
  await served.client.on();
  assert.equal(plug.state, "ON");
});

Deno.test("websockets and unix socket transports reach the same plug", async () => {
  const wsPort = freePort();
  await using broker = await Mosquitto.start(({ port, dir }) =>
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      `listener ${wsPort} 127.0.0.1`,
      "protocol websockets",
      `listener 0 ${dir}/mqtt.sock`,
    ].join("\n")
  );
  await using plug = await PlugEmulator.start({
    url: `mqtt://127.0.0.1:${broker.port}`,
    device: DEVICE,
  });
  const transports = [
    { transport: "websockets", port: wsPort },
    { transport: "unix", host: `${broker.dir}/mqtt.sock` },
  ];
  for (const transport of transports) {
    await using served = await serve(
      new TasmotaPower(plugConfig(broker.port, transport)),
      PowerClient,
    );
    await served.client.on();
    assert.equal(plug.state, "ON", `switched on over ${transport.transport}`);
    await served.client.off();
    assert.equal(plug.state, "OFF", `switched off over ${transport.transport}`);
  }
});

Deno.test("the registry builds TasmotaPower from upstream's config", () => {
  const type = driverRegistry.get("jumpstarter_driver_tasmota.driver.TasmotaPower");
  assert.equal(type?.name, "TasmotaPower");
  const config = type!.config.parse({
    host: "broker.lab",
    "cmnd_topic": "cmnd/tasmota_1/POWER",
    "stat_topic": "stat/tasmota_1/POWER",
  });
  assert.deepEqual(config, {
    host: "broker.lab",
    port: 1883,
    tls: true,
    transport: "tcp",
    timeout: 10,
    "cmnd_topic": "cmnd/tasmota_1/POWER",
    "stat_topic": "stat/tasmota_1/POWER",
    "read_interval": 1,
  });
  const unlimited = tasmotaConfigSchema.parse({ ...(config as object), timeout: null });
  assert.equal(unlimited.timeout, null, "null keeps upstream's wait without limit");
  const driver = type!.create(config, {});
  assert.ok(driver instanceof TasmotaPower);
  assert.equal(driver.topics.telemetry, "tele/tasmota_1/SENSOR");
});

Deno.test("bad config values are rejected with a clear message", () => {
  const type = driverRegistry.get("TasmotaPower")!;
  const base = { host: "h", "cmnd_topic": "cmnd/x/POWER", "stat_topic": "stat/x/POWER" };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, transport: "udp" }, /transport/],
    [{ ...base, port: 0 }, /port/],
    [{ ...base, timeout: -1 }, /timeout/],
    [{ ...base, "stat_topic": "stat/+/POWER" }, /wildcards/],
    [{ ...base, transport: "unix" }, /TLS over a unix socket is not supported/],
    [{ ...base, colour: "red" }, /colour/],
    [{ host: "h", "stat_topic": "stat/x/POWER" }, /cmnd_topic/],
  ];
  for (const [config, message] of cases) {
    const result = type.config.safeParse(config);
    assert.ok(!result.success, JSON.stringify(config));
    assert.match(JSON.stringify(result.error.issues), message);
  }
});
