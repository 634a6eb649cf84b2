/**
 * The seed's raspberrypi class paths on the gpiod drivers: a `pin` config, gpiozero's
 * input-first output, and waits that return when their time is up.
 */
import assert from "node:assert/strict";
import { PowerClient } from "@jumpstarter/driver-power";
import { RaspberryPiDigitalInputClient, RaspberryPiDigitalOutputClient } from "./client.ts";
import { LineFlag } from "./uapi.ts";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";
import { serveOn, treeOn } from "./_testing/served_chip.ts";

const SEED = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  relay:
    type: jumpstarter_driver_raspberrypi.driver.DigitalOutput
    config: { pin: 17 }
  sense:
    type: jumpstarter_driver_raspberrypi.driver.DigitalInput
    config: { pin: "GPIO27" }
`;

Deno.test("raspberrypi DigitalOutput starts as a pulled-down input and turns output on first switch", async () => {
  const gpio = new GpioChipEmulator();
  await using served = await serveOn(gpio, SEED);
  assert.equal(gpio.state(17).flags, LineFlag.INPUT | LineFlag.BIAS_PULL_DOWN);
  const relay = served.client.child("relay", RaspberryPiDigitalOutputClient);
  assert.ok(relay instanceof PowerClient);
  assert.equal(relay.clientClass, "jumpstarter_driver_raspberrypi.client.DigitalOutputClient");
  await relay.on();
  assert.equal(gpio.state(17).flags, LineFlag.OUTPUT);
  assert.equal(gpio.level(17), 1);
  await relay.cycle({ wait: 0.01 });
  assert.equal(gpio.level(17), 1);
  await relay.off();
  assert.equal(gpio.level(17), 0);
});

Deno.test("raspberrypi DigitalInput waits for its level, and returns quietly when time is up", async () => {
  const gpio = new GpioChipEmulator();
  await using served = await serveOn(gpio, SEED);
  assert.equal(
    gpio.state(27).flags,
    LineFlag.INPUT | LineFlag.BIAS_PULL_DOWN | LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING,
  );
  const sense = served.client.child("sense", RaspberryPiDigitalInputClient);
  await sense.waitForInactive(0);
  const started = performance.now();
  await sense.waitForActive(0.2); // gpiozero returns False; the driver returns nothing
  assert.ok(performance.now() - started >= 190);
  const rising = sense.waitForActive(null);
  await gpio.whenWaiting();
  gpio.drive(27, 1);
  await rising;
});

Deno.test("raspberrypi pin accepts BCM numbers only, naming the field", async () => {
  await assert.rejects(
    treeOn(
      new GpioChipEmulator(),
      SEED.replace('pin: "GPIO27"', 'pin: "BOARD13"'),
    ),
    /only BCM pin numbers are supported here .* at export\.sense\.config\.pin$/,
  );
});
