/**
 * The qemu descriptor, with the packages its children come from, builds a Qemu composite from
 * upstream's class path and serves it with typed clients and `j` commands (no global registry).
 * QEMU itself is not started: nothing here powers the VM on. Its grants name its runtime
 * directory's sockets, distinct for two VMs of one config.
 */
import assert from "node:assert/strict";
import { cliBuilderOf, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree, configGrants } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { InvalidArgumentError } from "@jumpstarter/lib/wire";
import { powerCli, VirtualPowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { PySerialClient } from "@jumpstarter/driver-serial";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { defaultLogDir } from "@jumpstarter/driver-serial/driver";
import { driverPackage as networkPackage } from "@jumpstarter/driver-network/package";
import { driverPackage } from "./package.ts";
import { Qemu } from "./driver.ts";
import { FlasherClient, QemuClient } from "./client.ts";
import { flasherCli } from "./cli.ts";
import { qemuCli } from "./qemu_cli.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  vm:
    type: jumpstarter_driver_qemu.driver.Qemu
    config: { hostname: lab-vm, username: tester, password: secret }
`;

Deno.test("driverPackage serves Qemu with QemuClient, FlasherClient and their CLIs", async () => {
  const packages = [powerPackage, serialPackage, networkPackage, driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "lab.yaml"), { registry });
  assert.ok(root.children.get("vm") instanceof Qemu);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, undefined, { registry: clients });
  const vm = served.client.child("vm", QemuClient);
  assert.deepEqual(
    [await vm.hostname(), await vm.username(), await vm.password({ timeoutMs: 5000 })],
    ["lab-vm", "tester", "secret"],
  );
  await vm.setMemorySize("1G");
  await assert.rejects(vm.setDiskSize("big"), InvalidArgumentError);
  assert.equal(cliBuilderOf(packages, vm), qemuCli);
  assert.equal(cliBuilderOf(packages, vm.child("flasher", FlasherClient)), flasherCli);
  assert.equal(cliBuilderOf(packages, vm.child("power", VirtualPowerClient)), powerCli);
  assert.ok(vm.child("console", PySerialClient));
});

Deno.test("driverPackage's Qemu grants: each VM's own sockets, its images, KVM when it may try it, forwarded ports", () => {
  const config = parseExporterConfig(
    `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  vm:
    type: Qemu
    config:
      arch: x86_64
      default_partitions: { bios: /srv/fw/u-boot.bin, root: /srv/img/root.raw }
      hostfwd: { ssh: { hostaddr: 0.0.0.0, hostport: 2222, guestport: 22 } }
  board:
    children:
      vm: { type: Qemu, config: { arch: aarch64 } }
`,
    "lab.yaml",
  );
  const packages = [powerPackage, serialPackage, networkPackage, driverPackage];
  const [x86, arm] = configGrants(config, packages, "/run/jmp").drivers.map((row) => row.grants);
  const sockets = (dir: string) =>
    ["qmp", "console", "vnc"].map((name) => `unix:/run/jmp/drivers/${dir}/${name}.sock`);
  const kvm = Deno.build.arch === "x86_64" ? ["/dev/kvm"] : [];
  const logs = defaultLogDir(); // the console's, found from XDG_STATE_HOME or HOME
  assert.deepEqual(x86, {
    read: ["/run/jmp/drivers/vm", ...kvm, "/srv/fw/u-boot.bin", "/srv/img/root.raw", logs],
    write: ["/run/jmp/drivers/vm", ...kvm, logs],
    run: ["qemu-system-x86_64", "qemu-img"],
    // the forward bound on every address is reached on loopback
    net: [...sockets("vm"), "127.0.0.1:2222"],
    env: ["XDG_STATE_HOME", "HOME"],
  });
  assert.deepEqual(arm?.net, sockets("board.vm"));
  assert.deepEqual(arm?.write, ["/run/jmp/drivers/board.vm", logs]);
  assert.deepEqual(arm?.run, ["qemu-system-aarch64", "qemu-img"]);
});
