/**
 * Checking a console through a confined exporter: what its far end says reaches `j NAME pipe`.
 */
import { spawnJmp } from "./_background.ts";
import { type ConfinedExporter, TIMEOUT_MS } from "./_permissions.ts";
import { waitFor } from "../drivers/serial/_testing/pty.ts";
import { TtyPort } from "../drivers/serial/tty_port.ts";

/**
 * Waits until `text` shows in `j NAME pipe`'s output (written to `${dir}/console.txt`), calling
 * `poke` before each look (to make the far end say it).
 */
export async function pipeShows(
  served: ConfinedExporter,
  name: string,
  dir: string,
  text: string,
  poke: () => Promise<string> = () => Promise.resolve(""),
): Promise<void> {
  const log = `${dir}/console.txt`;
  await using pipe = spawnJmp(["j", ...name.split(" "), "pipe", "-o", log], { env: served.env });
  let state = "";
  await waitFor(
    `${JSON.stringify(text)} in j ${name} pipe's output`,
    async () => {
      state = await poke();
      return (await Deno.readTextFile(log).catch(() => "")).includes(text) || undefined;
    },
    TIMEOUT_MS,
    () =>
      `${state}j: ${JSON.stringify(pipe.printed())}\nexporter: ${served.exporter.printed().stderr}`,
  );
  await pipe.stop("SIGINT");
}

/** Checks a console: what the board writes on `boardTty` reaches `j NAME pipe`'s output. */
export async function boardReachesPipe(
  served: ConfinedExporter,
  name: string,
  boardTty: string,
  dir: string,
): Promise<void> {
  // the board's end may appear only once the session opens (a demuxer's pty)
  let board: TtyPort | undefined;
  try {
    await pipeShows(served, name, dir, "confined-42", async () => {
      board ??= await TtyPort.open(boardTty, 115200).catch(() => undefined);
      await board?.write(new TextEncoder().encode("confined-42\n"));
      return `board tty ${board ? "open" : "not there"}; `;
    });
  } finally {
    await board?.close();
  }
}
