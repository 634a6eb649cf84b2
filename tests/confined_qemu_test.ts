/**
 * Qemu served by an exporter running under exactly the grants `jmp-exporter permissions` prints:
 * real `qemu-system-aarch64` (TCG) booting Debian's U-Boot (`u-boot-qemu`), driven by `j`. The
 * QMP, console and VNC sockets of each VM are in its runtime directory below the exporter's
 * socket directory, which the grants name exactly; nothing is written outside that directory.
 * Two VMs of one config, and two exporters on one host, each get their own; an exporter with the
 * socket directory of one still running is refused, and one started after a SIGKILL takes it
 * over, stale sockets and all.
 */
import assert from "node:assert/strict";
import { withDeadline } from "@jumpstarter/lib/testing";
import { qemuPidsMentioning, UBOOT_ARM64 } from "../drivers/qemu/_testing/qemu.ts";
import {
  granted,
  type Printed,
  printedPermissions,
  spawnUnderPrinted,
  startConfined,
  writeLab,
} from "./_permissions.ts";

const VM = `{ arch: aarch64, mem: 256M, smp: 1, default_partitions: { bios: ${UBOOT_ARM64} } }`;
/** What U-Boot prints first on the serial console, e.g. `U-Boot 2023.01+dfsg-2`. */
const BANNER = "U-Boot 20";

/** The `unix:` grants of the QEMU sockets of the VM at dotted `path`. */
function vmSockets(socketDir: string, path: string): string[] {
  return ["qmp", "console", "vnc"].map((name) => `unix:${socketDir}/drivers/${path}/${name}.sock`);
}

/** Where the consoles keep their logs: `$XDG_STATE_HOME/jumpstarter/console`. */
const logsIn = (state: string) => `${state}/jumpstarter/console`;

/**
 * `jmp-exporter permissions` for `config` with its sockets in `socketDir`, and its consoles' logs
 * below `state` (XDG_STATE_HOME).
 */
function permissions(config: string, socketDir: string, state: string): Promise<Printed> {
  return printedPermissions(config, ["--socket-dir", socketDir], { XDG_STATE_HOME: state });
}

/**
 * Checks that `printed` grants the VMs at `paths` their sockets, U-Boot, QEMU and the consoles'
 * logs, and no more: nothing is written outside the socket and log directories.
 */
function assertMinimal(printed: Printed, config: string, socketDir: string, paths: string[]) {
  const logs = logsIn(printed.env.XDG_STATE_HOME!);
  assert.deepEqual(granted(printed, "write"), [socketDir, logs]);
  assert.deepEqual(granted(printed, "read").sort(), [config, socketDir, UBOOT_ARM64, logs].sort());
  assert.deepEqual(granted(printed, "run"), ["qemu-system-aarch64", "qemu-img"]);
  const net = granted(printed, "net");
  // the exporter's own session sockets are numbered slots: `<socketDir>/N/socket[.fast]`
  const slot = new RegExp(`^unix:${socketDir}/\\d+/socket(\\.fast)?$`);
  assert.deepEqual(
    net.filter((grant) => !slot.test(grant)),
    paths.flatMap((path) => vmSockets(socketDir, path)),
  );
}

