/** The ProbeRs driver's methods, by upstream's wire names. */
import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";
import { resourceHandleSchema } from "@jumpstarter/lib/streams";

export const probeRsInterface = defineInterface({
  client: "jumpstarter_driver_probe_rs.client.ProbeRsClient",
  description: "probe-rs client",
  methods: {
    info: unary([], { description: "Get target information" }),
    "reset_target": unary([], { description: "Reset the target" }),
    erase: unary([], { description: "Erase the target, this is a slow operation." }),
    download: unary([resourceHandleSchema], { description: "Download a file to the target" }),
    read: unary([
      z.enum(["b8", "b16", "b32", "b64"], { error: "width must be one of: b8, b16, b32, b64" }),
      z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, {
        error: "address must be a decimal or 0x-prefixed hexadecimal number",
      }),
      z.string().regex(/^[1-9][0-9]*$/, { error: "words must be a positive whole number" }),
    ], { description: "read from target memory" }),
  },
});
