/**
 * HTTP power switches served by an exporter running under exactly the grants
 * `jmp-exporter permissions` prints: the net grant names the device's host and port and nothing
 * more, and `j` switches the device through it. HttpPower drives the fake PDU and EnerGenie the
 * EG-PMS2-LAN emulator, both served here (no device is available); TasmotaPower reaches an
 * emulated plug through a real mosquitto over TLS, its CA read from `ca_file`.
 */
import assert from "node:assert/strict";
import { runConfined } from "./_permissions.ts";
import { FakePdu } from "../drivers/http-power/_testing/fake_pdu.ts";
import { EnerGenieEmulator } from "../drivers/energenie/_testing/energenie_emulator.ts";
import { Mosquitto, plainAndTlsListeners } from "../drivers/tasmota/_testing/mosquitto.ts";
import { PlugEmulator } from "../drivers/tasmota/_testing/plug_emulator.ts";
import { freePort } from "@jumpstarter/lib/testing";

// base64("admin:s3cret!"), written out so the test does not share the driver's encoding
const BASIC_HEADER = "Basic YWRtaW46czNjcmV0IQ==";

Deno.test("HttpPower serves under exactly the printed grants: net to the PDU only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-http-power-" });
  try {
    await using pdu = new FakePdu(BASIC_HEADER);
    const form = "{ Content-Type: application/x-www-form-urlencoded }";
    const { netGrant } = await runConfined(
      dir,
      "  pdu:\n    type: HttpPower\n    config:\n" +
        `      on: { url: "${pdu.url}/outlets/3/power", body: state=on, headers: ${form} }\n` +
        `      off: { url: "${pdu.url}/outlets/3/power", body: state=off, headers: ${form} }\n` +
        "      auth: { type: basic, username: admin, password: s3cret! }\n",
      ["pdu", "on"],
      () => assert.equal(pdu.state, "on"),
    );
    assert.deepEqual(netGrant, [new URL(pdu.url).host]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EnerGenie serves under exactly the printed grants: net to the strip only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-energenie-" });
  try {
    await using strip = new EnerGenieEmulator("1");
    const { netGrant } = await runConfined(
      dir,
      `  strip:\n    type: EnerGenie\n    config: { host: "${strip.host}", password: "1", slot: 3 }\n`,
      ["strip", "on"],
      () => assert.deepEqual(strip.sockets, [0, 0, 1, 0]),
    );
    assert.deepEqual(netGrant, [strip.host]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TasmotaPower serves under exactly the printed grants: the TLS broker and its ca_file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-tasmota-" });
  try {
    const tlsPort = freePort();
    await using broker = await Mosquitto.start((place) => plainAndTlsListeners(place, tlsPort));
    const device = "tasmota_C0FFEE";
    await using plug = await PlugEmulator.start({
      url: `mqtt://127.0.0.1:${broker.port}`,
      device,
    });
    const { netGrant, readGrant } = await runConfined(
      dir,
      "  plug:\n    type: TasmotaPower\n    config:\n" +
        `      { host: 127.0.0.1, port: ${tlsPort}, tls: true, ca_file: ${broker.dir}/ca.crt,\n` +
        `        cmnd_topic: cmnd/${device}/POWER, stat_topic: stat/${device}/POWER }\n`,
      ["plug", "on"],
      () => assert.equal(plug.state, "ON"),
    );
    assert.deepEqual(netGrant, [`127.0.0.1:${tlsPort}`]);
    assert.ok(readGrant.includes(`${broker.dir}/ca.crt`), readGrant.join(","));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
