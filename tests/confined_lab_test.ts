/**
 * One lab of four drivers — a serial console on a pty, SNMP power, a TFTP server and a QEMU VM
 * booting Debian's U-Boot — in one exporter config, served under exactly the grants
 * `jmp-exporter permissions` prints for it. Those grants are minimal: no `-A`, and nothing is
 * written outside the test's directory (the socket directory, the pty, the serial and console
 * logs, the TFTP root). Under them each driver works end to end against its real peer: the
 * board's serial output reaches `j serial pipe`, snmpd records the SET of `j power on`, tftp-hpa
 * fetches a file of the root byte-exact, and the VM boots U-Boot and powers off.
 */
import assert from "node:assert/strict";
import { freeUdpPort, randomBytes, withDeadline } from "@jumpstarter/lib/testing";
import { serveConfined } from "./_permissions.ts";
import { boardReachesPipe } from "./_confined_consoles.ts";
import { ptyPair } from "../drivers/serial/_testing/pty.ts";
import { Snmpd } from "../drivers/snmp/_testing/snmpd.ts";
import { tftpHpaGet } from "../drivers/tftp/_testing/tftp.ts";
import { qemuPidsMentioning, UBOOT_ARM64 } from "../drivers/qemu/_testing/qemu.ts";

const VM = `{ arch: aarch64, mem: 256M, smp: 1, default_partitions: { bios: ${UBOOT_ARM64} } }`;
/** What U-Boot prints first on the serial console, e.g. `U-Boot 2023.01+dfsg-2`. */
const BANNER = "U-Boot 20";

Deno.test(
  "a serial + SNMP + TFTP + QEMU lab serves under minimal printed grants and each driver works",
  withDeadline(240_000, async () => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "jmp-confined-lab-" }));
    try {
      await using _socat = await ptyPair(`${dir}/dut`, `${dir}/board`);
      await using pdu = await Snmpd.start({ communities: ["private"] });
      const tftpRoot = `${dir}/tftp`;
      await Deno.mkdir(tftpRoot);
      const image = randomBytes(100_000);
      await Deno.writeFile(`${tftpRoot}/Image`, image);
      const tftpPort = freeUdpPort();
      const state = `${dir}/state`;

      await using served = await serveConfined(
        dir,
        `  serial:\n    type: PySerial\n    config: { url: ${dir}/dut, log_dir: ${dir}/logs }\n` +
          `  power:\n    type: SNMPServer\n    config:\n` +
          `      { host: 127.0.0.1, port: ${pdu.port}, plug: 3, version: 2c, community: private }\n` +
          `  tftp:\n    type: Tftp\n` +
          `    config: { root_dir: ${tftpRoot}, host: 127.0.0.1, port: ${tftpPort} }\n` +
          `  vm:\n    type: Qemu\n    config: ${VM}\n`,
        { env: { XDG_STATE_HOME: state } },
      );

      // minimal: scoped grants only, and every write below this test's directory
      const flags = served.printed.flags;
      console.log(`printed grants: ${flags.join(" ")}`);
      for (const blanket of ["-A", "--allow-all", "--allow-write", "--allow-read", "--allow-net"]) {
        assert.ok(!flags.includes(blanket), `blanket ${blanket} in ${flags.join(" ")}`);
      }
      assert.deepEqual(
        served.granted("write").sort(),
        [
          `${dir}/dut`,
          `${dir}/logs`,
          `${dir}/run`,
          `${state}/jumpstarter/console`,
          tftpRoot,
        ].sort(),
      );
      for (const path of served.granted("write")) {
        assert.ok(path.startsWith(`${dir}/`), `write outside ${dir}: ${path}`);
      }

      // serial: what the board writes on its end of the pty reaches `j serial pipe`
      await boardReachesPipe(served, "serial", `${dir}/board`, dir);

      // SNMP: `j power on` sets plug 3 on in a real snmpd
      await served.j(["power", "on"]);
      assert.deepEqual(await pdu.sets(), ["3 1"]);

      // TFTP: tftp-hpa fetches a file of the root byte-exact
      await served.j(["tftp", "start"]);
      const got = await tftpHpaGet(tftpPort, "Image", `${dir}/got`);
      assert.equal(
        got.code,
        0,
        `tftp get Image: ${got.stderr}\n${served.exporter.printed().stderr}`,
      );
      assert.deepEqual(await Deno.readFile(`${dir}/got`), image);

      // QEMU: the VM boots U-Boot, its banner shows on the console, and it powers off
      await using vmConsole = served.jInBackground(["vm", "console", "log", "--follow"]);
      await served.j(["vm", "power", "on"]);
      await vmConsole.shows(BANNER);
      const vmDir = `${dir}/run/drivers/vm/`;
      assert.equal((await qemuPidsMentioning(vmDir)).length, 1, "expected one QEMU running");
      await served.j(["vm", "power", "off"]);
      assert.deepEqual(await qemuPidsMentioning(vmDir), []);

      const stopped = await served.exporter.stop("SIGTERM");
      assert.doesNotMatch(stopped.stderr, /NotCapable|PERMISSION_DENIED|was refused/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }),
);
