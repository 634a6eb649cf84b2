/**
 * UbootConsole across implementations, on real U-Boot in QEMU (_testing/qemu_board.ts):
 * our client (and our `j`) driving upstream's exporter, whose UbootConsole exports only
 * `get_prompt` so the dialog runs in our client; and upstream's client library (HEAD, 0.7.0) driving our
 * exporter the way it drives upstream's (get_prompt, power.cycle(), serial.pexpect()).
 */
import assert from "node:assert/strict";
import { loadExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { UbootConsoleClient } from "./client.ts";
import { startQemuUbootBoard } from "./_testing/qemu_board.ts";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { driverPackage } from "./package.ts";
import { driverPackage as qemuPackage } from "@jumpstarter/driver-qemu/package";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { driverPackage as opendalPackage } from "@jumpstarter/driver-opendal/package";
import { driverPackage as httpPowerPackage } from "@jumpstarter/driver-http-power/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [
  driverPackage,
  qemuPackage,
  powerPackage,
  serialPackage,
  opendalPackage,
  httpPowerPackage,
];
const driverRegistry = driverRegistryOf(PACKAGES);

const decoder = new TextDecoder();
const REPO = decodeURIComponent(new URL("../../", import.meta.url).pathname);

for (const version of ["head", "0.7.0"] as const satisfies UpstreamVersion[]) {
  Deno.test(`our client and j drive U-Boot through upstream ${version}'s exporter`, async () => {
    await using board = await startQemuUbootBoard();
    await using exporter = await serveWithUpstream(upstreamPeer(version), board.config, PACKAGES);
    const uboot = exporter.handle.root.child("uboot", UbootConsoleClient);
    assert.equal(uboot.dialogOnExporter, false, "upstream's exporter runs no dialog");
    assert.match(await uboot.getPrompt(), version === "head" ? /^\n=>$/ : /^=>$/);

    await uboot.rebootToConsole({ timeout: 60 });
    assert.deepEqual(board.switched, ["off", "on"]);
    assert.match(await uboot.runCommand("version"), /^U-Boot 20\d\d\.\d\d/);
    await uboot.setEnv("jmp_var", "a b;c$d");
    assert.equal(await uboot.getEnv("jmp_var"), "a b;c$d");
    await uboot.setEnv("jmp_var", null);
    assert.equal(await uboot.getEnv("jmp_var"), null);
    assert.deepEqual(await uboot.runCommandChecked("echo hello"), ["hello"]);
    await assert.rejects(uboot.runCommandChecked("false"), /failed with status 1/);

    const j = await new Deno.Command(`${REPO}bin/j`, {
      args: ["uboot", "run", "echo", "from-j"],
      env: { JUMPSTARTER_HOST: exporter.socket, JMP_DRIVERS_ALLOW: "UNSAFE" },
      stdin: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.equal(j.code, 0, decoder.decode(j.stderr));
    assert.equal(decoder.decode(j.stdout), "from-j\n");
  });
}

for (const version of ["head", "0.7.0"] as const satisfies UpstreamVersion[]) {
  Deno.test(`upstream ${version}'s UbootConsoleClient drives U-Boot through our exporter`, async () => {
    await using board = await startQemuUbootBoard();
    const dir = await Deno.makeTempDir({ prefix: "jmp-uboot-" });
    try {
      const configPath = `${dir}/exporter.yaml`;
      await Deno.writeTextFile(configPath, board.config);
      await using served = await serve(
        await buildDriverTree(await loadExporterConfig(configPath), { registry: driverRegistry }),
        CompositeClient,
        { packages: PACKAGES },
      );
      const peer = upstreamPeer(version);
      const script = [
        "from jumpstarter.common.utils import env",
        "with env() as client:",
        "    u = client.uboot",
        "    print('PROMPT', repr(u.prompt))",
        "    with u.reboot_to_console():",
        "        print('VERSION', u.run_command('version').decode(errors='replace').strip())",
        "        u.set_env('jmp_var', 'from upstream')",
        "        print('GOT', u.get_env('jmp_var'))",
        "        print('CHECKED', u.run_command_checked('echo checked'))",
      ].join("\n");
      const output = await new Deno.Command(peer.python, {
        args: ["-c", script],
        env: { ...peer.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
        stdin: "null",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const stdout = decoder.decode(output.stdout);
      assert.equal(output.code, 0, `${stdout}\n${decoder.decode(output.stderr)}`);
      assert.match(stdout, /^PROMPT '=>'$/m);
      assert.match(stdout, /^VERSION [^]*U-Boot 20\d\d\.\d\d/m);
      assert.match(stdout, /^GOT from upstream$/m);
      assert.match(stdout, /^CHECKED \['checked'\]$/m);
      assert.deepEqual(board.switched, ["off", "on"], "upstream's power.cycle(): off, then on");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
