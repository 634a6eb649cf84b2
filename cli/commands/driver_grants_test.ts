/**
 * The grants each shipped driver type declares for its config (issue 16): exactly what it opens,
 * reaches and runs, and `-A` with the reason where Deno allows it no less. The confined end-to-end
 * tests (`tests/confined_*_test.ts`) serve these under the printed flags.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { configGrants } from "@jumpstarter/lib/exporter";
import { type Grants, mergeGrants, tempDirectory } from "@jumpstarter/lib/driver";
import { CORELLIUM_VARIABLES, corelliumGrants } from "@jumpstarter/driver-corellium/package";
import { S3_VARIABLES } from "@jumpstarter/driver-opendal/package";
import { DRIVER_PACKAGES } from "../driver_packages.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n";
const TMP = tempDirectory();
const SYSFS_NEEDS_ALL = "only with -A (device nodes, /proc and /sys)";

/** Each entry's grants (by dotted path) of the config whose `export:` lines are `entries`. */
function grantsOf(entries: string): Record<string, Grants | undefined> {
  const config = parseExporterConfig(HEADER + entries, "lab.yaml");
  return Object.fromEntries(
    configGrants(config, DRIVER_PACKAGES, "/run/jmp").drivers.map((driver) => [
      driver.path,
      driver.grants,
    ]),
  );
}

Deno.test("grants: NVDemuxSerial, UbootConsole and Shell", () => {
  const grants = grantsOf(
    "  tegra:\n    type: NVDemuxSerial\n    config: { demuxer_path: /opt/nv/demux }\n" +
      "  lab:\n    type: NVDemuxSerial\n" +
      "    config: { demuxer_path: /opt/nv/demux, device: '/srv/tcu/usb-*-if01' }\n" +
      "  uboot:\n    type: UbootConsole\n" +
      "  sh:\n    type: Shell\n    config: { methods: { a: 'true' }, cwd: /srv/lab }\n",
  );
  assert.equal(
    grants.tegra?.all,
    `Deno opens /dev/serial/by-id ${SYSFS_NEEDS_ALL}`,
  );
  assert.deepEqual(grants.lab, {
    read: ["/srv/tcu"],
    run: ["/opt/nv/demux", "stty"],
    ffi: true,
  });
  assert.deepEqual(grants.uboot, {});
  assert.deepEqual(grants.sh, { run: true, read: ["/srv/lab"] });
});

Deno.test("grants: the opendal package's drivers", () => {
  const grants = grantsOf(
    "  fs:\n    type: Opendal\n    config: { scheme: fs, kwargs: { root: /srv/data } }\n" +
      "  here:\n    type: Opendal\n    config: { scheme: fs }\n" +
      "  s3:\n    type: Opendal\n    config: { scheme: s3, kwargs: { bucket: b } }\n" +
      "  mem:\n    type: Opendal\n    config: { scheme: memory }\n" +
      "  flasher:\n    type: MockFlasher\n" +
      "  card:\n    type: MockStorageMuxFlasher\n    config: { path: /srv/media/card.img }\n" +
      "  stick:\n    type: MockStorageMux\n",
  );
  assert.deepEqual(grants, {
    fs: { read: ["/srv/data"] },
    here: { read: [Deno.cwd()] },
    s3: { env: S3_VARIABLES },
    mem: {},
    flasher: { read: [TMP], write: [TMP] },
    card: { read: ["/srv/media"], write: ["/srv/media"] },
    stick: { read: [TMP], write: [TMP] },
  });
});

Deno.test("grants: Corellium names its variables, and its API host and CA file when set", () => {
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.deepEqual(corelliumGrants(env({})), { env: CORELLIUM_VARIABLES });
  assert.deepEqual(
    corelliumGrants(env({ CORELLIUM_API_HOST: "app.corellium.example", CORELLIUM_API_TOKEN: "t" })),
    { env: CORELLIUM_VARIABLES, net: ["app.corellium.example:443"] },
  );
  assert.deepEqual(
    corelliumGrants(
      env({
        CORELLIUM_API_HOST: "10.0.0.5:8443",
        CORELLIUM_API_TOKEN: "t",
        CORELLIUM_API_CA_FILE: "/etc/lab/ca.pem",
      }),
    ),
    { env: CORELLIUM_VARIABLES, net: ["10.0.0.5:8443"], read: ["/etc/lab/ca.pem"] },
  );
});

Deno.test("grants: CAN buses by interface", () => {
  const grants = grantsOf(
    "  virtual:\n    type: Can\n" +
      "  multicast:\n    type: Can\n    config: { interface: udp_multicast }\n" +
      "  group:\n    type: Can\n    config: { interface: udp_multicast, channel: 239.1.2.3 }\n" +
      "  kernel:\n    type: Can\n    config: { interface: socketcan, channel: can0 }\n" +
      "  isotp:\n    type: IsoTpPython\n    config:\n" +
      "      { interface: udp_multicast, address: { addressing_mode: 0, txid: 1, rxid: 2 } }\n" +
      "  isotp_kernel:\n    type: IsoTpSocket\n" +
      "    config: { channel: can0, address: { addressing_mode: 0, txid: 1, rxid: 2 } }\n",
  );
  const multicast = { net: ["0.0.0.0:43113", "239.74.163.2:43113"] };
  assert.deepEqual(grants, {
    virtual: {},
    multicast,
    group: { net: ["0.0.0.0:43113", "239.1.2.3:43113"] },
    kernel: { ffi: true },
    isotp: multicast,
    isotp_kernel: { ffi: true },
  });
});

