/**
 * Bad exporter configs given to `jmp shell` and `jmp run`: a located `Error: file:line:col: ...`
 * message, exit 1, no command run, nothing left serving and no socket directory left behind.
 */
import assert from "node:assert/strict";
import {
  assertExit,
  assertNoStackTrace,
  concurrently,
  describe,
  jmp,
  type RunResult,
  runtimeDir,
  tempDir,
} from "./_helpers.ts";

const HEADER = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\n";
const MARKER = "COMMAND-SHOULD-NOT-RUN";

/** `line:column` (1-based) of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `${JSON.stringify(needle)} is not in the test config`);
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

interface Case {
  /** Config text, or undefined for a file that does not exist. */
  yaml: string | undefined;
  /** Checks the (single-line) error message, given the config's path and text. */
  check(message: string, path: string, yaml: string): void;
}

const CASES: Record<string, Case> = {
  "unknown driver type": {
    yaml: `${HEADER}export:\n  x:\n    type: foo.Bar\n`,
    check(message, path, yaml) {
      const at = positionOf(yaml, "foo.Bar");
      assert.equal(message, `Error: ${path}:${at}: Unknown driver type "foo.Bar" at export.x.type`);
    },
  },
  "malformed YAML": {
    yaml: `${HEADER}export:\n  power:\n    type: MockPower\n   bad: indent\n`,
    check(message, path) {
      // the stray, mis-indented key is on line 6
      assert.match(message, new RegExp(`^Error: ${escapeRegExp(path)}:6:\\d+: \\S`));
    },
  },
  "duplicate export name": {
    yaml: `${HEADER}export:\n  power:\n    type: MockPower\n  power:\n    type: MockPower\n`,
    check(message, path) {
      assert.equal(message, `Error: ${path}:6:3: Duplicate key "power" at export.power`);
    },
  },
  "invalid MockPower config key": {
    yaml: `${HEADER}export:\n  power:\n    type: MockPower\n    config: {volts: 3}\n`,
    check(message, path) {
      assert.match(message, new RegExp(`^Error: ${escapeRegExp(path)}:\\d+:\\d+: `));
      assert.match(message, /Invalid config for driver "MockPower": .*"volts"/);
      assert.match(message, / at export\.power\.config\.volts$/);
    },
  },
  "config that is not a map": {
    yaml: `${HEADER}export:\n  power:\n    type: MockPower\n    config: 5\n`,
    check(message, path, yaml) {
      const at = positionOf(yaml, "5\n");
      assert.equal(message, `Error: ${path}:${at}: Expected a map, got 5 at export.power.config`);
    },
  },
  "dangling ref": {
    yaml: `${HEADER}export:\n  power:\n    type: MockPower\n  alias:\n    ref: board.nothere\n`,
    check(message, path, yaml) {
      const line = positionOf(yaml, "ref:").split(":")[0];
      assert.match(message, new RegExp(`^Error: ${escapeRegExp(path)}:${line}:\\d+: `));
      assert.match(message, /Reference "board\.nothere" names no driver at export\.alias\.ref$/);
    },
  },
  "empty file": {
    yaml: "",
    check(message, path) {
      assert.equal(message, `Error: ${path}:1:1: The file is empty`);
    },
  },
  "missing file": {
    yaml: undefined,
    check(message, path) {
      assert.equal(message, `Error: ${path}: Config file not found`);
    },
  },
};

function assertConfigError(result: RunResult, path: string, { yaml, check }: Case): void {
  assertExit(result, 1);
  assert.ok(!result.stdout.includes(MARKER), `the command ran anyway: ${describe(result)}`);
  assertNoStackTrace(result);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected a one-line error: ${describe(result)}`);
  check(lines[0]!, path, yaml ?? "");
}

Deno.test("bad exporter configs are reported with their location and exit 1", async (t) => {
  await using tmp = await tempDir();
  await using runtime = await runtimeDir();
  const checks: Record<string, () => Promise<void>> = {};
  for (const [name, testCase] of Object.entries(CASES)) {
    const path = `${tmp.path}/${name.replaceAll(" ", "-")}.yaml`;
    if (testCase.yaml !== undefined) await Deno.writeTextFile(path, testCase.yaml);
    const options = { env: runtime.env, timeoutMs: 15_000 };
    checks[`jmp shell: ${name}`] = async () => {
      const result = await jmp(
        ["shell", "--exporter-config", path, "--", "sh", "-c", `echo ${MARKER}`],
        options,
      );
      assertConfigError(result, path, testCase);
    };
    // `jmp run` must exit too, rather than serve (it would time out)
    checks[`jmp run: ${name}`] = async () => {
      const result = await jmp(["run", "--exporter-config", path], options);
      assert.equal(result.stdout, "", `jmp run printed a socket: ${describe(result)}`);
      assertConfigError(result, path, testCase);
    };
  }
  await concurrently(t, checks);
  await runtime.assertEmpty();
});

Deno.test("a relative config path is reported as given", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.path}/lab.yaml`, `${HEADER}export:\n  x:\n    type: foo.Bar\n`);
  const result = await jmp(["shell", "--exporter-config", "lab.yaml", "--", "true"], {
    cwd: tmp.path,
  });
  assertExit(result, 1);
  assert.equal(
    result.stderr.trimEnd(),
    'Error: lab.yaml:5:11: Unknown driver type "foo.Bar" at export.x.type',
  );
});

Deno.test("an invalid driver config is located at its config, not at its type", async () => {
  // Config errors found while building drivers (lib/exporter/tree.ts) point at the offending
  // field, like the loader's own errors; an unknown key points at the key.
  await using tmp = await tempDir();
  const yaml = `${HEADER}export:\n  power:\n    type: MockPower\n    config: {volts: 3}\n`;
  const path = `${tmp.path}/lab.yaml`;
  await Deno.writeTextFile(path, yaml);
  const result = await jmp(["run", "--exporter-config", path]);
  assertExit(result, 1);
  const message = result.stderr.trimEnd();
  assert.match(message, / at export\.power\.config\.volts$/, describe(result));
  // line 6 is `    config: {volts: 3}`; 6:13 is the config value, 6:14 the `volts` key
  assert.match(
    message,
    new RegExp(`^Error: ${escapeRegExp(path)}:6:1[34]: `),
    `expected the position of export.power.config (line 6), got: ${message}`,
  );
});
