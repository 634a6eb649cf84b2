import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { hostArch, parseSize, qemuConfigSchema } from "./config.ts";
import { Qemu } from "./driver.ts";
import { driverPackage } from "./package.ts";
import { driverRegistryOf } from "@jumpstarter/lib/driver";

const PACKAGES = [driverPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

function issues(input: unknown): string[] {
  const result = qemuConfigSchema.safeParse(input);
  assert.equal(result.success, false, "expected the config to be rejected");
  return result.error!.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

Deno.test("Qemu config: upstream's defaults", () => {
  const config = qemuConfigSchema.parse({});
  assert.equal(config.arch, hostArch());
  assert.equal(config.smp, 2);
  assert.equal(config.mem, "512M");
  assert.equal(config.hostname, "demo");
  assert.equal(config.username, "jumpstarter");
  assert.equal(config.password, "password");
  assert.deepEqual(config.default_partitions, {});
  assert.deepEqual(config.hostfwd, {});
  assert.equal(config.accel, "auto");
  assert.equal(config.shutdown_timeout, 0);
});

Deno.test("Qemu config: arch aliases and hostfwd defaults", () => {
  const config = qemuConfigSchema.parse({
    arch: "arm64",
    hostfwd: { ssh: { hostport: 2222, guestport: 22 } },
  });
  assert.equal(config.arch, "aarch64");
  assert.deepEqual(config.hostfwd.ssh, {
    protocol: "tcp",
    hostaddr: "127.0.0.1",
    hostport: 2222,
    guestport: 22,
  });
});

Deno.test("Qemu config: bad values get messages that say what is wrong", () => {
  assert.match(issues({ mem: "a lot" })[0]!, /^mem: mem must be a size such as 512M/);
  assert.match(issues({ "disk_size": "2 GB" })[0]!, /^disk_size: disk_size must be a size/);
  assert.match(issues({ smp: 0 })[0]!, /^smp: /);
  assert.match(issues({ accel: "hvf" })[0]!, /^accel: /);
  assert.match(issues({ "default_partitions": { nvram: "/x" } })[0]!, /^default_partitions/);
  assert.match(
    issues({ hostfwd: { console: { hostport: 1, guestport: 2 } } })[0]!,
    /hostfwd name "console" is taken by the console child/,
  );
  assert.match(issues({ hostfwd: { ssh: { hostport: 70000, guestport: 22 } } })[0]!, /hostport/);
  assert.match(
    issues({ arch: "sparc64" })[0]!,
    /arch "sparc64" has no default machine: set machine/,
  );
  assert.match(issues({ cpus: 4 })[0]!, /Unrecognized key/i);
  assert.equal(qemuConfigSchema.safeParse({ arch: "sparc64", machine: "sun4u" }).success, true);
});

Deno.test("parseSize reads QEMU size suffixes", () => {
  assert.equal(parseSize("512"), 512);
  assert.equal(parseSize("4K"), 4096);
  assert.equal(parseSize("512M"), 512 * 1024 * 1024);
  assert.equal(parseSize("2g"), 2 * 1024 ** 3);
  assert.throws(() => parseSize("2GB"), /Invalid size "2GB"/);
});

Deno.test("Qemu config: upstream head's fls_*, flash_timeout and launcher_socket load with one located warning each", async () => {
  const yaml = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  qemu:
    type: jumpstarter_driver_qemu.driver.Qemu
    config:
      arch: aarch64
      fls_version: "0.1.9"
      flash_timeout: 600
      launcher_socket: /shared/launcher.sock
`;
  const warnings: string[] = [];
  const root = await buildDriverTree(parseExporterConfig(yaml, "vm.yaml"), {
    registry: driverRegistry,
    warn: (message) => warnings.push(message),
  });
  try {
    assert.ok(root.children.get("qemu") instanceof Qemu);
    assert.deepEqual(warnings, [
      'vm.yaml:8:7: Ignoring "fls_version" (OCI flashing with fls is not supported here)' +
      " at export.qemu.config.fls_version",
      'vm.yaml:9:7: Ignoring "flash_timeout" (it limits OCI flashing with fls, which is not' +
      " supported here) at export.qemu.config.flash_timeout",
      'vm.yaml:10:7: Ignoring "launcher_socket" (sidecar mode (jumpstarter-exec) is not' +
      " supported here: QEMU runs on the exporter) at export.qemu.config.launcher_socket",
    ]);
  } finally {
    await root.close();
  }
});
