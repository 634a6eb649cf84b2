/**
 * `deno run _testing/forward_main.ts forward-tcp 0`: serves an EchoNetwork in-process and
 * runs the network CLI on it with the real signal handling, as `j <name> ...` would.
 */
import { serve } from "@jumpstarter/lib/testing";
import { EchoNetwork } from "../driver.ts";
import { NetworkClient } from "../client.ts";
import { networkCli } from "../cli.ts";

await using served = await serve(new EchoNetwork(), NetworkClient);
await networkCli(served.client, "echo", { progress: () => () => {} })
  .parseAsync(Deno.args, { from: "user" });
console.error("forwarding stopped");
