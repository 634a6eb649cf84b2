import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";

/** Seconds to wait; null or absent: the default (60). */
const seconds = z.number().positive().nullable().optional();

/**
 * The U-Boot console of a DUT. Upstream exports only `get_prompt` and does the dialog in the
 * client; here the exporter does it (so that it runs next to the serial port, with no round trip
 * per character) and the client calls these methods. Upstream clients still work: they use
 * `get_prompt` and the `power` and `serial` children.
 */
export const ubootInterface = defineInterface({
  client: "jumpstarter_driver_uboot.client.UbootConsoleClient",
  description: "U-Boot console",
  methods: {
    "get_prompt": unary([], { description: "The U-Boot prompt this driver waits for" }),
    "reboot_to_console": unary([seconds], {
      description: "Power cycle the DUT and stop U-Boot's autoboot at its prompt",
    }),
    "run_command": unary([z.string().min(1), seconds], {
      description: "Run a U-Boot command and return its output",
    }),
    "run_command_checked": unary([z.string().min(1), seconds, z.boolean().optional()], {
      description: "Run a U-Boot command, return its output lines, fail on a non-zero status",
    }),
    "get_env": unary([z.string()], { description: "Read a U-Boot environment variable" }),
    "set_env": unary([z.string(), z.string().nullable()], {
      description: "Set (or with null, delete) a U-Boot environment variable",
    }),
    "setup_dhcp": unary([seconds], {
      description: "Configure the network with DHCP and return the addresses",
    }),
  },
});
