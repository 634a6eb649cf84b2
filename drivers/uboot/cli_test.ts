/**
 * The U-Boot CLI: its builder on a served client (QEMU + U-Boot as in examples/qemu-uboot.yaml),
 * and, once `j` knows the uboot and qemu packages (cli/drivers.ts), `j` itself inside `jmp shell`.
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { CompositeClient } from "@jumpstarter/lib/client";
import { serve } from "@jumpstarter/lib/testing";
import { UbootConsoleClient } from "./client.ts";
import { ubootCli, type UbootCliIo } from "./cli.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as qemuPackage } from "@jumpstarter/driver-qemu/package";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";

const PACKAGES = [driverPackage, qemuPackage, powerPackage, serialPackage, opendalPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const root = new URL("../../", import.meta.url).pathname;
const EXAMPLE = `${root}examples/qemu-uboot.yaml`;

function program(client: UbootConsoleClient, io: UbootCliIo): Command {
  const command = ubootCli(client, "uboot", { progress: () => () => {} }, io);
  for (const sub of [command, ...command.commands]) {
    sub.exitOverride().configureOutput({ writeErr: () => {} });
  }
  return command;
}

Deno.test("ubootCli: reboot-to-console, run, set-env/get-env, dhcp on QEMU + U-Boot", async () => {
  const tree = await buildDriverTree(await loadExporterConfig(EXAMPLE), {
    registry: driverRegistry,
  });
  await using served = await serve(tree, CompositeClient, { packages: PACKAGES });
  const client = served.client.child("uboot", UbootConsoleClient);
  const lines: string[] = [];
  const errors: string[] = [];
  const codes: number[] = [];
  const io = {
    print: (line: string) => lines.push(line),
    printError: (l: string) => errors.push(l),
    setExitCode: (code: number) => codes.push(code),
  };
  const run = async (...args: string[]) => {
    lines.length = 0;
    return await program(client, io).parseAsync(args, { from: "user" });
  };

  await run("reboot-to-console", "--timeout", "60");
  assert.deepEqual(lines, ["U-Boot prompt ready (=>)"]);
  await run("run", "version");
  assert.match(lines[0]!, /^U-Boot 20\d\d\.\d\d/);
  await run("run", "echo", "one", "two");
  assert.deepEqual(lines, ["one two"]);
  await run("set-env", "js_cli", "hello world");
  await run("get-env", "js_cli");
  assert.deepEqual(lines, ["hello world"]);
  await run("set-env", "js_cli");
  assert.deepEqual(codes, []);
  // get-env of an undefined variable: a message and exit code 1 (through `j`: the test below)
  await run("get-env", "js_cli");
  assert.deepEqual(lines, []);
  assert.deepEqual(errors, ["js_cli is not defined"]);
  assert.deepEqual(codes, [1]);
  await run("dhcp");
  assert.deepEqual(lines, [
    "ip_address: 10.0.2.15",
    "netmask: 255.255.255.0 (/24)",
    "gateway: 10.0.2.2",
    "server_ip: 10.0.2.2",
  ]);
  await assert.rejects(
    run("run", "version", "--timeout", "soon"),
    /--timeout expects a positive number of seconds, got "soon"/,
  );
});

Deno.test({
  name: "j inside jmp shell drives QEMU + U-Boot from examples/qemu-uboot.yaml",
  fn: async () => {
    const script = [
      "set -e",
      "j uboot reboot-to-console",
      "j uboot run version",
      "j uboot set-env js_shell 'a b'",
      'test "$(j uboot get-env js_shell)" = "a b"',
      "if j uboot get-env js_missing; then exit 9; fi",
      "j uboot dhcp",
      "j qemu power off",
    ].join("\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        "--config",
        `${root}deno.json`,
        `${root}cli/main.ts`,
        "shell",
        "--exporter-config",
        EXAMPLE,
        "--",
        "sh",
        "-c",
        script,
      ],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `jmp shell failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /U-Boot prompt ready/);
    assert.match(stdout, /U-Boot 20\d\d\.\d\d/);
    assert.match(stdout, /ip_address: 10\.0\.2\.15/);
    assert.match(stderr, /js_missing is not defined/);
  },
});
