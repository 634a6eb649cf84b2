import assert from "node:assert/strict";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import { UsageError } from "./errors.ts";
import { resolvePassphrase } from "./passphrase.ts";

Deno.test("resolvePassphrase(): the flag, else the file, else JMP_GRPC_PASSPHRASE", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { JMP_GRPC_PASSPHRASE: "from env" };
    await Deno.writeTextFile(`${dir}/pass`, "from file\n");
    assert.equal(await resolvePassphrase({ passphrase: "from flag" }, env), "from flag");
    assert.equal(await resolvePassphrase({ passphraseFile: `${dir}/pass` }, env), "from file");
    assert.equal(await resolvePassphrase({}, env), "from env");
    assert.equal(await resolvePassphrase({}, {}), undefined);
    assert.equal(await resolvePassphrase({}, { JMP_GRPC_PASSPHRASE: "" }), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolvePassphrase(): both flags, an unreadable or empty file are clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      resolvePassphrase({ passphrase: "a", passphraseFile: `${dir}/pass` }, {}),
      (error) => error instanceof UsageError && /only one of --passphrase/.test(error.message),
    );
    await assert.rejects(
      resolvePassphrase({ passphraseFile: `${dir}/missing` }, {}),
      (error) =>
        error instanceof JumpstarterError &&
        error.message.startsWith(`Cannot read --passphrase-file ${dir}/missing:`),
    );
    await Deno.writeTextFile(`${dir}/empty`, "\n");
    await assert.rejects(
      resolvePassphrase({ passphraseFile: `${dir}/empty` }, {}),
      (error) => error instanceof JumpstarterError && /empty/.test(error.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
