/**
 * Drivers that reach their device over the network, served by an exporter running under exactly
 * the grants `jmp-exporter permissions` prints: Corellium against its API emulator (HTTPS and a
 * console websocket, its CA from `CORELLIUM_API_CA_FILE`), served by `jmp run`, which passes on
 * only the variables the grants name.
 */
import assert from "node:assert/strict";
import { pipeShows, serveConfined } from "./_permissions.ts";
import { CorelliumEmulator, PROJECT } from "../drivers/corellium/_testing/corellium_emulator.ts";
import { CORELLIUM_VARIABLES } from "@jumpstarter/driver-corellium/package";

Deno.test("Corellium serves under exactly the printed grants: its API host, CA file and variables", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-corellium-" });
  try {
    await using emulator = await CorelliumEmulator.start();
    const caFile = `${dir}/ca.pem`;
    await Deno.writeTextFile(caFile, emulator.cert);
    await using served = await serveConfined(
      dir,
      "  rd1ae:\n    type: Corellium\n" +
        `    config: { project_id: "${PROJECT.name}", device_name: jmp-rd1ae, device_flavor: kronos }\n`,
      {
        env: {
          CORELLIUM_API_HOST: emulator.host,
          CORELLIUM_API_TOKEN: emulator.token,
          CORELLIUM_API_CA_FILE: caFile,
          CORELLIUM_API_RETRIES: "50",
          CORELLIUM_API_INTERVAL: "0.05",
        },
        byJmpRun: true,
      },
    );
    assert.deepEqual(served.grantsOf("rd1ae"), {
      env: CORELLIUM_VARIABLES,
      net: [emulator.host],
      read: [caFile],
    });
    await served.j(["rd1ae", "power", "on"]);
    assert.deepEqual([...emulator.instances.values()].map((instance) => instance.state), ["on"]);
    // the console's websocket, on the URL the API answered
    await pipeShows(served, "rd1ae serial", dir, "jmp-rd1ae console");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
