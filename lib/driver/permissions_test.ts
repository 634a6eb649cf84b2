import assert from "node:assert/strict";
import { z } from "zod";
import {
  Composite,
  defineDriverType,
  definePackage,
  grantFlags,
  grantsOfType,
  mergeGrants,
  onlyWithAll,
  openedByDeno,
  throughLibc,
  throwIfRefused,
  unixSocketGrants,
} from "./mod.ts";

const SPECIAL = ["/dev", "/dev/sda", "/dev/disk/by-id/usb-x", "/sys/class/tty/", "/proc/net/route"];
const PLAIN = ["/dev/null", "/dev/urandom", "/dev/tty", "/devices", "/tmp/dev/sda"];

Deno.test("mergeGrants: read and write paths below another listed path are left out", () => {
  const merged = mergeGrants([
    { read: ["/run/jmp/drivers/vm", "lab.yaml"], write: ["/run/jmp/drivers/vm"] },
    { read: ["/run/jmp", "/run/jmpx"], write: ["/run/jmp/"], run: ["qemu-img"] },
    { read: ["/run/jmp/drivers/vm/qmp.sock"], net: ["unix:/run/jmp/drivers/vm/qmp.sock"] },
  ]);
  assert.deepEqual(grantFlags(merged), [
    "--allow-read=lab.yaml,/run/jmp,/run/jmpx",
    "--allow-write=/run/jmp/",
    // net names sockets by exact path: nothing covers them
    "--allow-net=unix:/run/jmp/drivers/vm/qmp.sock",
    "--allow-run=qemu-img",
  ]);
});

Deno.test("unixSocketGrants: read, write and net to the exact path", () => {
  assert.deepEqual(unixSocketGrants("/run/jmp/drivers/vm/qmp.sock"), {
    read: ["/run/jmp/drivers/vm/qmp.sock"],
    write: ["/run/jmp/drivers/vm/qmp.sock"],
    net: ["unix:/run/jmp/drivers/vm/qmp.sock"],
  });
});

Deno.test("onlyWithAll(): /dev, /proc and /sys but a few harmless nodes", () => {
  for (const path of SPECIAL) assert.equal(onlyWithAll(path), true, path);
  for (const path of [...PLAIN, "dev/sda"]) assert.equal(onlyWithAll(path), false, path);
});

Deno.test("onlyWithAll() says what this Deno refuses under a read grant of everything", async () => {
  const script = "for (const path of Deno.args) {\n" +
    "  try { Deno.statSync(path); } catch (error) {\n" +
    "    if (error instanceof Deno.errors.NotCapable) console.log(path);\n  }\n}\n";
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read=/",
      `data:text/javascript,${encodeURIComponent(script)}`,
      ...SPECIAL,
      ...PLAIN,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const refused = new TextDecoder().decode(output.stdout).split("\n").filter((line) => line);
  assert.deepEqual(refused, SPECIAL, new TextDecoder().decode(output.stderr));
});

Deno.test("openedByDeno(): read (and write) grants, and -A naming the paths Deno opens only so", () => {
  assert.deepEqual(openedByDeno(["/srv/card.img"], { write: true }), {
    read: ["/srv/card.img"],
    write: ["/srv/card.img"],
  });
  assert.deepEqual(openedByDeno(["/srv/x", "/sys/devices", "/dev/sdb"]), {
    read: ["/srv/x", "/sys/devices", "/dev/sdb"],
    all: "Deno opens /sys/devices, /dev/sdb only with -A (device nodes, /proc and /sys)",
  });
  assert.deepEqual(grantFlags(openedByDeno(["/dev/sdb"], { write: true })), ["-A"]);
});

Deno.test("throughLibc(): the bare --allow-ffi, and the node named when there is one", () => {
  assert.deepEqual(throughLibc(), { ffi: true });
  assert.deepEqual(grantFlags(throughLibc("/dev/gpiochip0")), [
    "--allow-read=/dev/gpiochip0",
    "--allow-write=/dev/gpiochip0",
    "--allow-ffi",
  ]);
  // a scoped ffi grant elsewhere is covered by the bare one
  assert.deepEqual(mergeGrants([{ ffi: ["/cache/npm"] }, throughLibc()]).ffi, true);
});

Deno.test("throwIfRefused(): rethrows Deno's refusal only", () => {
  throwIfRefused(new Deno.errors.NotFound("gone"));
  throwIfRefused(new Error("other"));
  assert.throws(
    () => throwIfRefused(new Deno.errors.NotCapable("Requires read access")),
    Deno.errors.NotCapable,
  );
});

const shelves = definePackage({
  name: "@my-lab/driver-shelf",
  driverTypes: [
    defineDriverType({
      name: "Shelf",
      aliases: [],
      config: z.object({ root: z.string(), depth: z.number().default(3) }).strict(),
      create: (_config, options) => new Composite(options),
    }),
    defineDriverType({
      name: "Bare",
      aliases: [],
      config: z.object({}).strict(),
      create: (_config, options) => new Composite(options),
    }),
  ],
  clients: [],
  grants: {
    Shelf: (config: { root: string; depth: number }, context) => ({
      read: [config.root, `depth=${config.depth}`, context.runtimeDir, ...context.children],
    }),
  },
});

Deno.test("grantsOfType(): the type's grants from a raw config, defaults filled in, no children", () => {
  const context = { runtimeDir: "/run/jmp/drivers/flasher", children: ["serial"] };
  assert.deepEqual(grantsOfType(shelves, "Shelf", { root: "/srv" }, context), {
    read: ["/srv", "depth=3", "/run/jmp/drivers/flasher"],
  });
  assert.equal(grantsOfType(shelves, "Bare", {}, context), undefined);
  assert.throws(() => grantsOfType(shelves, "Nope", {}, context), /has no driver type "Nope"/);
  assert.throws(() => grantsOfType(shelves, "Shelf", { root: 7 }, context));
});
