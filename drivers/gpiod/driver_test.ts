/**
 * The gpiod drivers through a real session and the typed clients, on an emulated chip that
 * checks the v2 uAPI requests as the kernel does.
 */
import assert from "node:assert/strict";
import {
  DriverError,
  DriverTimeoutError,
  InvalidArgumentError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import { DigitalInputClient, DigitalOutputClient } from "./client.ts";
import { LineFlag } from "./uapi.ts";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";
import { serveOn } from "./_testing/served_chip.ts";

const LAB = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  gpio:
    type: jumpstarter_driver_gpiod.driver.DigitalOutput
    config: { line: 23, drive: open_drain, bias: pull_up, initial_value: "off" }
  inverted:
    type: jumpstarter_driver_gpiod.driver.DigitalOutput
    config: { device: 0, line: 5, active_low: true, initial_value: on }
  button:
    type: jumpstarter_driver_gpiod.driver.DigitalInput
    config: { line: 24, bias: pull_up, active_low: true }
  level:
    type: jumpstarter_driver_gpiod.driver.DigitalInput
    config: { line: 25 }
  power:
    type: jumpstarter_driver_gpiod.driver.PowerSwitch
    config: { line: 26, mode: push_pull }
`;

function chip() {
  return new GpioChipEmulator({ names: { 23: "LED", 24: "BUTTON" } });
}

Deno.test("lines are requested as libgpiod requests them for upstream's settings", async () => {
  const gpio = chip();
  await using _served = await serveOn(gpio, LAB);
  const byLine = new Map(gpio.received.map((request) => [request.offsets[0], request]));
  assert.deepEqual(byLine.get(23), {
    offsets: [23],
    consumer: "jumpstarter-gpiod",
    flags: LineFlag.OUTPUT | LineFlag.OPEN_DRAIN | LineFlag.BIAS_PULL_UP,
    outputValue: 0,
  });
  assert.equal(byLine.get(5)?.flags, LineFlag.OUTPUT | LineFlag.ACTIVE_LOW);
  assert.equal(byLine.get(5)?.outputValue, 1);
  assert.equal(
    byLine.get(24)?.flags,
    LineFlag.INPUT | LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING | LineFlag.BIAS_PULL_UP |
      LineFlag.ACTIVE_LOW,
  );
  assert.equal(byLine.get(26)?.flags, LineFlag.OUTPUT);
  assert.equal(gpio.state(23).consumer, "jumpstarter-gpiod");
});

Deno.test("DigitalOutput switches its line and reads it back; cycle goes off then on", async () => {
  const gpio = chip();
  await using served = await serveOn(gpio, LAB);
  const out = served.client.child("gpio", DigitalOutputClient);
  // open drain, pulled up, starting "off": the line is driven low
  assert.equal(gpio.level(23), 0);
  assert.equal(await out.read(), "inactive");
  await out.on();
  assert.equal(gpio.level(23), 1, "released open drain floats up to the pull-up");
  assert.equal(await out.read(), "active");
  gpio.drive(23, 0); // something else on the wire pulls it low
  assert.equal(await out.read(), "inactive");
  gpio.drive(23, 1);
  await out.off();
  assert.equal(gpio.level(23), 0);

  const inverted = served.client.child("inverted", DigitalOutputClient);
  assert.equal(gpio.level(5), 0, "active-low output starting on drives low");
  assert.equal(await inverted.read(), "active");
  const logs = served.session.logs.subscribe();
  await inverted.cycle({ wait: 0.01 });
  assert.equal(gpio.level(5), 0);
  const messages: string[] = [];
  for await (const record of logs) {
    if (record.message.startsWith("line 5 ")) messages.push(record.message);
    if (messages.length === 2) break;
  }
  logs.close();
  assert.deepEqual(messages, [
    "line 5 () off() -> pin reads: inactive",
    "line 5 () on() -> pin reads: active",
  ]);
});

Deno.test("DigitalInput reads and waits for levels and edges as upstream", async () => {
  const gpio = chip();
  await using served = await serveOn(gpio, LAB);
  const button = served.client.child("button", DigitalInputClient);
  // active low, pulled up: released reads inactive
  assert.equal(await button.read(), "inactive");
  await button.waitForInactive(1);

  const pressed = button.waitForActive(10);
  await gpio.whenWaiting();
  gpio.drive(24, 0);
  await pressed;
  assert.equal(await button.read(), "active");
  await button.waitForActive(); // already active: returns at once

  const edge = button.waitForEdge("falling", 10);
  await gpio.whenWaiting();
  gpio.drive(24, 1);
  await edge;

  // an edge since the previous wait counts (upstream reads the queued events)
  gpio.drive(24, 0);
  await button.waitForEdge("rising", 1);

  // a timeout of 0 waits for ever, as upstream's `timeout or 1e9`
  const released = button.waitForInactive(0);
  await gpio.whenWaiting();
  gpio.drive(24, 1);
  await released;
});

Deno.test("DigitalInput waits time out with DEADLINE_EXCEEDED; a bad edge type is INVALID_ARGUMENT", async () => {
  const gpio = chip();
  await using served = await serveOn(gpio, LAB);
  const level = served.client.child("level", DigitalInputClient);
  const started = performance.now();
  await assert.rejects(level.waitForEdge("rising", 0.3), (error: unknown) => {
    assert.ok(error instanceof DriverTimeoutError, `got ${error}`);
    assert.equal(error.message, "Timed out waiting for line 25 edge event");
    return true;
  });
  const waited = performance.now() - started;
  assert.ok(waited >= 290 && waited < 5000, `waited ${waited} ms`);
  await assert.rejects(level.waitForActive(0.05), DriverTimeoutError);
  await assert.rejects(
    level.call("wait_for_edge", "sideways", 1),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      /must be one of: rising, falling/.test(error.message),
  );
  // two waits on one line take turns; both see their edge
  const first = level.waitForEdge("rising", 10);
  const second = level.waitForEdge("falling", 10);
  await gpio.whenWaiting();
  gpio.drive(25, 1);
  await first;
  await gpio.whenWaiting();
  gpio.drive(25, 0);
  await second;
});

Deno.test("PowerSwitch is a PowerClient: on/off switch the line, read is UNIMPLEMENTED", async () => {
  const gpio = chip();
  await using served = await serveOn(gpio, LAB);
  const power = served.client.child("power", PowerClient);
  assert.equal(power.clientClass, "jumpstarter_driver_power.client.PowerClient");
  await power.on();
  assert.equal(gpio.level(26), 1);
  assert.equal(await power.call("read_pin"), 1);
  await power.off();
  assert.equal(gpio.level(26), 0);
  await assert.rejects(async () => {
    for await (const _ of power.read()) { /* nothing comes */ }
  }, MethodNotImplementedError);
});

Deno.test("the chip vanishing mid-wait and mid-switch gives one-line errors; the exporter keeps serving", async () => {
  const gpio = chip();
  const served = await serveOn(gpio, LAB);
  try {
    const button = served.client.child("button", DigitalInputClient);
    const waiting = button.waitForActive(30);
    await gpio.whenWaiting();
    gpio.unplug();
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof DriverError, `got ${error}`);
      assert.equal(
        error.message,
        "Cannot wait on line 24 of /dev/gpiochip0: the GPIO chip is gone",
      );
      return true;
    });
    const out = served.client.child("gpio", DigitalOutputClient);
    await assert.rejects(out.on(), {
      message:
        "Cannot set line 23 of /dev/gpiochip0: No such device (ENODEV): the GPIO chip is gone",
    });
    await assert.rejects(out.read(), /Cannot read line 23 of \/dev\/gpiochip0: .*ENODEV/);
    // the session still answers: the report, and the same error again rather than a crash
    assert.equal((await served.handle.connection.exporter.getReport({})).reports.length, 6);
    await assert.rejects(out.off(), /ENODEV/);
  } finally {
    await served.close();
  }
  assert.equal(gpio.openDescriptors, 0, "closing the session released every line and chip");

  // plugged back in, the next session (a new lease builds a new tree) works again
  gpio.replug();
  await using again = await serveOn(gpio, LAB);
  await again.client.child("gpio", DigitalOutputClient).on();
  assert.equal(gpio.level(23), 1);
});
