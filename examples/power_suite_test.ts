/**
 * An example user suite for the virtual lab. The same file runs two ways:
 *
 * ```sh
 * jmp shell --exporter-config examples/virtual-lab.yaml -- deno test -A examples/power_suite_test.ts
 * deno test -A examples/power_suite_test.ts   # serves virtual-lab.yaml in-process
 * ```
 *
 * Inside `jmp shell` the tests reach the drivers through `JUMPSTARTER_HOST`; bare, they serve
 * the config themselves. Each test logs `jumpstarter source: <source>` so a caller can tell which.
 *
 * @module
 */
import assert from "node:assert/strict";
import { jumpstarterTest } from "@jumpstarter/lib/testing";
import { DriverClient } from "@jumpstarter/lib/client";
import { PowerClient, type PowerReading } from "@jumpstarter/driver-power";
import { driverPackage as power } from "@jumpstarter/driver-power/package";

const exporterConfig = new URL("./virtual-lab.yaml", import.meta.url);
// The suite's driver packages: their clients, and the types virtual-lab.yaml names when the suite
// serves it itself.
const packages = [power];

async function collect(power: PowerClient): Promise<PowerReading[]> {
  const readings: PowerReading[] = [];
  for await (const reading of power.read()) readings.push(reading);
  return readings;
}

jumpstarterTest("power switches on and off", async (_t, root, source) => {
  console.log(`jumpstarter source: ${source}`);
  const power = root.child("power", PowerClient);
  await power.on();
  await power.off();
  await power.cycle({ wait: 0 });
}, { packages, exporterConfig });

jumpstarterTest("power read streams the mock's readings", async (_t, root, source) => {
  console.log(`jumpstarter source: ${source}`);
  const readings = await collect(root.child("power", PowerClient));
  assert.deepEqual(readings, [{ voltage: 0, current: 0 }, { voltage: 5, current: 2 }]);
}, { packages, exporterConfig });

jumpstarterTest("the board's own power switch works", async (_t, root, source) => {
  console.log(`jumpstarter source: ${source}`);
  const board = root.child("board", DriverClient);
  assert.equal(board.description, "A virtual board with its own power switch");
  const boardPower = board.child("power", PowerClient);
  await boardPower.on();
  assert.equal((await collect(boardPower)).length, 2);
  await boardPower.off();
}, { packages, exporterConfig });

jumpstarterTest("main-power is the board's power switch", async (_t, root, source) => {
  console.log(`jumpstarter source: ${source}`);
  const boardPower = root.child("board", DriverClient).child("power", PowerClient);
  const mainPower = root.child("main-power", PowerClient);
  assert.equal(mainPower.uuid, boardPower.uuid);
  assert.notEqual(mainPower.uuid, root.child("power", PowerClient).uuid);
  await mainPower.on();
  await mainPower.off();
}, { packages, exporterConfig });
