import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compileHazards } from "./compile_hazards.ts";

const TOOL = fileURLToPath(new URL("./compile_check.ts", import.meta.url));

Deno.test("compileHazards: computed dynamic imports and module-relative reads, by line", () => {
  const source = [
    "const ROOT = new URL('../', import.meta.url);", // 1
    "const a = await import(name);", // 2
    "const b = await import(`./x/${name}.ts`);", // 3
    "const c = await import('./fixed.ts');", // 4
    "const d = await import(`./fixed.ts`, { with: { type: 'json' } });", // 5
    "Deno.readTextFileSync(ROOT);", // 6
    "await Deno.readFile(new URL('x', import.meta.url));", // 7
    "const cfg = ROOT.pathname; // import(name) in a comment", // 8
    "/* import(x) */ await fetch(new URL('./page.html', import.meta.url));", // 9
    "// compile-safe: read only when running from source", // 10
    "Deno.readTextFileSync(ROOT);", // 11
  ].join("\n");
  assert.deepEqual(compileHazards(source).map((hazard) => hazard.line), [2, 3, 6, 7, 9]);
  assert.match(
    compileHazards(source)[0]!.reason,
    /dynamic import of a computed specifier \(name\)/,
  );
  assert.match(
    compileHazards(source)[2]!.reason,
    /reads a file found from the module's location \(ROOT\)/,
  );
});

async function check(programs: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TOOL, ...programs],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("compile:check fails on a bad program's module, naming file:line and why", async () => {
  const { code, stderr } = await check(["tools/testdata/bad_program.ts"]);
  assert.equal(code, 1, stderr);
  assert.deepEqual(stderr.trim().split("\n"), [
    "tools/testdata/bad_module.ts:5: dynamic import of a computed specifier (`./plugins/${name}.ts`)",
    "tools/testdata/bad_module.ts:6: reads a file found from the module's location (import.meta)",
    "tools/testdata/bad_module.ts:7: reads a file found from the module's location (TABLE)",
    "3 module(s) would break in a compiled binary",
  ]);
});

Deno.test("compile:check passes jmp, jmp-exporter and jmp-controller", async () => {
  const { code, stderr } = await check([]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^compile-safe: cli\/main\.ts, exporter\/main\.ts, controller\/main\.ts$/m);
});
