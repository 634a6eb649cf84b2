/**
 * Fuzzer (bounded, runs in CI): exporter configs with characters, YAML tokens and whole lines
 * inserted, replaced, repeated or removed, through the loader. Every input loads or is refused
 * with a one-line {@linkcode ConfigError} that names the file; none throws anything else, crashes
 * or hangs. `FUZZ_RUNS` and `FUZZ_SEED` change the budget and the seed.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "./errors.ts";
import { parseExporterConfig } from "./exporter_config.ts";
import { fileDeadline } from "../testing/deadline.ts";

// 10^5 parses take 150 s on an idle two-core machine and 400 s on a busy one, all synchronous
fileDeadline(import.meta.url, 900_000);

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 100_000);
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261207);
const FILE = "fuzz.yaml";

const SEED_CONFIG = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata:
  namespace: default
  name: lab
endpoint: ""
token: ""
description: a bench
export:
  power:
    type: jumpstarter_driver_power.driver.MockPower
    config: {}
  board: &board
    type: Composite
    children:
      serial:
        type: jumpstarter_driver_pyserial.driver.PySerial
        config:
          url: "loop://"
          baudrate: 115200
  alias:
    ref: board.serial
hooks:
  beforeLease:
    script: echo ready
    timeout: 30
`;

const TOKENS = [
  ":",
  "-",
  " ",
  "  ",
  "\n",
  "\t",
  "&a ",
  "*a",
  "*board",
  "<<: *board",
  "{",
  "}",
  "[",
  "]",
  ",",
  "?",
  "|",
  ">",
  "!!str ",
  "!!map ",
  "!custom ",
  "#",
  "'",
  '"',
  "%YAML 1.2\n",
  "---\n",
  "...\n",
  "~",
  "null",
  "true",
  "0x1F",
  "1e999",
  "-.inf",
  "\u0000",
  "\uFEFF",
  "é",
];
const LINES = SEED_CONFIG.split("\n");

type Edit =
  | { kind: "insert"; at: number; text: string }
  | { kind: "replace"; at: number; length: number; text: string }
  | { kind: "dropLine" | "repeatLine"; line: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })),
  }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    length: fc.nat(6),
    text: fc.constantFrom(...TOKENS),
  }),
  fc.record({ kind: fc.constantFrom("dropLine" as const, "repeatLine" as const), line: fc.nat() }),
);

function apply(text: string, change: Edit): string {
  if (change.kind === "insert" || change.kind === "replace") {
    const at = change.at % (text.length + 1);
    const length = change.kind === "replace" ? change.length : 0;
    return text.slice(0, at) + change.text + text.slice(at + length);
  }
  const lines = text.split("\n");
  const index = change.line % lines.length;
  if (change.kind === "dropLine") lines.splice(index, 1);
  else lines.splice(index, 0, lines[index]!);
  return lines.join("\n");
}

Deno.test(`the exporter config loader survives ${RUNS} mutated configs`, () => {
  assert.ok(LINES.length > 10);
  const started = performance.now();
  let refused = 0;
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      const text = edits.reduce(apply, SEED_CONFIG);
      try {
        parseExporterConfig(text, FILE);
      } catch (error) {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}\n${text}`);
        assert.ok(error.message.startsWith(FILE), `no file in: ${error.message}`);
        assert.ok(!error.message.includes("\n"), `not one line: ${error.message}`);
        refused++;
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${RUNS} configs in ${seconds.toFixed(1)} s, ${refused} refused with a located error`,
  );
  assert.ok(refused > 0, "nothing was refused: the fuzzer is not reaching the error paths");
});
