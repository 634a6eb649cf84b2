/** The composite descriptor: upstream's Composite class path and client, with no global registry. */
import assert from "node:assert/strict";
import { Composite, driverRegistryOf } from "@jumpstarter/lib/driver";
import { clientRegistryOf } from "@jumpstarter/lib/client";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { CompositeClient, driverPackage } from "./mod.ts";

const CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  board:
    type: jumpstarter_driver_composite.driver.Composite
    children:
      shelf: { type: Composite }
`;

Deno.test("driverPackage builds Composite entries and gives them CompositeClient", async () => {
  const packages = [driverPackage];
  const registry = driverRegistryOf(packages);
  const root = await buildDriverTree(parseExporterConfig(CONFIG, "tree.yaml"), { registry });
  assert.ok(root.children.get("board")!.children.get("shelf") instanceof Composite);
  const clients = clientRegistryOf(packages);
  await using served = await serve(root, CompositeClient, { registry: clients });
  const board = served.client.child("board", CompositeClient);
  assert.ok(board.child("shelf", CompositeClient));
});
