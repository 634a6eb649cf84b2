/**
 * Console drivers served by an exporter running under exactly the grants
 * `jmp-exporter permissions` prints, each against a real peer: NVDemuxSerial's channels (a
 * stand-in demuxer making real ptys, as NVIDIA's does: no Tegra here), UbootConsole driving
 * Debian's U-Boot in QEMU through PySerial and HttpPower children, and Shell running its scripts.
 */
import assert from "node:assert/strict";
import { boardReachesPipe, serveConfined } from "./_permissions.ts";
import { ptyPair } from "../drivers/serial/_testing/pty.ts";

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
