/**
 * Issue 9 item 10: a client config made with `-k` (`tls.insecure: true`, no CA) reaches a
 * controller whose certificate it cannot verify, as upstream's client does, for controller calls
 * and for the router tunnel; the same config without `-k` is refused with a TLS error.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { assertExit, describe, jmp, spawnJmp, tempDir } from "./_helpers.ts";
import {
  makeClient,
  makeExporter,
  powerOnArgs,
  readCredentials,
  startController,
  untilExporter,
} from "./_distributed.ts";

Deno.test("-k / insecure: true connects to a controller with an unverifiable certificate", async (t) => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
    "board=virt",
  ]);
  const alice = await readCredentials(await makeClient(controller.adminConfig, dir.path, "alice"));
  await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  const create = async (path: string, ...flags: string[]) => {
    const result = await jmp([
      "config",
      "client",
      "create",
      "alice",
      "--out",
      path,
      "--namespace",
      "default",
      "--name",
      "alice",
      "-e",
      controller.endpoint,
      "-t",
      alice.token,
      "--unsafe",
      "--nointeractive",
      ...flags,
    ], { env: { JMP_CLIENT_CONFIG_HOME: `${dir.path}/home` } });
    assertExit(result, 0);
    return path;
  };
  const insecure = await create(`${dir.path}/insecure.yaml`, "-k");
  const strict = await create(`${dir.path}/strict.yaml`);
  try {
    assert.deepEqual(
      (parse(await Deno.readTextFile(insecure)) as { tls: unknown }).tls,
      { ca: "", insecure: true },
    );
    await untilExporter(insecure, "bench1");

    await t.step("without -k the unverifiable certificate is refused", async () => {
      const result = await jmp(["get", "exporters", "--client-config", strict], {
        timeoutMs: 60_000,
      });
      assertExit(result, 1);
      assert.match(result.stderr, /certificate|TLS|SSL/i, describe(result));
    });

    await t.step("with -k a lease and j through the router work", async () => {
      const result = await jmp(powerOnArgs(insecure), { timeoutMs: 60_000 });
      assertExit(result, 0);
    });
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});
