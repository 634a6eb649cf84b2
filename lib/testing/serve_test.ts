/**
 * `serve()`'s client registry: without one it knows Composite and `kind`, so a child's client
 * class loads only when a package providing it is passed.
 */
import assert from "node:assert/strict";
import {
  clientRegistryOf,
  CompositeClient,
  DriverClient,
  FallbackDriverClient,
} from "@jumpstarter/lib/client";
import {
  Composite,
  compositeInterface,
  defineInterface,
  definePackage,
  Driver,
  type ExportedMethod,
} from "@jumpstarter/lib/driver";
import { serve } from "./serve.ts";

const lampInterface = defineInterface({ client: "tests.LampClient", methods: {} });

class Lamp extends Driver {
  readonly interface = lampInterface;
  protected exportedMethods(): Map<string, ExportedMethod> {
    return new Map();
  }
}

class LampClient extends DriverClient {}

const lampPackage = definePackage({
  name: "@tests/lamp",
  driverTypes: [],
  clients: [{ classPaths: [lampInterface.client], client: LampClient }],
});

function desk(): Composite {
  const root = new Composite({});
  root.addChild("lamp", new Lamp({}));
  return root;
}

Deno.test("serve(driver, Kind) loads the root as Kind with no registry given", async () => {
  await using served = await serve(new Lamp({}), LampClient);
  assert.ok(served.client instanceof LampClient);
});

Deno.test("serve() without packages gives a child a generic client, naming why", async () => {
  const warnings: string[] = [];
  await using served = await serve(desk(), CompositeClient, {
    onWarning: (message) => warnings.push(message),
  });
  const lamp = served.client.children.get("lamp");
  assert.ok(lamp instanceof FallbackDriverClient, `got ${lamp?.constructor.name}`);
  assert.match(warnings.join("\n"), /tests\.LampClient/);
});

Deno.test("serve() with packages loads a child's client from them", async () => {
  await using served = await serve(desk(), CompositeClient, { packages: [lampPackage] });
  assert.ok(served.client.child("lamp", LampClient) instanceof LampClient);
});

Deno.test("clientRegistryOf() always holds CompositeClient", () => {
  assert.equal(clientRegistryOf([]).get(compositeInterface.client), CompositeClient);
  assert.equal(clientRegistryOf([lampPackage]).get(lampInterface.client), LampClient);
});
