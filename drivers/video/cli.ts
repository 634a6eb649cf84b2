/**
 * `j <video> state | snapshot [-o FILE] | stream [-p PORT] [--browser/--no-browser]`, worded and
 * printed as upstream's `VideoClient.cli()`.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import type { VideoClient } from "./client.ts";
import type { VideoState } from "./state.ts";
import { serveVideo } from "./stream_server.ts";

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port > 65535) {
    throw new InvalidArgumentError(`expected a port number 0-65535, got "${text}"`);
  }
  return port;
}

/** Prints the common state lines (upstream's `j video state`). */
export function printVideoState(state: VideoState): void {
  console.log(`Online:     ${state.online ? "True" : "False"}`);
  if (state.width !== null && state.height !== null) {
    console.log(`Resolution: ${state.width}x${state.height}`);
  }
  if (state.fps !== null) console.log(`FPS:        ${state.fps}`);
}

async function openBrowser(url: string): Promise<void> {
  try {
    await new Deno.Command("xdg-open", { args: [url], stdout: "null", stderr: "null" }).output();
  } catch {
    // no browser here: the URL was printed
  }
}

async function untilInterrupted(): Promise<void> {
  const interrupted = Promise.withResolvers<void>();
  const onSignal = () => interrupted.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await interrupted.promise;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/** Builds the video command group for `client`, named `name`. */
export function videoCli(client: VideoClient, name: string): Command {
  return videoCommands(client, name, async () => printVideoState(await client.state()));
}

/**
 * The video command group with `printState` as the `state` command's output (uStreamer prints
 * its encoder too): for clients extending `VideoClient`.
 */
export function videoCommands(
  client: VideoClient,
  name: string,
  printState: () => Promise<void>,
): Command {
  const command = new Command(name).description(
    client.description ?? "Video capture and streaming",
  );
  command.command("state").description("Show video source state").action(printState);
  command.command("snapshot").description("Save a single snapshot to file")
    .option("-o, --output <file>", "Output file path", "snapshot.jpg")
    .action(async ({ output }: { output: string }) => {
      await Deno.writeFile(output, await client.snapshotBytes());
      console.log(`Saved snapshot to ${output}`);
    });
  command.command("stream").description("Start local MJPEG streaming server")
    .option("-p, --port <port>", "Local server port (0 = auto)", parsePort, 0)
    .addOption(new Option("--browser", "Open in web browser").default(true))
    .addOption(new Option("--no-browser", "Do not open a web browser"))
    .action(async ({ port, browser }: { port: number; browser: boolean }) => {
      await client.streamPath();
      await using server = serveVideo(client, port);
      console.log(`Video stream available at: ${server.url}`);
      console.log(`Snapshot endpoint: ${server.url}/snapshot`);
      console.log("Press Ctrl+C to stop.");
      if (browser) await openBrowser(server.url);
      await untilInterrupted();
      console.log("\nStopping video server.");
    });
  return command;
}
