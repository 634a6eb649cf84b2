/**
 * `j` itself (bin/j, a separate process, with the program's package list) against an exporter
 * whose gpiod drivers sit on an emulated chip: upstream's commands and output, timeouts and a
 * vanished chip as one line on stderr with a failing exit status, and the exporter still serving.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";
import { serveOn } from "./_testing/served_chip.ts";

const J = fileURLToPath(new URL("../../bin/j", import.meta.url));

const LAB = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  gpio:
    type: jumpstarter_driver_gpiod.driver.DigitalOutput
    config: { line: 23, drive: open_drain, bias: pull_up, initial_value: "off" }
  button:
    type: jumpstarter_driver_gpiod.driver.DigitalInput
    config: { line: 24, bias: pull_up, active_low: true }
  switch:
    type: jumpstarter_driver_gpiod.driver.PowerSwitch
    config: { line: 26 }
  mock:
    type: jumpstarter_driver_power.driver.MockPower
`;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function j(host: string, ...args: string[]): Promise<Ran> {
  return new Deno.Command(J, {
    args,
    env: { JUMPSTARTER_HOST: host, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output().then(({ code, stdout, stderr }) => ({
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  }));
}

function assertOneLineError(ran: Ran, pattern: RegExp): void {
  assert.notEqual(ran.code, 0, `exited 0; stdout: ${ran.stdout}`);
  const lines = ran.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `stderr is not one line:\n${ran.stderr}`);
  assert.match(lines[0]!, pattern);
}

Deno.test("j gpio on/off/read/cycle and j switch on/off, as upstream's commands", async () => {
  const chip = new GpioChipEmulator();
  await using served = await serveOn(chip, LAB);
  const host = served.address;
  assert.deepEqual(await j(host, "gpio", "read"), { code: 0, stdout: "inactive\n", stderr: "" });
  assert.equal((await j(host, "gpio", "on")).code, 0);
  assert.equal(chip.level(23), 1);
  assert.equal((await j(host, "gpio", "read")).stdout, "active\n");
  const cycled = await j(host, "gpio", "cycle", "-w", "0.05");
  assert.equal(cycled.stdout, "Power cycling with 0.05 seconds wait time...\n");
  assert.equal(chip.level(23), 1);
  assert.equal((await j(host, "gpio", "off")).code, 0);
  assert.equal(chip.level(23), 0);

  assert.equal((await j(host, "switch", "on")).code, 0);
  assert.equal(chip.level(26), 1);
  assertOneLineError(await j(host, "switch", "read"), /PowerSwitch cannot read power/);
  assert.equal((await j(host, "switch", "off")).code, 0);
  assert.equal(chip.level(26), 0);
});

Deno.test("j button read / wait-for-edge / wait-for-active, and a timeout as one line", async () => {
  const chip = new GpioChipEmulator();
  await using served = await serveOn(chip, LAB);
  const host = served.address;
  assert.equal((await j(host, "button", "read")).stdout, "inactive\n");
  const waiting = j(host, "button", "wait-for-edge", "rising", "-t", "30");
  await chip.whenWaiting();
  chip.drive(24, 0); // pressed: active low
  assert.deepEqual(await waiting, { code: 0, stdout: "", stderr: "" });
  assert.equal((await j(host, "button", "wait-for-active", "--timeout", "1")).code, 0);

  const started = performance.now();
  const timedOut = await j(host, "button", "wait-for-inactive", "-t", "0.3");
  assert.ok(performance.now() - started >= 300);
  assertOneLineError(timedOut, /Timed out waiting for line 24 edge event/);
  assertOneLineError(
    await j(host, "button", "wait-for-edge", "sideways"),
    /value 'sideways' is invalid for argument 'edge_type'. Allowed choices are rising, falling/,
  );
  assertOneLineError(
    await j(host, "button", "wait-for-active", "-t", "soon"),
    /argument 'soon' is invalid/,
  );
});

Deno.test("j on a chip that vanished: one line, exit 1; the exporter keeps serving", async () => {
  const chip = new GpioChipEmulator();
  await using served = await serveOn(chip, LAB);
  const host = served.address;
  chip.unplug();
  assertOneLineError(
    await j(host, "gpio", "on"),
    /Cannot set line 23 of \/dev\/gpiochip0: No such device \(ENODEV\): the GPIO chip is gone/,
  );
  assertOneLineError(await j(host, "button", "read"), /ENODEV/);
  assert.equal((await j(host, "mock", "on")).code, 0, "the other drivers stopped answering");
  assert.match((await j(host, "--help")).stdout, /gpio/);
});
