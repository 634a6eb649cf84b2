/**
 * The server against the real Debian clients: tftp-hpa's `tftp` (RFC 1350, no options), `atftp`
 * (blksize, tsize, timeout, windowsize) and `curl` (blksize, tsize).
 */
import assert from "node:assert/strict";
import {
  atftpGet,
  curlGet,
  entries,
  LogWatch,
  patternBytes,
  run,
  sameFile,
  startServer,
  tempDir,
  tftpHpaGet,
} from "./_testing/tftp.ts";

const MiB = 1024 * 1024;

function throughput(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(1)} MiB/s`;
}

Deno.test("tftp-hpa fetches a file byte-exact (RFC 1350, 512-byte blocks)", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  await Deno.writeFile(`${dir.path}/Image`, patternBytes(MiB + 123, 11));
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  const ran = await tftpHpaGet(server.address.port, "Image", `${out.path}/Image`);
  assert.match(ran.stdout, /Received \d+ bytes/, ran.stdout + ran.stderr);
  assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/Image`));
  assert.match(await log.waitFor(/^Sent "Image"/), /1048699 bytes in 2049 blocks/);
});

Deno.test("tftp-hpa in ascii mode gets netascii that it turns back into the same text", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  await Deno.writeTextFile(`${dir.path}/boot.cmd`, "setenv bootargs console=ttyS0\nbooti\n");
  await using server = await startServer(dir.path);
  const ran = await run("tftp", [
    "-m",
    "ascii",
    "127.0.0.1",
    String(server.address.port),
    "-c",
    "get",
    "boot.cmd",
    `${out.path}/boot.cmd`,
  ]);
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.ok(await sameFile(`${dir.path}/boot.cmd`, `${out.path}/boot.cmd`));
});

Deno.test("atftp negotiates blksize 1428 and gets the right tsize in the OACK", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  const size = 3 * MiB + 7;
  await Deno.writeFile(`${dir.path}/Image`, patternBytes(size, 12));
  await using server = await startServer(dir.path);
  const ran = await atftpGet(
    server.address.port,
    "Image",
    `${out.path}/Image`,
    ["blksize 1428", "tsize 0", "timeout 2"],
    ["--trace"],
  );
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  const oack = (ran.stdout + ran.stderr).match(/received OACK <([^>]*)>/);
  assert.ok(oack, ran.stdout + ran.stderr);
  assert.match(oack[1]!, new RegExp(`tsize: ${size}\\b`));
  assert.match(oack[1]!, /blksize: 1428\b/);
  assert.match(oack[1]!, /timeout: 2\b/);
  assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/Image`));
});

Deno.test("atftp with windowsize 16 and curl with --tftp-blksize fetch byte-exact", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  await Deno.writeFile(`${dir.path}/rootfs.cpio`, patternBytes(5 * MiB + 999, 13));
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  const port = server.address.port;
  const atftp = await atftpGet(port, "rootfs.cpio", `${out.path}/a`, [
    "blksize 1428",
    "windowsize 16",
  ]);
  assert.equal(atftp.code, 0, atftp.stdout + atftp.stderr);
  assert.ok(await sameFile(`${dir.path}/rootfs.cpio`, `${out.path}/a`));
  assert.ok(log.lines.some((line) => /with blksize=1428 windowsize=16/.test(line)));
  const curl = await curlGet(port, "rootfs.cpio", `${out.path}/c`, 1428);
  assert.equal(curl.code, 0, curl.stderr);
  assert.ok(await sameFile(`${dir.path}/rootfs.cpio`, `${out.path}/c`));
  assert.ok(log.lines.some((line) => /to 127\.0\.0\.1:\d+ with tsize=\d+ blksize=1428/.test(line)));
});

Deno.test("tftp-hpa, atftp and curl fetch different files at the same time", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  for (const [index, name] of ["one", "two", "three"].entries()) {
    await Deno.writeFile(`${dir.path}/${name}`, patternBytes(6 * MiB + index, 20 + index));
  }
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  const port = server.address.port;
  const results = await Promise.all([
    tftpHpaGet(port, "one", `${out.path}/one`),
    atftpGet(port, "two", `${out.path}/two`, ["blksize 1024"]),
    curlGet(port, "three", `${out.path}/three`, 768),
  ]);
  for (const ran of results.slice(1)) assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  for (const name of ["one", "two", "three"]) {
    assert.ok(await sameFile(`${dir.path}/${name}`, `${out.path}/${name}`), name);
  }
  // all three were being sent before the first one finished
  const firstDone = log.lines.findIndex((line) => line.startsWith("Sent "));
  const started = log.lines.filter((line, index) =>
    line.startsWith("Sending ") && index < firstDone
  );
  assert.equal(started.length, 3, log.lines.join("\n"));
  const ports = new Set(started.map((line) => line.match(/to 127\.0\.0\.1:(\d+)/)?.[1]));
  assert.equal(ports.size, 3);
});

Deno.test("real clients asking for files outside the root get an error and nothing", async () => {
  await using outside = await tempDir();
  await using dir = await tempDir();
  await using out = await tempDir();
  const secret = "not-for-tftp-" + crypto.randomUUID();
  await Deno.writeTextFile(`${outside.path}/secret`, secret);
  await Deno.symlink(`${outside.path}/secret`, `${dir.path}/escape`);
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  const port = server.address.port;

  const hpaUp = await tftpHpaGet(port, "../etc/passwd", `${out.path}/1`);
  assert.match(hpaUp.stdout + hpaUp.stderr, /Error code 2: Access violation/);
  const hpaAbsolute = await tftpHpaGet(port, "/etc/passwd", `${out.path}/2`);
  assert.match(hpaAbsolute.stdout + hpaAbsolute.stderr, /Error code 2: Access violation/);
  const atftpAbsolute = await atftpGet(port, `${outside.path}/secret`, `${out.path}/3`);
  assert.notEqual(atftpAbsolute.code, 0);
  assert.match(atftpAbsolute.stderr, /error received from server <Access violation/);
  const atftpLink = await atftpGet(port, "escape", `${out.path}/4`);
  assert.notEqual(atftpLink.code, 0);
  assert.match(atftpLink.stderr, /Access violation: "escape" resolves outside/);
  // curl would normalise "../" away without --path-as-is; 69 is CURLE_TFTP_PERM
  const curl = await run("curl", [
    "-sS",
    "--path-as-is",
    "-o",
    `${out.path}/5`,
    `tftp://127.0.0.1:${port}/../../etc/passwd`,
  ]);
  assert.equal(curl.code, 69, curl.stderr);
  const missing = await atftpGet(port, "no-such-kernel", `${out.path}/6`);
  assert.match(missing.stderr, /error received from server <File not found/);

  for await (const entry of Deno.readDir(out.path)) {
    const content = await Deno.readTextFile(`${out.path}/${entry.name}`);
    assert.ok(!content.includes(secret) && !content.includes("root:"), entry.name);
  }
  assert.equal(log.lines.filter((line) => line.startsWith("Refused")).length, 6);
  assert.equal(log.lines.filter((line) => line.startsWith("Sending")).length, 0);
});

