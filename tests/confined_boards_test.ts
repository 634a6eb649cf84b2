/**
 * Board drivers served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints. No GPIO chip or USB device exists on these machines, so each driver, confined, must
 * reach the kernel or libusb and get their own answer for a board that is not there, not a
 * refusal: gpiod's ioctl on a node that is no chip (libc through the bare `--allow-ffi`); Ykush,
 * DUT Link power and SD-Wire's bus through npm `usb` (libusb's own reads, outside Deno's flags).
 * Then the whole path against the USB boards' emulators, the exporter in a worker confined to
 * the printed flags (`_emulated_usb_host.ts`): a hub port switched, cards flashed through their
 * block device paths. Where Deno itself must read sysfs or a /dev node, the grants say -A and why.
 */
import assert from "node:assert/strict";
import { failureToStart, printedPermissions, serveConfined } from "./_permissions.ts";
import { DENO_CONFIG, run } from "./_process.ts";
import { DUTLINK_SERIAL, SDWIRE_SERIAL, YKUSH_SERIAL } from "./_emulated_usb_host.ts";
import { freePort } from "@jumpstarter/lib/testing";

const CONSOLE_LOOKUP = new URL("../drivers/dutlink/console_lookup.ts", import.meta.url).href;
const EMULATED_USB_HOST = new URL("./_emulated_usb_host.ts", import.meta.url).pathname;

/** No refusal of Deno's in `text` (its `NotCapable` message, or the exporter's rewording). */
function assertNotRefused(text: string): void {
  assert.doesNotMatch(text, /Requires \w+ access|was refused|NotCapable/, text);
}

Deno.test("gpiod reaches the kernel under exactly the printed grants: a node that is no chip fails its ioctl", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-gpiod-" });
  try {
    await Deno.writeFile(`${dir}/gpiochip9`, new Uint8Array());
    // the line is requested when the driver is made, as upstream's
    const failure = await failureToStart(
      dir,
      `  relay:\n    type: DigitalOutput\n    config: { device: ${dir}/gpiochip9, line: 4 }\n`,
    );
    assert.match(failure, /Cannot open GPIO chip .*gpiochip9: not a GPIO character device/);
    assertNotRefused(failure);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ykush, DUT Link power and SD-Wire reach libusb under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-usb-" });
  try {
    await using served = await serveConfined(
      dir,
      '  hub:\n    type: Ykush\n    config: { port: "1" }\n' +
        "  board:\n    type: DutlinkPower\n" +
        `  mux:\n    type: SDWire\n    config: { storage_device: ${dir}/sdx }\n`,
    );
    assert.deepEqual(
      ["hub", "board", "mux"].map((path) => served.grantsOf(path)),
      [{}, {}, { read: [`${dir}/sdx`], write: [`${dir}/sdx`] }],
    );
    for (const args of [["hub", "on"], ["board", "on"], ["mux", "host"]]) {
      // libusb's answer where the machine has no USB bus, the driver's where no board is on it
      const result = await served.j(args, 1);
      assert.match(result.stderr, /cannot list USB devices|failed to find|no .* found/i);
      assertNotRefused(result.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DUT Link, SD-Wire and NVDemuxSerial ask for -A where Deno must read sysfs or /dev, saying why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-sysfs-" });
  try {
    const config = `${dir}/lab.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  dutlink:\n    type: Dutlink\n    config: { storage_device: /dev/sdx }\n" +
        "  mux:\n    type: SDWire\n" +
        "  tegra:\n    type: NVDemuxSerial\n    config: { demuxer_path: /opt/nv_tcu_demuxer }\n",
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    assert.deepEqual(printed.flags, ["-A"]);
    assert.deepEqual(
      printed.drivers.map((driver) => [driver.path, driver.grants?.all]),
      [
        ["dutlink", "Deno opens /dev/sdx only with -A (device nodes, /proc and /sys)"],
        [
          "mux",
          "Deno opens /sys/bus/usb/devices, /sys/devices only with -A (device nodes, /proc and /sys)",
        ],
        ["tegra", "Deno opens /dev/serial/by-id only with -A (device nodes, /proc and /sys)"],
      ],
    );
    // the reason holds: the console lookup under its scoped grants is refused, not "no board"
    const script = `${dir}/lookup.ts`;
    await Deno.writeTextFile(script, `import { usbTtys } from "${CONSOLE_LOOKUP}";\nusbTtys();\n`);
    const lookup = await run(Deno.execPath(), [
      "run",
      "--no-prompt",
      "--config",
      DENO_CONFIG,
      // what the exporter program has of its own (its imports load native addons), and the grant
      "--allow-env",
      "--allow-sys",
      "--allow-ffi",
      "--allow-read=/sys/class/tty,/sys/devices",
      script,
    ]);
    assert.match(lookup.stderr, /Requires all access to "\/sys\/class\/tty"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("YKUSH, SD-Wire and DUT Link emulators switch and flash through j, the exporter confined to the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-emulated-usb-" });
  try {
    const image = Uint8Array.from({ length: 64 * 1024 }, (_, index) => (index * 7) % 256);
    await Deno.writeFile(`${dir}/image.bin`, image);
    await using served = await serveConfined(
      dir,
      `  hub:\n    type: Ykush\n    config: { serial: ${YKUSH_SERIAL}, port: "1" }\n` +
        "  sdw:\n    type: SDWire\n" +
        `    config: { serial: ${SDWIRE_SERIAL}, storage_device: ${dir}/sdwire-card }\n` +
        "  dl:\n    type: Dutlink\n    config:\n" +
        `      { serial: ${DUTLINK_SERIAL}, storage_device: ${dir}/dutlink-card,\n` +
        `        alternate_console: "socket://127.0.0.1:${freePort()}", storage_leeway: 0 }\n`,
      { worker: EMULATED_USB_HOST },
    );
    const card = (name: string) => ({ read: [`${dir}/${name}`], write: [`${dir}/${name}`] });
    assert.deepEqual([served.grantsOf("hub"), served.grantsOf("sdw")], [{}, card("sdwire-card")]);
    await served.j(["hub", "off"]);
    await served.j(["sdw", "flash", `${dir}/image.bin`]);
    await served.j(["dl", "power", "on"]);
    await served.j(["dl", "storage", "flash", `${dir}/image.bin`]);
    const stopped = await served.exporter.stop("SIGTERM");
    const state = JSON.parse(stopped.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(state.ykush, [false, true, true], stopped.stdout);
    assert.equal(state.sdwire, "dut", "the SD-Wire gave the card back to the DUT after flashing");
    assert.equal(state.dutlink.power, "on");
    for (const name of ["sdwire", "dutlink"]) {
      const written = await Deno.readFile(`${dir}/${name}.img`);
      assert.deepEqual(written.subarray(0, image.length), image, `${name}'s card holds the image`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
