import assert from "node:assert/strict";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import type { Progress } from "@jumpstarter/lib/streams";
import { eventually, serve } from "@jumpstarter/lib/testing";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import { tftpCli } from "./cli.ts";
import { TftpClient } from "./client.ts";
import { Tftp, tftpType } from "./driver.ts";
import { entries, patternBytes, sameFile, tempDir, tftpHpaGet } from "./_testing/tftp.ts";
import { bindUdp } from "./udp.ts";
import { ownUdpPorts } from "./_testing/own_sockets.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

function tftp(root: string, port = 0): Tftp {
  return new Tftp({ "root_dir": root, host: "127.0.0.1", port });
}

function bytesOf(text: string): ReadableStream<Uint8Array> {
  return ReadableStream.from([new TextEncoder().encode(text)]);
}

Deno.test("the driver type and client are registered under upstream's class paths", () => {
  assert.equal(driverRegistry.get("jumpstarter_driver_tftp.driver.Tftp"), tftpType);
  assert.equal(driverRegistry.get("Tftp"), tftpType);
  assert.equal(
    clientRegistryOf([driverPackage]).get("jumpstarter_driver_tftp.client.TftpServerClient"),
    TftpClient,
  );
});

Deno.test("config takes upstream's keys and defaults, and explains bad values", async () => {
  await using dir = await tempDir();
  const parsed = tftpType.config.parse({ "root_dir": dir.path });
  assert.deepEqual(parsed, { "root_dir": dir.path, host: "", port: 69 });
  assert.deepEqual(tftpType.config.parse({}), {
    "root_dir": "/var/lib/tftpboot",
    host: "",
    port: 69,
  });
  const message = (value: unknown) => {
    const result = tftpType.config.safeParse(value);
    assert.equal(result.success, false);
    return result.error!.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`)
      .join("; ");
  };
  assert.match(message({ port: 70000 }), /port: port must be 0\.\.65535/);
  assert.match(message({ port: "69" }), /port: port must be a number/);
  assert.match(message({ "root_dir": "" }), /root_dir must name a directory/);
  assert.match(message({ "tftp_dir": "/x" }), /tftp_dir/);
  // the root is created when the driver is built, as upstream
  const nested = `${dir.path}/a/b/tftpboot`;
  tftpType.create({ "root_dir": nested, host: "127.0.0.1", port: 0 }, {});
  assert.ok((await Deno.stat(nested)).isDirectory);
});

Deno.test("TftpClient starts the server, manages files, and a real client fetches them", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  const driver = tftp(dir.path);
  await using served = await serve(driver, TftpClient);
  const client = served.client;
  assert.equal(await client.getHost(), "127.0.0.1");
  assert.equal(await client.getPort(), 0);
  await client.start();
  const port = await client.getPort();
  assert.notEqual(port, 0);

  const kernel = patternBytes(300_000, 2);
  assert.equal(await client.putFile("Image", ReadableStream.from([kernel])), "Image");
  assert.equal(await client.putFile("boot/board.dtb", bytesOf("dtb")), "boot/board.dtb");
  assert.deepEqual(await client.listFiles(), ["Image", "boot/board.dtb"]);
  assert.deepEqual(await Deno.readFile(`${dir.path}/Image`), kernel);

  const fetched = await tftpHpaGet(port, "Image", `${out.path}/Image`);
  assert.match(fetched.stdout, /Received 300000 bytes/);
  assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/Image`));

  assert.equal(await client.deleteFile("Image"), "Image");
  assert.deepEqual(await client.listFiles(), ["boot/board.dtb"]);
  const gone = await tftpHpaGet(port, "Image", `${out.path}/again`);
  assert.match(gone.stdout, /Error code 1: File not found/);
  await client.stop();
  assert.equal(driver.running, false);
});

Deno.test("names outside the root are refused; a missing file cannot be deleted", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  await Deno.symlink(outside.path, `${dir.path}/link`);
  await using served = await serve(tftp(dir.path), TftpClient);
  const client = served.client;
  await assert.rejects(
    client.putFile("../evil", bytesOf("x")),
    (e: Error) => e instanceof InvalidArgumentError && /Cannot store "\.\.\/evil"/.test(e.message),
  );
  await assert.rejects(client.putFile("link/evil", bytesOf("x")), InvalidArgumentError);
  await assert.rejects(client.putFile(`${outside.path}/evil`, bytesOf("x")), InvalidArgumentError);
  await assert.rejects(client.deleteFile("/etc/passwd"), InvalidArgumentError);
  await assert.rejects(
    client.deleteFile("kernel"),
    (e: Error) => e instanceof DriverError && /"kernel" does not exist/.test(e.message),
  );
  await assert.rejects(client.call("put_file", "", {}), /file name must not be empty/);
  assert.deepEqual(await entries(outside.path), []);
  assert.deepEqual(await client.listFiles(), ["link"]);
});

