/**
 * Configs: upstream's own examples load unchanged and serve on an emulated chip; bad values and
 * unusable chips or lines fail at start with one line naming the file, line and field.
 */
import assert from "node:assert/strict";
import { CompositeClient } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { DigitalInputClient, DigitalOutputClient } from "./client.ts";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";
import { packagesOn, treeOn } from "./_testing/served_chip.ts";

const UPSTREAM = [
  new URL("../../tests/testdata/upstream_configs/driver-gpiod-1.yaml", import.meta.url),
  new URL("../../tests/testdata/upstream_configs/driver-gpiod-2.yaml", import.meta.url),
  new URL("../../tests/testdata/upstream_configs/driver-gpiod-3.yaml", import.meta.url),
  new URL("./testdata/upstream_example.yaml", import.meta.url),
];

Deno.test("upstream's README and example configs load unchanged and serve on the chip", async () => {
  for (const url of UPSTREAM) {
    const gpio = new GpioChipEmulator();
    const root = await treeOn(gpio, await Deno.readTextFile(url), url.pathname);
    await using served = await serve(root, CompositeClient, { packages: packagesOn(gpio) });
    for (const [name, client] of served.client.children) {
      if (client instanceof DigitalInputClient || client instanceof DigitalOutputClient) {
        assert.match(await client.read(), /^(in)?active$/, `${url.pathname}: ${name}`);
      }
    }
    assert.ok(served.client.children.size >= 1);
  }
});

async function startFailure(yaml: string, gpio = new GpioChipEmulator()): Promise<string> {
  try {
    const root = await treeOn(
      gpio,
      `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
${yaml}`,
    );
    await Promise.resolve(root.close());
  } catch (error) {
    assert.equal(gpio.openDescriptors, 0, "a failed start left descriptors open");
    return (error as Error).message;
  }
  throw new Error("the config started");
}

Deno.test("bad config values fail at start naming file, line and field", async () => {
  const output = "  gpio:\n    type: jumpstarter_driver_gpiod.driver.DigitalOutput\n";
  assert.match(
    await startFailure(`${output}    config: { line: 3, drive: open_collector }`),
    /^lab\.yaml:6:31: Invalid config for driver "jumpstarter_driver_gpiod\.driver\.DigitalOutput": .*"push_pull".*at export\.gpio\.config\.drive$/,
  );
  assert.match(
    await startFailure(`${output}    config: { line: 3, bias: pull_sideways }`),
    /Invalid config .*"as_is".*at export\.gpio\.config\.bias$/,
  );
  assert.match(
    await startFailure(`${output}    config: { line: 3, initial_value: maybe }`),
    /Invalid config .*at export\.gpio\.config\.initial_value$/,
  );
  assert.match(
    await startFailure(`${output}    config: { drive: push_pull }`),
    /Invalid config .*at export\.gpio\.config\.line$/,
  );
  assert.match(
    await startFailure(
      "  button:\n    type: jumpstarter_driver_gpiod.driver.DigitalInput\n" +
        "    config: { line: 3, drive: open_drain }",
    ),
    /an input does not drive its line: drive may only be push_pull or null at export\.button\.config\.drive$/,
  );
});

Deno.test("an absent chip, a missing line or a busy line fail at start with the reason", async () => {
  const entry = (line: number, device = "/dev/gpiochip0") =>
    `  out${line}:\n    type: DigitalOutput\n    config: { device: "${device}", line: ${line} }\n`;
  assert.match(
    await startFailure(entry(3, "/dev/gpiochip7")),
    /^lab\.yaml:5:11: Cannot start driver "DigitalOutput": Cannot open GPIO chip \/dev\/gpiochip7: No such file or directory \(ENOENT\) at export\.out3$/,
  );
  assert.match(
    await startFailure(entry(40)),
    /Cannot request line 40 of \/dev\/gpiochip0: the chip \(gpio-sim\.0-node0, 32 lines\) has no line 40/,
  );
  const gpio = new GpioChipEmulator();
  const message = await startFailure(
    `${entry(3)}  again:\n    type: DigitalInput\n    config: { line: 3 }\n`,
    gpio,
  );
  assert.match(
    message,
    /Cannot request line 3 of \/dev\/gpiochip0: Device or resource busy \(EBUSY\) \(held by "jumpstarter-gpiod"\)/,
  );
});
