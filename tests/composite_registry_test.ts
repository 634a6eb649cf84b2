/**
 * Composite is part of the framework, not a package: every registry built from any list of
 * packages (an empty one included) knows upstream's Composite class path and `CompositeClient`.
 */
import assert from "node:assert/strict";
import { Composite, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { CompositeClient } from "@jumpstarter/lib/client";
import { DRIVER_PACKAGES } from "../cli/driver_packages.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  board:
    type: jumpstarter_driver_composite.driver.Composite
    children:
      shelf: { type: Composite }
`;

Deno.test("every registry builds Composite entries and gives them CompositeClient", async () => {
  const packages: [] = [];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "tree.yaml"), { registry });
  assert.ok(root.children.get("board")!.children.get("shelf") instanceof Composite);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, CompositeClient, { registry: clients });
  const board = served.client.child("board", CompositeClient);
  assert.ok(board.child("shelf", CompositeClient));
});

Deno.test("the program's registry lists Composite once, under upstream's class path", () => {
  const composites = driverRegistryOf(DRIVER_PACKAGES).types()
    .filter((type) => type.name === "Composite");
  assert.deepEqual(composites.map((type) => type.aliases), [[
    "jumpstarter_driver_composite.driver.Composite",
  ]]);
});
