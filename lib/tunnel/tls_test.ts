import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import selfsigned from "selfsigned";
import { ConnectionError } from "@jumpstarter/lib/wire";
import { fetchCertificateChain, replicaChannelOptions } from "./tls.ts";

async function certificate(name: string): Promise<{ cert: string; key: string }> {
  const pems = await selfsigned.generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    curve: "P-256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

async function tlsServer(identity: { cert: string; key: string }) {
  const server = tls.createServer({ ...identity, ALPNProtocols: ["h2"] }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => closing ??= new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----|\s/g, "");
}

Deno.test("fetchCertificateChain() of a target naming replicas pins each one answering", async () => {
  const [one, two] = await Promise.all([certificate("one"), certificate("two")]);
  const [a, b] = await Promise.all([tlsServer(one), tlsServer(two)]);
  const target = `ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port}`;
  try {
    const both = pemBody(await fetchCertificateChain(target));
    assert.ok(both.includes(pemBody(one.cert)) && both.includes(pemBody(two.cert)), both);
    await b.close();
    const first = pemBody(await fetchCertificateChain(target));
    assert.equal(first, pemBody(one.cert), "the replica that is down is left out");
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  await assert.rejects(fetchCertificateChain(target), (error: Error) => {
    assert.ok(error instanceof ConnectionError, String(error));
    // each address is named with its own failure
    for (const port of [a.port, b.port]) {
      assert.match(error.message, new RegExp(`Cannot reach 127\\.0\\.0\\.1:${port}: `));
    }
    return true;
  });
});

Deno.test("replicaChannelOptions() names the certificate's host for a target of several addresses", async () => {
  const { cert } = await certificate("one");
  const ca = btoa(cert);
  // the test certificate covers 127.0.0.1 only; the controller's covers localhost first
  assert.deepEqual(replicaChannelOptions("ipv4:127.0.0.1:1,127.0.0.1:2", ca), {
    "grpc.ssl_target_name_override": "127.0.0.1",
  });
  assert.deepEqual(replicaChannelOptions("127.0.0.1:1", ca), {}, "one address");
  assert.deepEqual(replicaChannelOptions("ipv4:127.0.0.1:1,127.0.0.1:2", ""), {}, "no CA");
  assert.deepEqual(replicaChannelOptions("a:1,b:2", ca), {}, "not a target");
});
