/**
 * Finding the SD-Wire's card reader in sysfs, on a tree laid out as the kernel does: the FT200X
 * and the reader sit behind the SD-Wire's internal hub, the reader's disk under its SCSI host;
 * the `/dev/disk/by-diskseq/` link is preferred when udev made one.
 */
import assert from "node:assert/strict";
import { sysfsStorageDevice } from "./host.ts";

Deno.test("sysfsStorageDevice finds the disk behind the SD-Wire's hub, by its by-diskseq link when there is one", async () => {
  const root = await Deno.makeTempDir({ prefix: "jmp-sysfs-" });
  try {
    const hub = `${root}/sys/devices/pci0000:00/usb2/2-5`;
    await Deno.mkdir(`${hub}/2-5.2`, { recursive: true }); // the FT200X
    await Deno.mkdir(`${hub}/2-5.1/2-5.1:1.0/host3/target3:0:0/3:0:0:0/block/sdc`, {
      recursive: true,
    });
    await Deno.mkdir(`${root}/sys/bus/usb/devices`, { recursive: true });
    await Deno.symlink(`${hub}/2-5.2`, `${root}/sys/bus/usb/devices/2-5.2`);
    await Deno.mkdir(`${root}/dev/disk/by-diskseq`, { recursive: true });
    await Deno.writeFile(`${root}/dev/sdc`, new Uint8Array(0));

    assert.equal(sysfsStorageDevice("2-5.2", `${root}/sys`, `${root}/dev`), `${root}/dev/sdc`);
    await Deno.symlink(`${root}/dev/sdc`, `${root}/dev/disk/by-diskseq/17`);
    assert.equal(
      sysfsStorageDevice("2-5.2", `${root}/sys`, `${root}/dev`),
      `${root}/dev/disk/by-diskseq/17`,
    );
    assert.equal(sysfsStorageDevice("9-9", `${root}/sys`, `${root}/dev`), null);
    assert.equal(sysfsStorageDevice(null, `${root}/sys`, `${root}/dev`), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