Deno.test("aborting putFile stops the upload: the caller gets the reason and nothing is stored", async () => {
  await using dir = await tempDir();
  await using served = await serve(tftp(dir.path), TftpClient);
  const firstChunkTaken = Promise.withResolvers<void>();
  const sourceCancelled = Promise.withResolvers<unknown>();
  let pulls = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (++pulls === 1) return controller.enqueue(patternBytes(64 * 1024));
      firstChunkTaken.resolve();
      return new Promise(() => {}); // the next chunk never comes
    },
    cancel: (reason) => sourceCancelled.resolve(reason),
  });
  const abort = new AbortController();
  const upload = served.client.putFile("partial.img", endless, { signal: abort.signal });
  await firstChunkTaken.promise;
  const reason = new Error("the caller gave up");
  abort.abort(reason);
  await assert.rejects(upload, (error) => error === reason);
  assert.equal(await sourceCancelled.promise, reason);
  await eventually(
    "the partial upload to be removed",
    async () => (await entries(dir.path)).length === 0,
    { describe: async () => `left in the root: ${(await entries(dir.path)).join(", ")}` },
  );
  assert.deepEqual(await served.client.listFiles(), []);
});

Deno.test("start and stop warn when repeated; the session's end stops the server", async () => {
  await using dir = await tempDir();
  const driver = tftp(dir.path);
  const served = await serve(driver, TftpClient);
  const warnings: string[] = [];
  driver.logger.setSink((record) => {
    if (record.severity === "WARNING") warnings.push(record.message);
  });
  await served.client.stop();
  await Promise.all([served.client.start(), served.client.start()]);
  assert.deepEqual(warnings, [
    "stop called - TFTP server is not running",
    "TFTP server is already running",
  ]);
  const port = await served.client.getPort();
  assert.ok((await ownUdpPorts()).has(port), `the server's UDP port ${port} is not seen held`);
  await served.close();
  assert.equal(driver.running, false);
  assert.ok((await ownUdpPorts()).has(port) === false, `UDP port ${port} still held after close`);
});

Deno.test("a port in use fails start with a clear error, and the driver keeps serving", async () => {
  await using dir = await tempDir();
  const taken = await bindUdp({ hostname: "127.0.0.1", port: 0, backend: "node", onMessage() {} });
  try {
    await using served = await serve(tftp(dir.path, taken.local.port), TftpClient);
    await assert.rejects(
      served.client.start(),
      (e: Error) =>
        e instanceof DriverError &&
        e.message.includes(`Cannot start TFTP server on 127.0.0.1:${taken.local.port}`) &&
        /in use/.test(e.message),
    );
    assert.deepEqual(await served.client.listFiles(), []);
  } finally {
    taken.close();
  }
});

Deno.test("tftpCli: start, put with progress, list, address, delete, stop", async () => {
  await using dir = await tempDir();
  await using src = await tempDir();
  const local = `${src.path}/vmlinuz`;
  await Deno.writeFile(local, patternBytes(200_000, 3));
  const driver = tftp(dir.path);
  await using served = await serve(driver, TftpClient);
  const reports: { label: string; total: number | undefined; last?: Progress }[] = [];
  const program = tftpCli(served.client, "tftp", {
    progress: (label, total) => {
      const report: (typeof reports)[number] = { label, total };
      reports.push(report);
      return (progress) => void (report.last = progress);
    },
  });
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {} });
  }
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    const cli = (...args: string[]) => program.parseAsync(args, { from: "user" });
    await cli("start");
    assert.equal(driver.running, true);
    await cli("put", local);
    await cli("put", local, "--name", "boot/kernel");
    await cli("list");
    await cli("address");
    await cli("delete", "vmlinuz");
    await cli("list");
    await cli("stop");
    assert.equal(driver.running, false);
    await assert.rejects(cli("put"), /missing required argument/);
  } finally {
    console.log = log;
  }
  assert.equal(reports.length, 2);
  assert.equal(reports[0]!.label, `Uploading ${local}`);
  assert.equal(reports[1]!.label, "Uploading boot/kernel");
  for (const report of reports) {
    assert.equal(report.total, 200_000);
    assert.equal(report.last?.done, true);
    assert.equal(report.last?.transferred, 200_000);
  }
  const port = printed[4]!.split(":")[1];
  assert.deepEqual(printed, [
    "vmlinuz",
    "boot/kernel",
    "boot/kernel",
    "vmlinuz",
    `127.0.0.1:${port}`,
    "boot/kernel",
  ]);
  assert.ok(await sameFile(local, `${dir.path}/boot/kernel`));
});
