/** The corellium descriptor builds from upstream's class path; `j` drives power through it. */
import assert from "node:assert/strict";
import { cliBuilderOf } from "@jumpstarter/lib/driver";
import { powerCli, VirtualPowerClient } from "@jumpstarter/driver-power";
import { pyserialCli } from "@jumpstarter/driver-serial";
import { finalize, jProgram } from "../../cli/commands/j.ts";
import { CorelliumEmulator } from "./_testing/corellium_emulator.ts";
import { packages, served } from "./_testing/corellium_lab.ts";
import { CorelliumClient } from "./client.ts";
import { Corellium, CorelliumConsole, CorelliumPower } from "./driver.ts";

Deno.test("Corellium's tree reports upstream's clients and their CLIs; j switches it", async () => {
  await using emulator = await CorelliumEmulator.start();
  const { session, power, serial } = await served(emulator);
  await using _ = session;
  const root = session.session.root.children.get("rd1ae");
  assert.ok(root instanceof Corellium);
  assert.ok(root.children.get("power") instanceof CorelliumPower);
  assert.ok(root.children.get("serial") instanceof CorelliumConsole);
  assert.ok(session.client.child("rd1ae", CorelliumClient) instanceof CorelliumClient);
  assert.ok(power instanceof VirtualPowerClient);
  assert.equal(cliBuilderOf(packages, power), powerCli);
  assert.equal(cliBuilderOf(packages, serial), pyserialCli);

  const j = finalize(jProgram(session.client, packages));
  j.exitOverride();
  await j.parseAsync(["rd1ae", "power", "on"], { from: "user" });
  assert.equal([...emulator.instances.values()][0]?.state, "on");
  await j.parseAsync(["rd1ae", "power", "off", "--destroy"], { from: "user" });
  assert.equal(emulator.instances.size, 0);
});
