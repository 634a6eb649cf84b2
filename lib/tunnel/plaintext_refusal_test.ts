import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { appendBytes, classifyFirstBytes, refuseH2 } from "./plaintext_refusal.ts";

const text = (value: string) => new TextEncoder().encode(value);

Deno.test("classifyFirstBytes tells TLS, HTTP/2, HTTP/1 and the rest apart, waiting when unsure", () => {
  assert.equal(classifyFirstBytes(new Uint8Array([0x16, 0x03, 0x01])), "tls");
  assert.equal(classifyFirstBytes(text("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")), "h2");
  assert.equal(classifyFirstBytes(text("PRI * HT")), "more");
  assert.equal(classifyFirstBytes(text("GET / HTTP/1.1\r\n")), "http1");
  assert.equal(classifyFirstBytes(text("POST")), "more");
  assert.equal(classifyFirstBytes(text("PUT /x")), "http1");
  assert.equal(classifyFirstBytes(new Uint8Array()), "more");
  assert.equal(classifyFirstBytes(new Uint8Array([0, 1, 2])), "other");
  assert.equal(classifyFirstBytes(text("hello world")), "other");
});

Deno.test("refuseH2 answers an HTTP/2 client's request with grpc-status and a long message", async () => {
  const message = `this endpoint requires TLS; ${"x".repeat(300)} 100% sure, café`;
  const server = net.createServer((socket) => {
    let received = new Uint8Array();
    const peek = (chunk: Uint8Array) => {
      received = appendBytes(received, chunk);
      if (classifyFirstBytes(received) !== "h2") return;
      socket.off("data", peek);
      refuseH2(socket, received, message);
    };
    socket.on("data", peek);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const request = session.request({ ":method": "POST", ":path": "/a.B/C" });
      request.on("response", resolve);
      request.on("error", reject);
      request.end();
    });
    assert.equal(headers[":status"], 200);
    assert.equal(headers["content-type"], "application/grpc");
    assert.equal(headers["grpc-status"], "9");
    assert.equal(decodeURIComponent(String(headers["grpc-message"])), message);
  } finally {
    session.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
