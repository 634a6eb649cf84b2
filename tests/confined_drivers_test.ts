/**
 * Drivers served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints, against real peers: a serial console on a pty (its bytes reach `j serial pipe`) and SNMP
 * power (a real snmpd records the SET). The TFTP and HTTP file servers ask for `-A` instead, saying
 * why: only the kernel's answer for an opened descriptor (`/proc/self/fd`, which Deno reads only
 * with `-A`) keeps a racing symlink swap from serving a file outside the root (issue 10 item 5).
 */
import assert from "node:assert/strict";
import { jmp } from "./_process.ts";
import { printedPermissions, serveConfined, spawnUnderPrinted } from "./_permissions.ts";
import { boardReachesPipe } from "./_confined_consoles.ts";
import { ptyPair } from "../drivers/serial/_testing/pty.ts";
import { CONFINED_ROOT_NEEDS_ALL } from "@jumpstarter/lib/driver";
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

Deno.test("TFTP and HttpServer ask for -A, saying why: their roots are checked through /proc/self/fd", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-roots-" });
  try {
    const config = `${dir}/roots.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        `  http:\n    type: HttpServer\n    config: { root_dir: ${dir}, host: 127.0.0.1, port: ${freePort()} }\n` +
        `  tftp:\n    type: Tftp\n    config: { root_dir: ${dir}, host: 127.0.0.1, port: ${freeUdpPort()} }\n`,
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    assert.deepEqual(printed.flags, ["-A"]);
    const drivers =
      (printed as unknown as { drivers: { type: string; grants: { all?: string } }[] })
        .drivers;
    for (const type of ["HttpServer", "Tftp"]) {
      const driver = drivers.find((entry) => entry.type === type);
      assert.equal(driver?.grants.all, CONFINED_ROOT_NEEDS_ALL, JSON.stringify(drivers));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
