/**
 * `j storage flash` of a 1 GiB xz image into a MockStorageMuxFlasher backed by a file, run in a
 * real terminal (tmux): the result is byte-identical and the progress bar is drawn.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { DENO_CONFIG, JMP_MAIN, tempDir } from "./_helpers.ts";

// decompressing and writing 1 GiB takes a minute on a busy two-core machine; the flash itself
// is bounded at 4 minutes below
fileDeadline(import.meta.url, 300_000);

async function sh(script: string): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", script] }).output();
  if (!out.success) {
    throw new Error(`sh -c ${script} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function sha256sum(path: string): Promise<string> {
  return (await sh(`sha256sum '${path}'`)).split(" ")[0]!;
}

Deno.test("j storage flash writes a 1 GiB xz image byte-exact with a progress bar", async () => {
  await using dir = await tempDir();
  const raw = `${dir.path}/image.raw`;
  const image = `${raw}.xz`;
  const disk = `${dir.path}/disk.img`;
  // mostly zeros with random blocks, so it compresses quickly but is not trivial
  await sh(
    `{ head -c 1M /dev/urandom; head -c 511M /dev/zero; head -c 1M /dev/urandom; head -c 511M /dev/zero; } > '${raw}'`,
  );
  const expected = await sha256sum(raw);
  await sh(`xz -1 -T2 -k '${raw}'`);
  await Deno.remove(raw);
  const config = `${dir.path}/lab.yaml`;
  await Deno.writeTextFile(
    config,
    [
      "apiVersion: jumpstarter.dev/v1alpha1",
      "kind: ExporterConfig",
      "metadata: {namespace: default, name: flash-lab}",
      "export:",
      "  storage:",
      "    type: jumpstarter_driver_opendal.driver.MockStorageMuxFlasher",
      `    config: {path: '${disk}'}`,
      "",
    ].join("\n"),
  );
  const done = `${dir.path}/done`;
  const session = `flash-${crypto.randomUUID().slice(0, 8)}`;
  const command =
    `'${Deno.execPath()}' run -A --quiet --config '${DENO_CONFIG}' '${JMP_MAIN}' shell ` +
    `--exporter-config '${config}' -- j storage flash '${image}'; echo $? > '${done}'`;
  await sh(`tmux new-session -d -s ${session} -x 160 -y 20 "${command.replaceAll('"', '\\"')}"`);
  let sawBar = false;
  try {
    const deadline = Date.now() + 240_000;
    while (!(await Deno.stat(done).then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error("the flash did not finish in 4 minutes");
      const screen = await sh(`tmux capture-pane -p -t ${session}`).catch(() => "");
      if (/\[[█░=\-# ]{10,}\].*%/.test(screen) || /\d+% \|/.test(screen)) sawBar = true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await sh(`tmux kill-session -t ${session}`).catch(() => {});
  }
  assert.equal((await Deno.readTextFile(done)).trim(), "0");
  assert.ok(sawBar, "the progress bar was never drawn in the terminal");
  assert.equal(await sha256sum(disk), expected);
});
