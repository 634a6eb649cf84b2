import assert from "node:assert/strict";
import { compilePlan, exporterFlagsFor, TARGETS } from "./compile.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("compile builds jmp (with j), jmp-exporter and jmp-controller for x86_64 and aarch64", async () => {
  const plan = compilePlan(TARGETS, "dist", ["--allow-read=lab.yaml"]);
  assert.deepEqual(plan.map((step) => step.output), [
    "dist/x86_64-unknown-linux-gnu/jmp",
    "dist/x86_64-unknown-linux-gnu/jmp-exporter",
    "dist/x86_64-unknown-linux-gnu/jmp-controller",
    "dist/aarch64-unknown-linux-gnu/jmp",
    "dist/aarch64-unknown-linux-gnu/jmp-exporter",
    "dist/aarch64-unknown-linux-gnu/jmp-controller",
  ]);
  for (const step of plan) {
    assert.equal(step.args[0], "compile");
    assert.equal(step.args[step.args.indexOf("--target") + 1], step.target);
    const entry = step.args.at(-1)!;
    await Deno.stat(entry); // every entry exists
    const exporter = step.output.endsWith("/jmp-exporter");
    assert.ok(
      step.args.includes(exporter ? "--allow-read=lab.yaml" : "-A"),
      `${step.output}: ${step.args.join(" ")}`,
    );
    assert.deepEqual(step.links, step.output.endsWith("/jmp") ? [`dist/${step.target}/j`] : []);
  }
});

Deno.test("an exporter compiled for a config gets its printed grants, FFI whole, never -A", async () => {
  const flags = await exporterFlagsFor(`${ROOT}examples/virtual-lab.yaml`);
  assert.ok(flags.length > 0);
  assert.ok(!flags.some((flag) => flag === "-A" || flag === "--allow-all"), flags.join(" "));
  assert.ok(flags.some((flag) => flag.startsWith("--allow-read=")), flags.join(" "));
  assert.ok(!flags.some((flag) => flag.startsWith("--allow-ffi=")), flags.join(" "));
});

Deno.test("compile refuses an unknown target and a config it cannot load, in one line", async () => {
  for (
    const [args, message] of [
      [
        ["--target", "riscv64-unknown-linux-gnu"],
        /^compile: --target riscv64-unknown-linux-gnu: expected one of /,
      ],
      [["--exporter-config", "/nonexistent/lab.yaml"], /^compile: .*\/nonexistent\/lab\.yaml/],
    ] as const
  ) {
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `${ROOT}tools/compile.ts`, "--dry-run", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 1, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, message);
  }
});
