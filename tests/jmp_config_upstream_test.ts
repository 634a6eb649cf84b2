/**
 * Issue 9 item 9: every config file our CLI writes is read by upstream's own config loaders
 * (`ClientConfigV1Alpha1.from_file`, `ExporterConfigV1Alpha1.load_path`) in v0.7.0 and HEAD.
 */
import assert from "node:assert/strict";
import { assertExit, describe, jmp, run, tempDir } from "./_helpers.ts";
import { startController } from "./_distributed.ts";
import { upstreamPeers } from "./upstream/_peer.ts";

/** Loads each argument as a client (`c:PATH`) or exporter (`e:PATH`) config; prints the names. */
const LOADER = `
import sys
from pathlib import Path
from jumpstarter.config.client import ClientConfigV1Alpha1
from jumpstarter.config.exporter import ExporterConfigV1Alpha1
for arg in sys.argv[1:]:
    kind, path = arg.split(":", 1)
    if kind == "c":
        config = ClientConfigV1Alpha1.from_file(path)
        print("client", config.metadata.namespace, config.metadata.name, config.endpoint)
    else:
        config = ExporterConfigV1Alpha1.load_path(Path(path))
        print("exporter", config.metadata.namespace, config.metadata.name, config.endpoint)
`;

Deno.test("upstream v0.7.0 and HEAD load every config jmp writes", async () => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  try {
    const admin = ["--admin-config", controller.adminConfig];
    const home = { env: { JMP_CLIENT_CONFIG_HOME: `${dir.path}/home` }, timeoutMs: 60_000 };
    const slow = { timeoutMs: 60_000 };
    const written = {
      adminClient: `${dir.path}/admin-client.yaml`,
      adminExporter: `${dir.path}/admin-exporter.yaml`,
      savedClient: `${dir.path}/home/clients/saved.yaml`,
      configClient: `${dir.path}/config-client.yaml`,
      configExporter: `${dir.path}/home/exporters/made.yaml`,
    };
    assertExit(
      await jmp(
        ["admin", "create", "client", "alice", ...admin, "--out", written.adminClient],
        slow,
      ),
      0,
    );
    assertExit(
      await jmp(["admin", "create", "client", "saved", ...admin, "--save", "--unsafe"], home),
      0,
    );
    assertExit(
      await jmp([
        "admin",
        "create",
        "exporter",
        "bench",
        ...admin,
        "-l",
        "board=virt",
        "--out",
        written.adminExporter,
      ], slow),
      0,
    );
    assertExit(
      await jmp([
        "config",
        "client",
        "create",
        "mine",
        "--out",
        written.configClient,
        "--namespace",
        "default",
        "--name",
        "mine",
        "-e",
        controller.endpoint,
        "-t",
        "tok",
        "-a",
        "",
        "--nointeractive",
      ], home),
      0,
    );
    assertExit(
      await jmp([
        "config",
        "exporter",
        "create",
        "made",
        "--namespace",
        "default",
        "--name",
        "made",
        "--endpoint",
        controller.endpoint,
        "--token",
        "tok",
        "--nointeractive",
      ], home),
      0,
    );
    // what upstream itself leaves out: unset fields and a leases block of defaults
    for (const path of [written.adminClient, written.savedClient, written.configClient]) {
      const text = await Deno.readTextFile(path);
      assert.doesNotMatch(text, /: null$/m, `${path} writes a null:\n${text}`);
      assert.doesNotMatch(text, /^leases:/m, `${path} writes default leases:\n${text}`);
    }
    for (const peer of upstreamPeers()) {
      const result = await run(peer.python, [
        "-c",
        LOADER,
        `c:${written.adminClient}`,
        `c:${written.savedClient}`,
        `c:${written.configClient}`,
        `e:${written.adminExporter}`,
        `e:${written.configExporter}`,
      ], {
        env: peer.env,
        unset: ["JMP_NAME", "JMP_NAMESPACE", "JMP_ENDPOINT", "JMP_TOKEN", "JMP_DRIVERS_ALLOW"],
        timeoutMs: 60_000,
      });
      assertExit(result, 0);
      assert.deepEqual(result.stdout.trimEnd().split("\n"), [
        `client default alice ${controller.endpoint}`,
        `client default saved ${controller.endpoint}`,
        `client default mine ${controller.endpoint}`,
        `exporter default bench ${controller.endpoint}`,
        `exporter default made ${controller.endpoint}`,
      ], `upstream ${peer.version}: ${describe(result)}`);
    }
  } finally {
    await controller.stop();
  }
});
