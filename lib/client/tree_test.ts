import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { DriverInstanceReportSchema } from "@jumpstarter/protos";
import { connect } from "./connection.ts";
import { DriverClient } from "./driver_client.ts";
import { ClientRegistry } from "./registry.ts";
import { buildClientTree, FallbackDriverClient } from "./tree.ts";

class RootClient extends DriverClient {}
class PowerLike extends DriverClient {}

const registry = new ClientRegistry()
  .register(RootClient, "pkg_composite.client.CompositeClient")
  .register(PowerLike, "pkg_power.client.PowerClient");

function report(uuid: string, client: string, name?: string, parentUuid?: string) {
  return create(DriverInstanceReportSchema, {
    uuid,
    labels: {
      "jumpstarter.dev/client": client,
      ...(name ? { "jumpstarter.dev/name": name } : {}),
    },
    ...(parentUuid ? { parentUuid } : {}),
  });
}

const reports = [
  report("r", "pkg_composite.client.CompositeClient"),
  report("p", "pkg_power.client.PowerClient", "power", "r"),
  report("x", "elsewhere.client.Exotic", "exotic", "r"),
  report("p", "pkg_power.client.PowerClient", "alias", "r"),
];

Deno.test("buildClientTree() rebuilds the tree with registered classes and proxies", () => {
  using connection = connect("/nonexistent.sock");
  const warnings: string[] = [];
  const root = buildClientTree(reports, connection, {
    registry,
    policy: { allow: ["pkg_*", "elsewhere.*"], unsafe: false },
    onWarning: (message) => warnings.push(message),
  });
  assert.ok(root instanceof RootClient);
  assert.deepEqual([...root.children.keys()], ["power", "exotic", "alias"]);
  assert.ok(root.children.get("power") instanceof PowerLike);
  assert.equal(root.children.get("alias"), root.children.get("power"));
  const exotic = root.children.get("exotic")!;
  assert.equal(exotic.constructor, FallbackDriverClient);
  assert.match(
    (exotic as FallbackDriverClient).reason,
    /"elsewhere.client.Exotic" .* not available/,
  );
  assert.deepEqual(warnings, [
    'Driver client "elsewhere.client.Exotic" of driver "exotic" is not available',
  ]);
  assert.ok(root.child("power", PowerLike));
  assert.throws(() => root.child("exotic", PowerLike), /Cannot use driver "exotic" as PowerLike/);
  assert.throws(() => root.child("nope", PowerLike), /children are "power", "exotic", "alias"/);
});

Deno.test("buildClientTree() falls back to a generic client for classes not allowed", () => {
  using connection = connect("/nonexistent.sock");
  const warnings: string[] = [];
  const root = buildClientTree(reports, connection, {
    registry,
    policy: { allow: ["pkg_composite.*"], unsafe: false },
    onWarning: (message) => warnings.push(message),
  });
  assert.ok(root instanceof RootClient);
  const power = root.children.get("power")!;
  assert.equal(power.constructor, FallbackDriverClient);
  assert.match((power as FallbackDriverClient).reason, /not allowed by the driver allow-list/);
  assert.ok(warnings.some((w) => /"pkg_power.client.PowerClient" .* not allowed/.test(w)));
});

Deno.test("buildClientTree() rejects reports without a single root or with orphans", () => {
  using connection = connect("/nonexistent.sock");
  const options = { registry, policy: { allow: [], unsafe: true } };
  assert.throws(() => buildClientTree([], connection, options), /no root/);
  assert.throws(
    () => buildClientTree([reports[0]!, report("q", "x", "q")], connection, options),
    /several roots/,
  );
  assert.throws(
    () => buildClientTree([reports[0]!, report("q", "x", "q", "missing")], connection, options),
    /unknown parent "missing"/,
  );
});
