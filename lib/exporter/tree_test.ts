import assert from "node:assert/strict";
import { z } from "zod";
import {
  defineDriverType,
  defineInterface,
  Driver,
  type DriverOptions,
  DriverRegistry,
  type ExportedMethod,
} from "@jumpstarter/lib/driver";
import { ConfigError, parseExporterConfig } from "@jumpstarter/lib/config";
import { buildReport } from "@jumpstarter/lib/driver";
import { buildDriverTree } from "./tree.ts";

const closed: string[] = [];

class Node extends Driver {
  readonly interface = defineInterface({ client: "tests.NodeClient", methods: {} });
  readonly runtimeDir: string | undefined;
  constructor(readonly tag: string, options: DriverOptions = {}) {
    super(options);
    this.runtimeDir = options.runtimeDir;
  }
  protected exportedMethods(): Map<string, ExportedMethod> {
    return new Map();
  }
  override close(): void {
    closed.push(this.tag);
  }
}

const registry = new DriverRegistry().register(
  defineDriverType({
    name: "Composite",
    aliases: ["jumpstarter_driver_composite.driver.Composite"],
    config: z.object({}).strict(),
    create: (_config, options) => new Node("composite", options),
  }),
  defineDriverType({
    name: "Leaf",
    aliases: ["pkg.driver.Leaf"],
    config: z.object({ tag: z.string().default("leaf"), fail: z.boolean().default(false) })
      .strict(),
    create: (config, options) => {
      if (config.fail) throw new Error("device not present");
      return new Node(config.tag, options);
    },
  }),
);

function config(text: string) {
  return parseExporterConfig(
    `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n${text}`,
    "lab.yaml",
  );
}

Deno.test("buildDriverTree() builds drivers, composites and proxies in config order", async () => {
  const root = await buildDriverTree(
    config(`export:
  a:
    type: pkg.driver.Leaf
    config: {tag: first}
  group:
    children:
      b: {type: Leaf, description: the b leaf}
  alias:
    ref: group.b
`),
    { registry },
  );
  assert.deepEqual([...root.children.keys()], ["a", "group", "alias"]);
  const group = root.children.get("group")!;
  const b = group.children.get("b")!;
  assert.equal(root.children.get("alias"), b);
  assert.equal((root.children.get("a") as Node).tag, "first");
  const report = buildReport(root);
  assert.deepEqual(
    report.map((r) => r.labels["jumpstarter.dev/name"] ?? "<root>"),
    ["<root>", "a", "group", "b", "alias"],
  );
  assert.equal(report[3]!.uuid, report[4]!.uuid);
  assert.equal(report[4]!.parentUuid, root.uuid);
  assert.equal(report[3]!.description, "the b leaf");
});

Deno.test("buildDriverTree() gives each driver of a confined exporter the runtime directory its grants name", async () => {
  const lab = config(`export:
  vm: {type: Leaf}
  board:
    children:
      vm: {type: Leaf}
      "../x": {type: Leaf}
`);
  const root = await buildDriverTree(lab, { registry, socketDir: "/run/jmp" });
  const board = root.children.get("board")!;
  assert.deepEqual(
    [root.children.get("vm"), board.children.get("vm"), board.children.get("../x")]
      .map((driver) => (driver as Node).runtimeDir),
    ["/run/jmp/drivers/vm", "/run/jmp/drivers/board.vm", "/run/jmp/drivers/board.%2E%2E%2Fx"],
  );
  const unconfined = await buildDriverTree(lab, { registry });
  assert.equal((unconfined.children.get("vm") as Node).runtimeDir, undefined);
});

Deno.test("buildDriverTree() names file, line, column and field of an unknown type", async () => {
  await assert.rejects(
    buildDriverTree(config(`export:\n  power:\n    type: nowhere.Power\n`), { registry }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        'lab.yaml:5:11: Unknown driver type "nowhere.Power" at export.power.type',
      );
      return true;
    },
  );
});

Deno.test("buildDriverTree() rejects an invalid driver config with its field", async () => {
  await assert.rejects(
    buildDriverTree(config(`export:\n  x:\n    type: Leaf\n    config: {volts: 3}\n`), {
      registry,
    }),
    /lab\.yaml:6:14: Invalid config for driver "Leaf": .*volts.* at export\.x\.config\.volts/,
  );
});

Deno.test("buildDriverTree() rejects a dangling ref", async () => {
  await assert.rejects(
    buildDriverTree(config(`export:\n  x:\n    ref: nope.power\n`), { registry }),
    /Reference "nope\.power" names no driver at export\.x\.ref/,
  );
});

Deno.test("buildDriverTree() closes the drivers it made when a later one fails", async () => {
  closed.length = 0;
  await assert.rejects(
    buildDriverTree(
      config(`export:
  ok1: {type: Leaf, config: {tag: one}}
  ok2: {type: Leaf, config: {tag: two}}
  bad: {type: Leaf, config: {fail: true}}
`),
      { registry },
    ),
    /Cannot start driver "Leaf": device not present at export\.bad/,
  );
  assert.deepEqual(closed, ["two", "one", "composite"]);
});

Deno.test("buildDriverTree() accepts upstream's Proxy class with config.ref", async () => {
  const root = await buildDriverTree(
    config(`export:
  a: {type: Leaf}
  b:
    type: jumpstarter_driver_composite.driver.Proxy
    config: {ref: a}
`),
    { registry },
  );
  assert.equal(root.children.get("b"), root.children.get("a"));
});
