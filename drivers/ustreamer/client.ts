/** Upstream's `UStreamerClient`: a `VideoClient` whose state is uStreamer's own document. */
import type { CallOptions } from "@jumpstarter/lib/client";
import { VideoClient } from "@jumpstarter/driver-video";
import { ustreamerInterface } from "./interface.ts";
import { type UStreamerState, ustreamerStateSchema } from "./state.ts";

/** Client of the UStreamer driver: snapshots and streams as any video source, richer state. */
export class UStreamerClient extends VideoClient {
  /** ustreamer's state: online, resolution, fps, and its encoder and source detail. */
  override async state(options: CallOptions = {}): Promise<UStreamerState> {
    return ustreamerStateSchema.parse(
      await this.invoke(ustreamerInterface.methods.state, [], options),
    );
  }
}
