import assert from "node:assert/strict";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { MockPower, SyncMockPower } from "./driver.ts";
import { PowerClient } from "./client.ts";
import { powerCli } from "./cli.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

Deno.test("PowerClient switches a MockPower and the exporter logs it", async () => {
  const driver = new MockPower();
  await using served = await serve(driver, PowerClient);
  const logs = served.session.logs.subscribe();
  await served.client.on();
  assert.equal(driver.state, "on");
  await served.client.off();
  assert.equal(driver.state, "off");
  const iterator = logs[Symbol.asyncIterator]();
  assert.equal((await iterator.next()).value?.message, "power on");
  assert.equal((await iterator.next()).value?.message, "power off");
  logs.close();
});

Deno.test("PowerClient.read() streams validated readings", async () => {
  await using served = await serve(new SyncMockPower(), PowerClient);
  const readings = [];
  for await (const reading of served.client.read()) readings.push(reading);
  assert.deepEqual(readings, [{ voltage: 0, current: 0 }, { voltage: 5, current: 2 }]);
});

Deno.test("PowerClient.cycle() switches off, waits, and switches on", async () => {
  const driver = new MockPower();
  await using served = await serve(driver, PowerClient);
  const seen: string[] = [];
  driver.logger.setSink((record) => seen.push(`${record.message}@${performance.now()}`));
  const started = performance.now();
  await served.client.cycle({ wait: 0.05 });
  assert.deepEqual(seen.map((s) => s.split("@")[0]), ["power off", "power on"]);
  const offAt = Number(seen[0]!.split("@")[1]);
  const onAt = Number(seen[1]!.split("@")[1]);
  assert.ok(onAt - offAt >= 45, `waited ${onAt - offAt} ms between off and on`);
  assert.ok(offAt >= started);
  assert.equal(driver.state, "on");
});

Deno.test("PowerClient.cycle() stops waiting when aborted, leaving power off", async () => {
  const driver = new MockPower();
  await using served = await serve(driver, PowerClient);
  const abort = new AbortController();
  const cycling = served.client.cycle({ wait: 30, signal: abort.signal });
  // abort once the wait has begun (after off), however long the off call takes here
  await eventually("the power to go off", () => driver.state === "off");
  abort.abort(new Error("stop"));
  await assert.rejects(cycling, /stop/);
  assert.equal(driver.state, "off");
});

Deno.test("powerCli() drives the client through its subcommands", async () => {
  const driver = new MockPower();
  await using served = await serve(driver, PowerClient);
  const program = powerCli(served.client, "power");
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {} });
  }
  await program.parseAsync(["on"], { from: "user" });
  assert.equal(driver.state, "on");
  await program.parseAsync(["off"], { from: "user" });
  assert.equal(driver.state, "off");
  await assert.rejects(
    program.parseAsync(["cycle", "--wait", "soon"], { from: "user" }),
    /--wait expects a non-negative number of seconds, got "soon"/,
  );
});

Deno.test("log_level in a driver's config drops its records below that level", async () => {
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  quiet: { type: MockPower, config: { log_level: WARNING } }
  chatty: { type: MockPower, config: { log_level: DEBUG } }
`;
  const root = await buildDriverTree(parseExporterConfig(yaml, "lab.yaml"), {
    registry: driverRegistry,
  });
  await using served = await serve(root, CompositeClient, { packages: PACKAGES });
  const seen: string[] = [];
  for (const [name, driver] of root.children) {
    driver.logger.setSink((record) => seen.push(`${name}: ${record.message}`));
  }
  await served.client.child("quiet", PowerClient).on();
  await served.client.child("chatty", PowerClient).on();
  assert.deepEqual(seen, ["chatty: power on"]);
});