Deno.test("grants: gpiod lines name their chip and need libc", () => {
  const grants = grantsOf(
    "  relay:\n    type: DigitalOutput\n    config: { device: 1, line: 4 }\n" +
      "  button:\n    type: DigitalInput\n    config: { line: 5 }\n" +
      "  power:\n    type: PowerSwitch\n    config: { device: /dev/gpiochip2, line: 6 }\n" +
      "  led:\n    type: jumpstarter_driver_raspberrypi.driver.DigitalOutput\n" +
      "    config: { pin: 17 }\n",
  );
  const chip = (device: string) => ({ read: [device], write: [device], ffi: true });
  assert.deepEqual(grants, {
    relay: chip("/dev/gpiochip1"),
    button: chip("/dev/gpiochip0"),
    power: chip("/dev/gpiochip2"),
    led: chip("/dev/gpiochip0"),
  });
});

Deno.test("grants: USB boards need nothing for the bus; Deno's own sysfs and /dev reads need -A", () => {
  const home = Deno.env.get("XDG_STATE_HOME") ?? `${Deno.env.get("HOME")}/.local/state`;
  const grants = grantsOf(
    "  hub:\n    type: Ykush\n" +
      "  power:\n    type: DutlinkPower\n" +
      "  mux:\n    type: DutlinkStorageMux\n    config: { storage_device: /srv/card.img }\n" +
      "  sdw:\n    type: SDWire\n    config: { storage_device: /srv/sd.img }\n" +
      "  found:\n    type: SDWire\n" +
      "  console:\n    type: DutlinkSerial\n    config: { log_dir: /var/log/jmp }\n" +
      "  board:\n    type: Dutlink\n    config: { storage_device: /dev/disk/by-id/usb-sd }\n" +
      "  spare:\n    type: Dutlink\n    config:\n" +
      "      { serial: e6058a3c, storage_device: /srv/dl.img, alternate_console: 'socket://pi:2000' }\n",
  );
  assert.deepEqual(grants.hub, {});
  assert.deepEqual(grants.power, {});
  assert.deepEqual(grants.mux, { read: ["/srv/card.img"], write: ["/srv/card.img"] });
  assert.deepEqual(grants.sdw, { read: ["/srv/sd.img"], write: ["/srv/sd.img"] });
  assert.equal(
    grants.found?.all,
    `Deno opens /sys/bus/usb/devices, /sys/devices ${SYSFS_NEEDS_ALL}`,
  );
  assert.equal(grants.console?.all, `Deno opens /sys/class/tty, /sys/devices ${SYSFS_NEEDS_ALL}`);
  assert.equal(grants.board?.all, `Deno opens /dev/disk/by-id/usb-sd ${SYSFS_NEEDS_ALL}`);
  // a configured serial number and console: no lookup, so it can be confined
  const log = `${home}/jumpstarter/console`;
  assert.deepEqual(grants.spare, {
    read: ["/srv/dl.img", log],
    write: ["/srv/dl.img", log],
    net: ["pi:2000"],
    env: ["XDG_STATE_HOME", "HOME"],
  });
});

Deno.test("grants: a flasher's own files, and the servers it makes need what they would as entries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-flasher-grants-" });
  try {
    await Deno.writeTextFile(`${dir}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}');
    const flasher = (children: string) =>
      "  flasher:\n    type: BaseFlasher\n    config:\n" +
      `      { flasher_bundle: "oci:${dir}", cache_dir: /srv/cache, cacert: /srv/ca.pem,\n` +
      "        tftp_dir: /srv/tftp, http_dir: /srv/www }\n" + children;
    const given = grantsOf(
      flasher(
        "    children:\n" +
          "      tftp: { type: Tftp, config: { root_dir: /srv/t2, host: 10.0.0.1 } }\n" +
          "      http: { type: HttpServer, config: { root_dir: /srv/w2, host: 10.0.0.1 } }\n",
      ),
    );
    const own = {
      read: ["/usr/local/bin/fls-aarch64", "/usr/local/bin/fls", dir, "/srv/cache", "/srv/ca.pem"],
      write: ["/srv/cache"],
    };
    assert.deepEqual(given.flasher, own);
    const made = grantsOf(flasher(""));
    const asEntries = grantsOf(
      "  tftp:\n    type: Tftp\n    config: { root_dir: /srv/tftp, host: '', port: 69 }\n" +
        "  http:\n    type: HttpServer\n    config: { root_dir: /srv/www }\n",
    );
    assert.deepEqual(made.flasher, mergeGrants([own, asEntries.tftp!, asEntries.http!]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
