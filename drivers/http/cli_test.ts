import assert from "node:assert/strict";
import { randomBytes, serve, sha256Hex } from "@jumpstarter/lib/testing";
import type { Progress } from "@jumpstarter/lib/streams";
import { HttpServer } from "./driver.ts";
import { HttpServerClient } from "./client.ts";
import { httpCli } from "./cli.ts";
import { curl } from "./_testing/curl.ts";

/** Runs `fn` with console.log captured. */
async function captured(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

Deno.test("httpCli() starts, uploads with progress, lists, prints URLs, deletes and stops", async () => {
  const root = await Deno.makeTempDir();
  const local = await Deno.makeTempDir();
  try {
    const driver = new HttpServer({ "root_dir": root, host: "127.0.0.1", port: 0 });
    await using served = await serve(driver, HttpServerClient);
    const reports: { label: string; total?: number; last?: Progress }[] = [];
    const program = httpCli(served.client, "http", {
      progress: (label, total) => {
        const report: { label: string; total?: number; last?: Progress } = { label };
        if (total !== undefined) report.total = total;
        reports.push(report);
        return (progress) => void (report.last = progress);
      },
    });
    for (const command of [program, ...program.commands]) {
      command.exitOverride().configureOutput({ writeErr: () => {} });
    }
    const run = (...args: string[]) => captured(() => program.parseAsync(args, { from: "user" }));

    const [url] = await run("start");
    assert.match(url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await run("url"), [url]);

    const data = randomBytes(300_000);
    await Deno.writeFile(`${local}/kernel.bin`, data);
    assert.deepEqual(await run("put", `${local}/kernel.bin`), [`${url}/kernel.bin`]);
    assert.deepEqual(await run("put", `${local}/kernel.bin`, "--name", "boot/vmlinuz"), [
      `${url}/boot/vmlinuz`,
    ]);
    assert.equal(reports[0]?.label, "Uploading kernel.bin");
    assert.equal(reports[0]?.total, data.byteLength);
    assert.equal(reports[0]?.last?.done, true);
    assert.equal(reports[0]?.last?.transferred, data.byteLength);
    assert.equal(await sha256Hex((await curl(`${url}/boot/vmlinuz`)).body), await sha256Hex(data));

    assert.deepEqual(await run("list"), ["boot/vmlinuz", "kernel.bin"]);
    await run("delete", "kernel.bin");
    assert.deepEqual(await run("list"), ["boot/vmlinuz"]);
    await assert.rejects(run("delete", "kernel.bin"), /no such file/);
    await run("stop");
    assert.equal(driver.running, false);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(local, { recursive: true });
  }
});
