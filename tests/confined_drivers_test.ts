/**
 * Drivers served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints, against real peers: a serial console on a pty (its bytes reach `j serial pipe`) and SNMP
 * power (a real snmpd records the SET). The TFTP and HTTP file servers declare scoped grants too
 * (served confined in `confined_file_servers_test.ts`); only a Tftp without `host` asks for `-A`,
 * saying why.
 */
import assert from "node:assert/strict";
import { jmp } from "./_process.ts";
import { granted, printedPermissions, serveConfined, spawnUnderPrinted } from "./_permissions.ts";
import { boardReachesPipe } from "./_confined_consoles.ts";
import { ptyPair } from "../drivers/serial/_testing/pty.ts";
import { DEFAULT_ROUTE_NEEDS_ALL } from "@jumpstarter/driver-tftp/package";
import { freePort, freeUdpPort } from "@jumpstarter/lib/testing";
import { Snmpd } from "../drivers/snmp/_testing/snmpd.ts";

const TIMEOUT_MS = 30_000;

Deno.test("serial serves under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-lab-" });
  try {
    await using _socat = await ptyPair(`${dir}/dut`, `${dir}/board`);
    await using served = await serveConfined(
      dir,
      `  serial:\n    type: PySerial\n    config: { url: ${dir}/dut, log_dir: ${dir}/logs }\n`,
    );
    assert.deepEqual(served.granted("write"), [`${dir}/run`, `${dir}/dut`, `${dir}/logs`]);
    // the board's console output reaches the client through the exporter
    await boardReachesPipe(served, "serial", `${dir}/board`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SNMP power serves under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-pdu-" });
  try {
    await using pdu = await Snmpd.start({ communities: ["private"] });
    const config = `${dir}/pdu.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  pdu:\n    type: SNMPServer\n    config:\n" +
        `      { host: 127.0.0.1, port: ${pdu.port}, plug: 3, version: 2c, community: private }\n`,
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    await using exporter = spawnUnderPrinted(config, printed);
    const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const on = await jmp(["j", "pdu", "on"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(on.code, 0, `j pdu on: ${on.stderr}\nexporter: ${exporter.printed().stderr}`);
    assert.deepEqual(await pdu.sets(), ["3 1"]);
    await exporter.stop("SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TFTP and HttpServer declare their root, address and uid; a Tftp without host asks for -A", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-roots-" });
  try {
    const http = freePort();
    const config = `${dir}/roots.yaml`;
    const write = (tftpHost: string) =>
      Deno.writeTextFile(
        config,
        "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
          `  http:\n    type: HttpServer\n    config: { root_dir: ${dir}/www, host: 127.0.0.1, port: ${http} }\n` +
          `  tftp:\n    type: Tftp\n    config: { root_dir: ${dir}/tftp, host: "${tftpHost}", port: ${freeUdpPort()} }\n`,
      );
    await write("127.0.0.1");
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    assert.ok(!printed.flags.includes("-A"), printed.flags.join(" "));
    for (const root of [`${dir}/www`, `${dir}/tftp`]) {
      assert.ok(
        granted(printed, "read").includes(root),
        `read ${root}: ${printed.flags.join(" ")}`,
      );
      assert.ok(
        granted(printed, "write").includes(root),
        `write ${root}: ${printed.flags.join(" ")}`,
      );
    }
    for (const address of [`127.0.0.1:${http}`, "127.0.0.1", "127.0.0.0/8"]) {
      assert.ok(
        granted(printed, "net").includes(address),
        `net ${address}: ${printed.flags.join(" ")}`,
      );
    }
    assert.ok(granted(printed, "sys").includes("uid"), printed.flags.join(" "));

    await write("");
    const unhosted = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    assert.deepEqual(unhosted.flags, ["-A"]);
    const drivers =
      (unhosted as unknown as { drivers: { type: string; grants: { all?: string } }[] }).drivers;
    const tftp = drivers.find((entry) => entry.type === "Tftp");
    assert.equal(tftp?.grants.all, DEFAULT_ROUTE_NEEDS_ALL, JSON.stringify(drivers));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
