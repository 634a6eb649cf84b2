/**
 * Finding a board's console in sysfs, on a sysfs tree laid out as the kernel does (tty class links
 * to the USB interface directory, whose parent holds idVendor/idProduct/serial), and upstream's
 * rules on it: the first DUT Link when no serial is set, exactly one tty per serial.
 */
import assert from "node:assert/strict";
import { findDutlinkConsole, usbTtys } from "./console_lookup.ts";

async function fakeSysfs(
  devices: { port: string; vendor: string; product: string; serial?: string; ttys: string[] }[],
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "jmp-sysfs-" });
  await Deno.mkdir(`${root}/class/tty/console`, { recursive: true }); // a tty with no device
  for (const device of devices) {
    const dir = `${root}/devices/pci0000:00/usb1/${device.port}`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/idVendor`, `${device.vendor}\n`);
    await Deno.writeTextFile(`${dir}/idProduct`, `${device.product}\n`);
    if (device.serial !== undefined) {
      await Deno.writeTextFile(`${dir}/serial`, `${device.serial}\n`);
    }
    for (const [index, tty] of device.ttys.entries()) {
      const itf = `${dir}/${device.port}:1.${index}`;
      await Deno.mkdir(`${itf}/tty/${tty}`, { recursive: true });
      await Deno.mkdir(`${root}/class/tty/${tty}`, { recursive: true });
      await Deno.symlink(itf, `${root}/class/tty/${tty}/device`);
    }
  }
  return root;
}

Deno.test("usbTtys reads the USB identity behind each tty; findDutlinkConsole applies upstream's rules", async () => {
  const root = await fakeSysfs([
    { port: "1-1", vendor: "0403", product: "6001", serial: "FTDI1", ttys: ["ttyUSB0"] },
    { port: "1-2", vendor: "2b23", product: "1012", serial: "e6058a3c", ttys: ["ttyACM0"] },
    { port: "1-3", vendor: "2b23", product: "1012", serial: "twice", ttys: ["ttyACM1", "ttyACM2"] },
    { port: "1-4", vendor: "1d6b", product: "0002", ttys: ["ttyACM3"] }, // no serial
  ]);
  try {
    const ttys = usbTtys(root, "/dev");
    assert.deepEqual(ttys, [
      { path: "/dev/ttyACM0", vendorId: 0x2b23, productId: 0x1012, serial: "e6058a3c" },
      { path: "/dev/ttyACM1", vendorId: 0x2b23, productId: 0x1012, serial: "twice" },
      { path: "/dev/ttyACM2", vendorId: 0x2b23, productId: 0x1012, serial: "twice" },
      { path: "/dev/ttyUSB0", vendorId: 0x0403, productId: 0x6001, serial: "FTDI1" },
    ]);
    assert.deepEqual(findDutlinkConsole(ttys, null), { serial: "e6058a3c", tty: "/dev/ttyACM0" });
    assert.deepEqual(findDutlinkConsole(ttys, "e6058a3c"), {
      serial: "e6058a3c",
      tty: "/dev/ttyACM0",
    });
    assert.throws(
      () => findDutlinkConsole(ttys, "twice"),
      /^Error: multiple console found for the dutlink board with serial twice$/m,
    );
    assert.throws(
      () => findDutlinkConsole(ttys, "gone"),
      /^Error: no console found for the dutlink board with serial gone$/m,
    );
    assert.throws(() => findDutlinkConsole([], null), /^Error: failed to find dutlink device$/m);
    assert.deepEqual(usbTtys(`${root}/nothing`), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
