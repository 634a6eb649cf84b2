/**
 * `j <ustreamer> state | snapshot | stream`: the video commands, with `state` printing the
 * source and encoder detail as upstream's `UStreamerClient.cli()`.
 */
import type { Command } from "commander";
import { videoCommands } from "@jumpstarter/driver-video";
import type { UStreamerClient } from "./client.ts";
import type { UStreamerState } from "./state.ts";

/** Prints `state` as upstream's `j video state` of a uStreamer. */
export function printUStreamerState(state: UStreamerState): void {
  const { source, encoder } = state.result;
  console.log(`Online:     ${source.online ? "True" : "False"}`);
  console.log(`Resolution: ${source.resolution.width}x${source.resolution.height}`);
  console.log(`FPS:        ${source.captured_fps}/${source.desired_fps}`);
  console.log(`Encoder:    ${encoder.type} (quality: ${encoder.quality})`);
}

/** Builds the uStreamer command group for `client`, named `name`. */
export function ustreamerCli(client: UStreamerClient, name: string): Command {
  return videoCommands(client, name, async () => printUStreamerState(await client.state()));
}