Deno.test(
  "Qemu serves under exactly the printed grants: two VMs of one config boot U-Boot and power off",
  withDeadline(180_000, async () => {
    const dir = await Deno.makeTempDir({ prefix: "jmp-confined-qemu-" });
    try {
      const config = await writeLab(
        dir,
        `  vm:\n    type: jumpstarter_driver_qemu.driver.Qemu\n    config: ${VM}\n` +
          `  board:\n    children:\n      vm:\n        type: Qemu\n        config: ${VM}\n`,
      );
      const socketDir = `${dir}/run`;
      const printed = await permissions(config, socketDir, `${dir}/state`);
      assertMinimal(printed, config, socketDir, ["vm", "board.vm"]);
      await using served = await startConfined(config, printed);
      await using vmConsole = served.jInBackground(["vm", "console", "log", "--follow"]);
      await using boardConsole = served.jInBackground([
        "board",
        "vm",
        "console",
        "log",
        "--follow",
      ]);
      await served.j(["vm", "power", "on"]);
      await served.j(["board", "vm", "power", "on"]);
      await vmConsole.shows(BANNER);
      await boardConsole.shows(BANNER);
      const [vm] = await qemuPidsMentioning(`${socketDir}/drivers/vm/`);
      const [board] = await qemuPidsMentioning(`${socketDir}/drivers/board.vm/`);
      assert.ok(vm && board && vm !== board, `one QEMU each, got ${vm} and ${board}`);

      await served.j(["vm", "power", "off"]);
      assert.deepEqual(await qemuPidsMentioning(`${socketDir}/drivers/vm/`), []);
      assert.deepEqual(await qemuPidsMentioning(`${socketDir}/drivers/board.vm/`), [board]);
      await served.j(["board", "vm", "power", "off"]);
      assert.deepEqual(await qemuPidsMentioning(`${socketDir}/drivers/board.vm/`), []);
      await served.exporter.stop("SIGTERM");
      await assert.rejects(Deno.stat(`${socketDir}/drivers/vm`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }),
);

Deno.test(
  "Qemu under printed grants: two exporters on one host, one refused on a live socket directory, one taking it over after SIGKILL",
  withDeadline(240_000, async () => {
    const dir = await Deno.makeTempDir({ prefix: "jmp-confined-qemu-" });
    try {
      const config = await writeLab(dir, `  vm:\n    type: Qemu\n    config: ${VM}\n`);
      const [dirA, dirB] = [`${dir}/run-a`, `${dir}/run-b`];
      const printedA = await permissions(config, dirA, `${dir}/state`);
      const printedB = await permissions(config, dirB, `${dir}/state`);
      assertMinimal(printedB, config, dirB, ["vm"]);

      // two exporters of one config on one host, each with its own socket directory
      await using a = await startConfined(config, printedA);
      await using b = await startConfined(config, printedB);
      await using consoleA = a.jInBackground(["vm", "console", "log", "--follow"]);
      await using consoleB = b.jInBackground(["vm", "console", "log", "--follow"]);
      await a.j(["vm", "power", "on"]);
      await b.j(["vm", "power", "on"]);
      await consoleA.shows(BANNER);
      await consoleB.shows(BANNER);
      const [orphan] = await qemuPidsMentioning(`${dirA}/drivers/vm/`);
      assert.ok(orphan, "no QEMU runs in the first exporter's directory");

      // a third with the first one's socket directory, while it lives: refused, saying why
      await using refused = spawnUnderPrinted(config, printedA);
      const result = await refused.wait();
      assert.notEqual(result.code, 0, `a second exporter on ${dirA} served: ${result.stderr}`);
      assert.match(result.stderr, /Cannot claim .*\/run-a\/drivers\/vm: it is in use/);

      // the first one killed with SIGKILL: its QEMU and its sockets are left behind...
      a.exporter.process.kill("SIGKILL");
      await a.exporter.process.status;
      await Deno.stat(`${dirA}/drivers/vm/qmp.sock`);
      assert.deepEqual(await qemuPidsMentioning(`${dirA}/drivers/vm/`), [orphan]);
      // ...and the next one with that directory takes it over and boots its own
      await using next = await startConfined(config, printedA);
      await using consoleNext = next.jInBackground(["vm", "console", "log", "--follow"]);
      await next.j(["vm", "power", "on"]);
      await consoleNext.shows(BANNER);
      const started = (await qemuPidsMentioning(`${dirA}/drivers/vm/`)).filter((pid) =>
        pid !== orphan
      );
      assert.equal(started.length, 1, `expected one new QEMU beside ${orphan}: ${started}`);
      await next.j(["vm", "power", "off"]);
      assert.deepEqual(await qemuPidsMentioning(`${dirA}/drivers/vm/`), [orphan]);
      await b.j(["vm", "power", "off"]);
      assert.deepEqual(await qemuPidsMentioning(`${dirB}/drivers/vm/`), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }),
);
