import assert from "node:assert/strict";
import { ConfigError, loadExporterConfig, parseExporterConfig } from "@jumpstarter/lib/config";
import { configGrants } from "@jumpstarter/lib/exporter";
import { DRIVER_PACKAGES } from "../driver_packages.ts";
import { flagsOf, formatPermissions, UNDECLARED } from "./permissions.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n";

Deno.test("permissions: the virtual lab needs only to read its config", async () => {
  const path = new URL("../../examples/virtual-lab.yaml", import.meta.url).pathname;
  const result = configGrants(await loadExporterConfig(path), DRIVER_PACKAGES);
  assert.deepEqual(flagsOf(result), [`--allow-read=${path}`]);
  assert.deepEqual(result.drivers.map((driver) => [driver.path, driver.grants]), [
    ["power", {}],
    ["board", {}],
    ["board.power", {}],
  ]);
  assert.match(formatPermissions(result), /^board\.power +MockPower +none$/m);
});

Deno.test("permissions: serial, TFTP, SNMP and network name exactly what they open", () => {
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
`,
    "lab.yaml",
  );
  const result = configGrants(config, DRIVER_PACKAGES);
  assert.deepEqual(result.undeclared, false);
  assert.deepEqual(flagsOf(result), [
    "--allow-read=lab.yaml,/dev/ttyUSB0,/var/log/jmp,/srv/tftp",
    "--allow-write=/dev/ttyUSB0,/var/log/jmp,/srv/tftp",
    "--allow-net=192.168.7.1:6969,pdu.lab:161,10.0.0.2:22",
    "--allow-run=stty",
    "--allow-ffi",
  ]);
  const table = formatPermissions(result);
  assert.match(
    table,
    /^tftp +jumpstarter_driver_tftp\.driver\.Tftp +read=\/srv\/tftp write=\/srv\/tftp net=192\.168\.7\.1:6969$/m,
  );
});

Deno.test("permissions: a type that declares nothing asks for -A and says why", () => {
  const config = parseExporterConfig(
    HEADER + "  vm:\n    type: jumpstarter_driver_qemu.driver.Qemu\n",
    "vm.yaml",
  );
  const result = configGrants(config, DRIVER_PACKAGES);
  assert.deepEqual(flagsOf(result), ["-A"]);
  assert.match(formatPermissions(result), new RegExp(`^vm .* ${UNDECLARED}$`, "m"));
});

Deno.test("permissions: a bad driver config is one error naming file, line and field", () => {
  const config = parseExporterConfig(
    HEADER + "  tftp:\n    type: Tftp\n    config:\n      port: 70000\n",
    "bad.yaml",
  );
  assert.throws(
    () => configGrants(config, DRIVER_PACKAGES),
    (error) =>
      error instanceof ConfigError &&
      /^bad\.yaml:7:\d+: .*port must be 0\.\.65535/.test(error.message) &&
      !error.message.includes("\n"),
  );
});
