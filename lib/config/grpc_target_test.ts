import assert from "node:assert/strict";
import { parseGrpcTarget, targetAddresses } from "./grpc_target.ts";
import { parseClientConfig } from "./client_config.ts";
import { parseExporterConfig } from "./exporter_config.ts";
import { ConfigError } from "./errors.ts";

Deno.test("parseGrpcTarget() reads a name, dns: and address lists as gRPC does", () => {
  assert.deepEqual(parseGrpcTarget("ctl.lab:8082"), {
    scheme: "dns",
    addresses: [{ host: "ctl.lab", port: 8082 }],
  });
  assert.deepEqual(parseGrpcTarget("dns:///ctl.lab:8082").addresses, [
    { host: "ctl.lab", port: 8082 },
  ]);
  assert.deepEqual(parseGrpcTarget("dns:ctl.lab").addresses, [{ host: "ctl.lab", port: 443 }]);
  assert.deepEqual(parseGrpcTarget("ipv4:10.0.0.1:7001,10.0.0.2:7002"), {
    scheme: "ipv4",
    addresses: [{ host: "10.0.0.1", port: 7001 }, { host: "10.0.0.2", port: 7002 }],
  });
  assert.deepEqual(parseGrpcTarget("ipv6:[::1]:7001,[::2]:7002").addresses, [
    { host: "::1", port: 7001 },
    { host: "::2", port: 7002 },
  ]);
  assert.deepEqual(parseGrpcTarget("[::1]:7001").addresses, [{ host: "::1", port: 7001 }]);
  assert.deepEqual(parseGrpcTarget("unix:///run/jmp.sock"), { scheme: "unix", addresses: [] });
  assert.deepEqual(targetAddresses("ipv6:[::1]:1,[::2]:2"), ["[::1]:1", "[::2]:2"]);
  // no scheme and no comma: a name gRPC resolves (or fails to) when connecting
  assert.equal(parseGrpcTarget("<filled in by the controller>").scheme, "dns");
});

Deno.test("parseGrpcTarget() refuses malformed lists, saying how to write one", () => {
  const cases: [string, RegExp][] = [
    ["a.lab:1,b.lab:2", /several addresses are written ipv4:IP:PORT,IP:PORT/],
    ["dns:a.lab:1,b.lab:2", /several addresses are written/],
    ["ipv4:10.0.0.1:7001,ctl.lab:7002", /"ctl\.lab:7002" is not an IPv4 address \(IP:PORT\)/],
    ["ipv4:10.0.0.1:7001,", /"" is not an IPv4 address/],
    ["ipv4:10.0.0.1:99999", /"10\.0\.0\.1:99999" is not an IPv4 address/],
    ["ipv6:10.0.0.1:7001", /is not an IPv6 address \(\[IP\]:PORT\)/],
    ["https://ctl.lab:443", /no URL scheme such as https:\/\//],
    ["ctl.lab:", /port from 1 to 65535/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseGrpcTarget(text), (error: unknown) => {
      assert.ok(error instanceof SyntaxError, `${text}: ${error}`);
      assert.match(error.message, reason, text);
      assert.ok(error.message.startsWith("Expected a gRPC target ("), error.message);
      assert.ok(error.message.includes(JSON.stringify(text)), error.message);
      return true;
    });
  }
});

const CLIENT = `apiVersion: jumpstarter.dev/v1alpha1
kind: ClientConfig
metadata: { namespace: default, name: alice }
`;

Deno.test("a malformed endpoint list is one line naming the file, position and field", () => {
  for (
    const parse of [
      () => parseClientConfig(`${CLIENT}endpoint: a.lab:1,b.lab:2\n`, "alice.yaml"),
      () =>
        parseExporterConfig(
          `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n` +
            `endpoint: a.lab:1,b.lab:2\n`,
          "alice.yaml",
        ),
    ]
  ) {
    assert.throws(parse, (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, /^alice\.yaml:\d+:11: Expected a gRPC target .* at endpoint$/);
      assert.equal(error.field, "endpoint");
      assert.equal(error.message.split("\n").length, 1);
      return true;
    });
  }
  const ok = parseClientConfig(`${CLIENT}endpoint: ipv4:127.0.0.1:1,127.0.0.1:2\n`, "ok.yaml");
  assert.equal(ok.endpoint, "ipv4:127.0.0.1:1,127.0.0.1:2");
});
