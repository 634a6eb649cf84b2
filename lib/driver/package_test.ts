import assert from "node:assert/strict";
import { z } from "zod";
import { Composite } from "./composite.ts";
import {
  cliBuilderOf,
  clientEntriesOf,
  definePackage,
  type DriverPackage,
  driverRegistryOf,
} from "./package.ts";
import { defineDriverType } from "./registry.ts";

const shelfType = defineDriverType({
  name: "Shelf",
  aliases: ["lab.driver.Shelf"],
  config: z.object({}).strict(),
  create: (_config, options) => new Composite(options),
});

class BaseClient {}
class DerivedClient extends BaseClient {}
class LeafClient extends DerivedClient {}
const baseCli = () => "base";
const derivedCli = () => "derived";

const shelf: DriverPackage = definePackage({
  name: "@lab/driver-shelf",
  driverTypes: [shelfType],
  clients: [
    { classPaths: ["lab.client.Base"], client: BaseClient, cli: baseCli },
    { classPaths: ["lab.client.Derived"], client: DerivedClient, cli: derivedCli },
    { classPaths: ["lab.client.Leaf"], client: LeafClient },
  ],
});

Deno.test("driverRegistryOf() answers every name and alias, Composite included", () => {
  const registry = driverRegistryOf([shelf]);
  assert.equal(registry.get("Shelf"), shelfType);
  assert.equal(registry.get("lab.driver.Shelf"), shelfType);
  assert.ok(registry.get("jumpstarter_driver_composite.driver.Composite"));
});

Deno.test("two packages claiming one type name or alias fail, naming both", () => {
  const clash = definePackage({
    name: "@other/driver-shelf",
    driverTypes: [defineDriverType({ ...shelfType, name: "OtherShelf" })],
    clients: [],
  });
  assert.throws(
    () => driverRegistryOf([shelf, clash]),
    /Cannot load driver package @other\/driver-shelf: .*"lab\.driver\.Shelf" already names "Shelf"/,
  );
});

Deno.test("two packages claiming one client class path fail", () => {
  const clash = definePackage({
    name: "@other/driver-base",
    driverTypes: [],
    clients: [{ classPaths: ["lab.client.Base"], client: class OtherBase {} }],
  });
  assert.equal(clientEntriesOf([shelf]).get("lab.client.Leaf")?.client, LeafClient);
  assert.throws(() => clientEntriesOf([shelf, clash]), /already provided by @lab\/driver-shelf/);
});

Deno.test("cliBuilderOf() takes the client's own CLI, else its nearest ancestor's", () => {
  assert.equal(cliBuilderOf([shelf], new DerivedClient()), derivedCli);
  assert.equal(cliBuilderOf([shelf], new LeafClient()), derivedCli);
  assert.equal(cliBuilderOf([shelf], new BaseClient()), baseCli);
  assert.equal(cliBuilderOf([shelf], {}), undefined);
});
