/**
 * The README's test snippet works as written: inside this checkout, and from another Deno project
 * whose `deno.json` is the README's own (its `../jumpstarter` pointing at this checkout), both bare
 * (serving the config in-process) and inside `jmp shell`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  assertExit,
  describe,
  jmpArgs,
  ROOT,
  run,
  type RunResult,
  tempDir,
  VIRTUAL_LAB,
} from "./_helpers.ts";
import { fileDeadline } from "@jumpstarter/lib/testing";

// each case starts `deno test` processes that type-check the library: minutes on a loaded machine
fileDeadline(import.meta.url, 300_000);

const README = await Deno.readTextFile(join(ROOT, "README.md"));
const SECTION = README.slice(README.indexOf("### Tests against a board"));

/** The first fenced block of `language` in the README's test section. */
function block(language: string): string {
  const match = SECTION.match(new RegExp("```" + language + "\\n([\\s\\S]*?)```"));
  assert.ok(match?.[1], `README's "Tests against a board" has no \`\`\`${language} block`);
  return match[1];
}

function denoTest(file: string, cwd: string): Promise<RunResult> {
  return run(Deno.execPath(), ["test", "-A", file], { cwd, timeoutMs: 240_000 });
}

function assertPassed(result: RunResult): void {
  assertExit(result, 0);
  assert.match(result.stdout, /board powers on \.\.\. .*ok/, describe(result));
  assert.match(result.stdout, /ok \| 1 passed \| 0 failed/, describe(result));
}

// the snippet's file is not named *_test.ts, so a suite run that starts meanwhile does not pick it up
Deno.test("the README's test snippet runs inside this checkout", async () => {
  const dir = await Deno.makeTempDir({ dir: join(ROOT, "examples"), prefix: "_readme_" });
  try {
    await Deno.copyFile(VIRTUAL_LAB, join(dir, "virtual-lab.yaml"));
    await Deno.writeTextFile(join(dir, "board_snippet.ts"), block("ts"));
    assertPassed(await denoTest("board_snippet.ts", dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's test snippet runs from another project with the README's deno.json", async () => {
  await using tmp = await tempDir();
  await Deno.symlink(ROOT.replace(/\/$/, ""), join(tmp.path, "jumpstarter"));
  const project = join(tmp.path, "my-tests");
  await Deno.mkdir(project);
  await Deno.writeTextFile(join(project, "deno.json"), block("json"));
  await Deno.copyFile(VIRTUAL_LAB, join(project, "virtual-lab.yaml"));
  await Deno.writeTextFile(join(project, "board_snippet.ts"), block("ts"));

  assertPassed(await denoTest("board_snippet.ts", project));

  // inside a jmp shell of the checkout, the same test reaches the drivers through JUMPSTARTER_HOST
  const shell = await run(Deno.execPath(), [
    ...jmpArgs(["shell", "--exporter-config", "virtual-lab.yaml", "--"]),
    Deno.execPath(),
    "test",
    "-A",
    "board_snippet.ts",
  ], { cwd: project, timeoutMs: 240_000 });
  assertPassed(shell);
});
