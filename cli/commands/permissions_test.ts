import assert from "node:assert/strict";
import { ConfigError, loadExporterConfig, parseExporterConfig } from "@jumpstarter/lib/config";
import { configGrants, confinementOf, type ServeMode } from "@jumpstarter/lib/exporter";
import { Composite, defineDriverType, definePackage, grantFlags } from "@jumpstarter/lib/driver";
import type { DriverPackage } from "@jumpstarter/lib/driver";
import type { ExporterConfig } from "@jumpstarter/lib/config";
import { z } from "zod";
import { defaultLogDir } from "@jumpstarter/driver-serial/driver";
import { DRIVER_PACKAGES } from "../driver_packages.ts";
import { flagsOf, formatPermissions, type Permissions, UNDECLARED } from "./permissions.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n";
const SOCKETS = "/run/jmp";
const ENV = { HOME: "/home/lab" };
const NPM_CACHE = "/home/lab/.cache/deno/npm";

/** What `permissions` prints for `config` served locally, its sockets in {@linkcode SOCKETS}. */
function permissionsOf(
  config: ExporterConfig,
  packages: readonly DriverPackage[] = DRIVER_PACKAGES,
  mode: ServeMode = { kind: "local" },
): Permissions {
  const program = confinementOf(config, packages, mode, ENV)?.program(SOCKETS);
  return {
    drivers: configGrants(config, packages, SOCKETS),
    socketDir: SOCKETS,
    ...(program ? { program } : {}),
  };
}

/** The `unix:` grants of the socket slots. */
const SLOTS = Array.from({ length: 8 }, (_, slot) => `unix:${SOCKETS}/${slot}/socket`)
  .flatMap((path) => [path, `${path}.fast`]).join(",");

Deno.test("permissions: the virtual lab needs its config and the program's own needs", async () => {
  const path = new URL("../../examples/virtual-lab.yaml", import.meta.url).pathname;
  const result = permissionsOf(await loadExporterConfig(path));
  assert.deepEqual(flagsOf(result), [
    `--allow-read=${SOCKETS},${path}`,
    `--allow-write=${SOCKETS}`,
    `--allow-net=${SLOTS}`,
    "--allow-env",
    `--allow-ffi=${NPM_CACHE}`,
    "--allow-sys=cpus,hostname,networkInterfaces",
  ]);
  assert.deepEqual(result.drivers.drivers.map((driver) => [driver.path, driver.grants]), [
    ["power", {}],
    ["board", {}],
    ["board.power", {}],
  ]);
  const printed = formatPermissions(result);
  assert.match(printed, /^board\.power +MockPower +none$/m);
  assert.match(
    printed,
    new RegExp(`^with JMP_EXPORTER_SOCKET_DIR=${SOCKETS} JMP_EXPORTER_CONFINED=1$`, "m"),
  );
  assert.match(
    printed,
    new RegExp(`^\\(exporter\\) +read=${SOCKETS} write=${SOCKETS} net=`, "m"),
  );
});

Deno.test("permissions: serial, QEMU, TFTP, SNMP and network name exactly what they open", () => {
  const config = parseExporterConfig(
    HEADER + `
  serial:
    type: jumpstarter_driver_pyserial.driver.PySerial
    config: { url: /dev/ttyUSB0, log_dir: /var/log/jmp }
  tftp:
    type: jumpstarter_driver_tftp.driver.Tftp
    config: { root_dir: /srv/tftp, host: 192.168.7.1, port: 6969 }
  pdu:
    type: jumpstarter_driver_snmp.driver.SNMPServer
    config: { host: pdu.lab, plug: 3, user: labuser }
  ssh:
    type: TcpNetwork
    config: { host: 10.0.0.2, port: 22 }
  vm:
    type: jumpstarter_driver_qemu.driver.Qemu
    config:
      arch: aarch64
      accel: tcg
      default_partitions: { root: /srv/images/root.qcow2 }
      hostfwd: { ssh: { hostport: 2222, guestport: 22 } }
`,
    "lab.yaml",
  );
  const result = configGrants(config, DRIVER_PACKAGES, SOCKETS);
  const VM = `${SOCKETS}/drivers/vm`;
  const LOGS = defaultLogDir();
  assert.deepEqual(result.undeclared, false);
  assert.deepEqual(grantFlags(result.grants), [
    "--allow-read=lab.yaml,/dev/ttyUSB0,/var/log/jmp,/srv/tftp," +
    `${VM},/srv/images/root.qcow2,${LOGS}`,
    `--allow-write=/dev/ttyUSB0,/var/log/jmp,/srv/tftp,${VM},${LOGS}`,
    // TFTP replies from a new port per transfer, to clients it cannot name: not a local subnet here;
    // SNMP binds its own socket on any port; QEMU's sockets are in its runtime directory
    "--allow-net=192.168.7.1,0.0.0.0/0,pdu.lab:161,0.0.0.0,10.0.0.2:22," +
    `unix:${VM}/qmp.sock,unix:${VM}/console.sock,unix:${VM}/vnc.sock,127.0.0.1:2222`,
    "--allow-run=stty,qemu-system-aarch64,qemu-img",
    // QEMU's console log goes to the default directory, found from these
    "--allow-env=XDG_STATE_HOME,HOME",
    "--allow-ffi",
    // the served root's confined operations tell by their owner whose directories are safe
    "--allow-sys=uid",
  ]);
  assert.match(
    formatPermissions(permissionsOf(config)),
    /^tftp +jumpstarter_driver_tftp\.driver\.Tftp +read=\/srv\/tftp write=\/srv\/tftp net=192\.168\.7\.1,0\.0\.0\.0\/0 sys=uid$/m,
  );
});