Deno.test("tftp-hpa put is refused: the server is read-only", async () => {
  await using dir = await tempDir();
  await using src = await tempDir();
  await Deno.writeTextFile(`${src.path}/upload`, "data");
  await using server = await startServer(dir.path);
  const ran = await run("tftp", [
    "127.0.0.1",
    String(server.address.port),
    "-m",
    "binary",
    "-c",
    "put",
    `${src.path}/upload`,
    "upload",
  ]);
  assert.match(ran.stdout + ran.stderr, /Error code 4: Unsupported operation/);
  assert.deepEqual(await entries(dir.path), []);
});

Deno.test("a 40 MiB file arrives intact at blksize 512 (block numbers wrap) and 1428", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  const size = 40 * MiB;
  await Deno.writeFile(`${dir.path}/big`, patternBytes(size, 40));
  const log = new LogWatch();
  await using server = await startServer(dir.path, { log });
  const port = server.address.port;

  let started = performance.now();
  const hpa = await tftpHpaGet(port, "big", `${out.path}/512`);
  const at512 = performance.now() - started;
  assert.match(hpa.stdout, new RegExp(`Received ${size} bytes`), hpa.stdout + hpa.stderr);
  assert.ok(await sameFile(`${dir.path}/big`, `${out.path}/512`));
  // 40 MiB / 512 = 81920 data blocks plus the final empty one: past 65535, so wrapped
  assert.match(await log.waitFor(/^Sent "big"/), /41943040 bytes in 81921 blocks/);

  started = performance.now();
  const atftp = await atftpGet(port, "big", `${out.path}/1428`, ["blksize 1428"]);
  const at1428 = performance.now() - started;
  assert.equal(atftp.code, 0, atftp.stderr);
  assert.ok(await sameFile(`${dir.path}/big`, `${out.path}/1428`));
  console.log(
    `40 MiB: tftp-hpa blksize 512 ${throughput(size, at512)}, ` +
      `atftp blksize 1428 ${throughput(size, at1428)}`,
  );
});
