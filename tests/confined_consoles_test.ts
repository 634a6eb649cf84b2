/**
 * Console drivers served by an exporter running under exactly the grants
 * `jmp-exporter permissions` prints, each against a real peer: NVDemuxSerial's channels (a
 * stand-in demuxer making real ptys, as NVIDIA's does: no Tegra here), UbootConsole driving
 * Debian's U-Boot in QEMU through PySerial and HttpPower children, and Shell running its scripts.
 */
import assert from "node:assert/strict";
import { eventually } from "@jumpstarter/lib/testing";
import { TIMEOUT_RETURN_CODE } from "@jumpstarter/driver-shell/driver";
import { serveConfined } from "./_permissions.ts";
import { boardReachesPipe } from "./_confined_consoles.ts";
import { ptyPair } from "../drivers/serial/_testing/pty.ts";
import { startQemuUbootBoard } from "../drivers/uboot/_testing/qemu_board.ts";

const DEMUXER = new URL("../drivers/serial/_testing/fake_nv_demuxer.sh", import.meta.url).pathname;

Deno.test("NVDemuxSerial serves under exactly the printed grants: the demuxer and its ptys", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-nvdemux-" });
  try {
    const board = `${dir}/board`;
    await Deno.mkdir(board);
    await Deno.mkdir(`${dir}/tcu`);
    await using _tcu = await ptyPair(`${dir}/tcu/usb-NVIDIA_Tegra_X-if01`, `${dir}/tcu-peer`);
    await using served = await serveConfined(
      dir,
      "  ccplex:\n    type: NVDemuxSerial\n    config:\n" +
        `      { demuxer_path: ${DEMUXER}, device: "${dir}/tcu/usb-NVIDIA_*-if01", chip: T234 }\n`,
      { env: { FAKE_DEMUX_BOARD_DIR: board } },
    );
    assert.deepEqual(served.grantsOf("ccplex"), {
      read: [`${dir}/tcu`],
      run: [DEMUXER, "stty"],
      ffi: true,
    });
    await boardReachesPipe(served, "ccplex", `${board}/ccplex`, dir);
    assert.equal(
      await Deno.readTextFile(`${board}/args`),
      `T234 ${dir}/tcu/usb-NVIDIA_Tegra_X-if01\n`,
      "the demuxer was started on the device the glob found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UbootConsole serves under exactly the printed grants: nothing of its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-uboot-" });
  try {
    await using board = await startQemuUbootBoard();
    await using served = await serveConfined(
      dir,
      "  uboot:\n    type: UbootConsole\n    children:\n" +
        "      power:\n        type: HttpPower\n        config:\n" +
        `          power_on: { url: "${board.onUrl}", method: POST }\n` +
        `          power_off: { url: "${board.offUrl}", method: POST }\n` +
        "      serial:\n        type: PySerial\n" +
        `        config: { url: "${board.serialUrl}", check_present: false, log_dir: ${dir}/logs }\n`,
    );
    assert.deepEqual(served.grantsOf("uboot"), {});
    await served.j(["uboot", "reboot-to-console"]);
    assert.deepEqual(board.switched, ["off", "on"]);
    const version = await served.j(["uboot", "run", "version"]);
    assert.match(version.stdout, /^U-Boot 20\d\d\.\d\d/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Shell serves under exactly the printed grants: its scripts run, and a late one is stopped whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-shell-" });
  try {
    await using served = await serveConfined(
      dir,
      "  shell:\n    type: Shell\n    config:\n      shell: [sh, -c]\n" +
        `      cwd: ${dir}\n      methods:\n        greet: 'echo "hello $1"'\n` +
        // a member of the script's process group that outlives its leader unless stopped
        "        late: { command: 'sleep 60 & echo $! > late.pid; wait', timeout: 1 }\n",
    );
    assert.deepEqual(served.grantsOf("shell"), { run: true, read: [dir] });
    assert.equal((await served.j(["shell", "greet", "confined"])).stdout, "hello confined\n");
    const late = await served.j(["shell", "late"], TIMEOUT_RETURN_CODE);
    assert.match(late.stderr, /Timeout expired while running late/);
    const pid = (await Deno.readTextFile(`${dir}/late.pid`)).trim();
    await eventually(
      `the script's sleep (pid ${pid}) to be killed with its group`,
      () => Deno.stat(`/proc/${pid}`).then(() => undefined, () => true),
      { timeoutMs: 10_000 },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
