/**
 * Upstream's own client against our PowerSwitch: it reports upstream's PowerClient, so the REAL
 * upstream head `j` and its Python PowerClient drive it (upstream's gpiod clients are not in the
 * installed peer: it would stub them).
 */
import assert from "node:assert/strict";
import { upstreamPeer } from "../../tests/upstream/_peer.ts";
import { GpioChipEmulator } from "./_testing/gpio_chip_emulator.ts";
import { serveOn } from "./_testing/served_chip.ts";

const LAB = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  switch:
    type: jumpstarter_driver_gpiod.driver.PowerSwitch
    config: { line: 26, active_low: true, initial_value: inactive }
`;

async function upstream(program: string, args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    env: { ...env, JMP_DRIVERS_ALLOW: "UNSAFE" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `${program} ${args.join(" ")} exited ${code}: ${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test("upstream head's j and PowerClient switch our PowerSwitch; its read is UNIMPLEMENTED to them", async () => {
  const peer = upstreamPeer("head");
  const chip = new GpioChipEmulator();
  await using served = await serveOn(chip, LAB);
  const env = { ...peer.env, JUMPSTARTER_HOST: served.address };
  assert.equal(chip.level(26), 1, "active low, inactive: the line starts high");
  await upstream(peer.j, ["switch", "on"], env);
  assert.equal(chip.level(26), 0);
  await upstream(peer.j, ["switch", "off"], env);
  assert.equal(chip.level(26), 1);
  const script = `
from jumpstarter.utils.env import env
with env() as client:
    switch = client.children["switch"]
    print(type(switch).__name__)
    switch.on()
    print(int(switch.call("read_pin")))  # as upstream clients read PinState
    try:
        list(switch.read())
    except NotImplementedError as error:
        print("NotImplementedError")
`;
  const printed = await upstream(peer.python, ["-c", script], env);
  assert.deepEqual(printed.trim().split("\n"), ["PowerClient", "1", "NotImplementedError"]);
  assert.equal(chip.level(26), 0);
});