/** A third-party package that declares no grants. */
const shelfPackage = definePackage({
  name: "@my-lab/driver-shelf",
  driverTypes: [
    defineDriverType({
      name: "Shelf",
      aliases: [],
      config: z.object({}).strict(),
      create: (_config, options) => new Composite(options),
    }),
  ],
  clients: [],
});

Deno.test("permissions: a type that declares nothing asks for -A and says why", () => {
  const config = parseExporterConfig(
    HEADER + "  vm:\n    type: Shelf\n",
    "vm.yaml",
  );
  const result = permissionsOf(config, [...DRIVER_PACKAGES, shelfPackage]);
  assert.deepEqual(flagsOf(result), ["-A"]);
  assert.match(formatPermissions(result), new RegExp(`^vm .* ${UNDECLARED}$`, "m"));
});

Deno.test("permissions: a bad driver config is one error naming file, line and field", () => {
  const config = parseExporterConfig(
    HEADER + "  tftp:\n    type: Tftp\n    config:\n      port: 70000\n",
    "bad.yaml",
  );
  assert.throws(
    () => configGrants(config, DRIVER_PACKAGES, SOCKETS),
    (error) =>
      error instanceof ConfigError &&
      /^bad\.yaml:7:\d+: .*port must be 0\.\.65535/.test(error.message) &&
      !error.message.includes("\n"),
  );
});

Deno.test("permissions: an unknown driver config key is pointed at itself", () => {
  const config = parseExporterConfig(
    HEADER + "  tftp:\n    type: Tftp\n    config:\n      root: /srv\n",
    "typo.yaml",
  );
  assert.throws(
    () => configGrants(config, DRIVER_PACKAGES, SOCKETS),
    (error) => error instanceof ConfigError && /^typo\.yaml:7:7: .*"root"/.test(error.message),
  );
});

Deno.test("permissions: hooks run any program (their group is signalled), and read their script file", () => {
  const config = parseExporterConfig(
    HEADER + "  power:\n    type: MockPower\n" +
      "hooks:\n  beforeLease:\n    script: /opt/lab/prepare.sh\n" +
      "  afterLease:\n    script: |\n      echo done\n      sync\n    exec: /bin/bash\n",
    "hooks.yaml",
  );
  const result = permissionsOf(config);
  assert.deepEqual(result.drivers.hooks, [
    { name: "beforeLease", grants: { run: true, read: ["/opt/lab/prepare.sh"] } },
    { name: "afterLease", grants: { run: true } },
  ]);
  const printed = formatPermissions(result);
  assert.match(printed, /^\(beforeLease\) +hook +read=\/opt\/lab\/prepare\.sh run$/m);
  assert.match(printed, /^\(afterLease\) +hook +run$/m);
  assert.ok(flagsOf(result).includes("--allow-run"), flagsOf(result).join(" "));
});

Deno.test("permissions: HTTP power switches get the hosts their URLs name, default ports filled in", () => {
  const config = parseExporterConfig(
    HEADER +
      "  pdu:\n    type: HttpPower\n    config:\n" +
      "      on: { url: 'https://pdu.lab/on' }\n      off: { url: 'https://pdu.lab:8443/off' }\n" +
      "      read: { url: 'http://[fd00::7]/status', parse: { voltage: v, current: c } }\n" +
      "  strip:\n    type: EnerGenie\n    config: { host: strip.lab, slot: 2 }\n" +
      "  strip2:\n    type: EnerGenie\n    config: { host: '10.0.0.9:8080', slot: 1 }\n",
    "power.yaml",
  );
  const grants = Object.fromEntries(
    configGrants(config, DRIVER_PACKAGES, SOCKETS).drivers.map((
      entry,
    ) => [entry.path, entry.grants]),
  );
  assert.deepEqual(grants["pdu"], { net: ["pdu.lab:443", "pdu.lab:8443", "[fd00::7]:80"] });
  assert.deepEqual(grants["strip"], { net: ["strip.lab:80"] });
  assert.deepEqual(grants["strip2"], { net: ["10.0.0.9:8080"] });
});

const TOPICS = "cmnd_topic: cmnd/plug/POWER, stat_topic: stat/plug/POWER";

Deno.test("permissions: TasmotaPower gets its broker and ca_file, or the broker's socket path", () => {
  const config = parseExporterConfig(
    HEADER +
      "  plug:\n    type: TasmotaPower\n    config:\n" +
      `      { host: mqtt.lab, port: 8883, ca_file: /etc/lab/ca.crt, ${TOPICS} }\n` +
      "  local:\n    type: TasmotaPower\n    config:\n" +
      `      { host: /run/mosquitto.sock, transport: unix, tls: false, ${TOPICS} }\n`,
    "plugs.yaml",
  );
  const grants = Object.fromEntries(
    configGrants(config, DRIVER_PACKAGES, SOCKETS).drivers.map((
      entry,
    ) => [entry.path, entry.grants]),
  );
  assert.deepEqual(grants["plug"], { net: ["mqtt.lab:8883"], read: ["/etc/lab/ca.crt"] });
  assert.deepEqual(grants["local"], {
    read: ["/run/mosquitto.sock"],
    write: ["/run/mosquitto.sock"],
  });
});

Deno.test("permissions: a UnixNetwork needs its socket's exact path in the net grant too", () => {
  const config = parseExporterConfig(
    HEADER + "  vnc:\n    type: UnixNetwork\n    config: { path: /run/lab/vnc.sock }\n",
    "unix.yaml",
  );
  assert.deepEqual(configGrants(config, DRIVER_PACKAGES, SOCKETS).drivers[0]!.grants, {
    read: ["/run/lab/vnc.sock"],
    write: ["/run/lab/vnc.sock"],
    net: ["unix:/run/lab/vnc.sock"],
  });
});
