import assert from "node:assert/strict";
import { atftpGet, patternBytes, sameFile, tempDir, tftpHpaGet } from "./_testing/tftp.ts";
import { bindUdp, defaultBackend, type Peer } from "./udp.ts";

Deno.test("the node backend exchanges datagrams and reports a taken port", async () => {
  const received = Promise.withResolvers<[Uint8Array, Peer]>();
  const a = await bindUdp({
    hostname: "127.0.0.1",
    port: 0,
    backend: "node",
    onMessage: (data, from) => received.resolve([data, from]),
  });
  const b = await bindUdp({ hostname: "127.0.0.1", port: 0, backend: "node", onMessage() {} });
  try {
    await b.send(new Uint8Array([1, 2, 3]), a.local);
    const [data, from] = await received.promise;
    assert.deepEqual(data, new Uint8Array([1, 2, 3]));
    assert.deepEqual(from, { address: "127.0.0.1", port: b.local.port });
    await assert.rejects(
      bindUdp({ hostname: "127.0.0.1", port: a.local.port, backend: "node", onMessage() {} }),
      /EADDRINUSE|in use/i,
    );
  } finally {
    a.close();
    b.close();
  }
});

Deno.test({
  name: "the deno backend without --unstable-net names the missing flag",
  ignore: defaultBackend() === "deno",
  fn: async () => {
    await assert.rejects(
      bindUdp({ hostname: "127.0.0.1", port: 0, backend: "deno", onMessage() {} }),
      /--unstable-net/,
    );
  },
});

Deno.test("under --unstable-net the server runs on Deno.listenDatagram and serves real clients", async () => {
  await using dir = await tempDir();
  await using out = await tempDir();
  await Deno.writeFile(`${dir.path}/Image`, patternBytes(4 * 1024 * 1024 + 5, 31));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      new URL("./_testing/serve_root.ts", import.meta.url).pathname,
      dir.path,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await lines.read();
    lines.releaseLock();
    const { port, backend } = JSON.parse(value ?? "{}");
    assert.equal(backend, "deno");
    const atftp = await atftpGet(port, "Image", `${out.path}/a`, ["blksize 1428", "windowsize 8"]);
    assert.equal(atftp.code, 0, atftp.stderr);
    assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/a`));
    const hpa = await tftpHpaGet(port, "Image", `${out.path}/h`);
    assert.match(hpa.stdout, /Received/);
    assert.ok(await sameFile(`${dir.path}/Image`, `${out.path}/h`));
    const refused = await tftpHpaGet(port, "../etc/passwd", `${out.path}/p`);
    assert.match(refused.stdout, /Error code 2/);
  } finally {
    await writer.close().catch(() => {});
    await child.stdout.cancel().catch(() => {});
    assert.equal((await child.status).code, 0);
  }
});
