import assert from "node:assert/strict";
import { Command, InvalidArgumentError } from "commander";
import { parseSeconds, secondsArg } from "./cli_args.ts";

Deno.test("parseSeconds() reads whole and fractional seconds, 0 included by default", () => {
  assert.equal(parseSeconds("2", "--wait"), 2);
  assert.equal(parseSeconds("0.25", "--wait"), 0.25);
  assert.equal(parseSeconds("0", "--wait"), 0);
  assert.equal(parseSeconds(" 3 ", "--wait"), 3);
});

Deno.test("parseSeconds() refuses what is not a non-negative number, naming the flag", () => {
  for (const text of ["", " ", "soon", "-1", "Infinity", "NaN", "2s"]) {
    assert.throws(
      () => parseSeconds(text, "--linger"),
      (error: Error) =>
        error instanceof InvalidArgumentError &&
        error.message === `--linger expects a non-negative number of seconds, got "${text}"`,
      `"${text}" was accepted`,
    );
  }
});

Deno.test("parseSeconds() with positive refuses 0 and says so", () => {
  assert.equal(parseSeconds("0.5", "--timeout", { positive: true }), 0.5);
  assert.throws(
    () => parseSeconds("0", "--timeout", { positive: true }),
    /^InvalidArgumentError: --timeout expects a positive number of seconds, got "0"$/,
  );
});

Deno.test("parseSeconds() with whole refuses fractions", () => {
  assert.equal(parseSeconds("3600", "--expire-second", { whole: true }), 3600);
  assert.throws(
    () => parseSeconds("1.5", "--expire-second", { whole: true }),
    /^InvalidArgumentError: --expire-second expects a non-negative whole number of seconds, got "1.5"$/,
  );
});

Deno.test("secondsArg() parses a commander option and reports a bad value as a usage error", async () => {
  const seen: number[] = [];
  const errors: string[] = [];
  const program = new Command("cycle")
    .exitOverride()
    .configureOutput({ writeErr: (text) => errors.push(text) })
    .option("-w, --wait <seconds>", "wait", secondsArg("--wait"), 2)
    .action((options: { wait: number }) => {
      seen.push(options.wait);
    });
  await program.parseAsync(["-w", "1.5"], { from: "user" });
  await program.parseAsync([], { from: "user" });
  assert.deepEqual(seen, [1.5, 2]);
  await assert.rejects(
    program.parseAsync(["--wait", "later"], { from: "user" }),
    (error: Error & { code?: string }) => error.code === "commander.invalidArgument",
  );
  assert.match(errors.join(""), /--wait expects a non-negative number of seconds, got "later"/);
});
