import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";

/**
 * A flasher bundle driver (upstream `jumpstarter_driver_flashers` BaseFlasher): the exporter
 * serves the bundle's files and answers what the manifest says; the client runs the flash
 * dialog over the `uboot`, `serial`, `power`, `tftp` and `http` children, as upstream's does.
 */
export const flasherInterface = defineInterface({
  client: "jumpstarter_driver_flashers.client.BaseFlasherClient",
  description: "Software-defined flasher interface",
  methods: {
    "get_default_target": unary([], { description: "The configured default target, or null" }),
    "get_cacert": unary([], { description: "The configured CA certificate's text, or null" }),
    "setup_fls_binary": unary([], { description: "Serve the fls binary to the DUT (unsupported)" }),
    "setup_flasher_bundle": unary([z.string().nullable().optional()], {
      description: "Put the bundle's kernel, initramfs and DTB in the TFTP root",
    }),
    "set_dtb": unary([z.unknown()], {
      description: "Provide a DTB (not implemented, as upstream)",
    }),
    "use_dtb_variant": unary([z.string()], {
      description: "Use another DTB variant of the bundle",
    }),
    "get_flasher_manifest_yaml": unary([], { description: "The bundle's manifest.yaml" }),
    "get_kernel_filename": unary([], { description: "The kernel's file name in the TFTP root" }),
    "get_initram_filename": unary([], { description: "The initramfs's file name, or null" }),
    "get_dtb_filename": unary([], { description: "The DTB's file name, or empty" }),
    "get_dtb_address": unary([], { description: "The DTB's load address" }),
    "get_kernel_address": unary([], { description: "The kernel's load address" }),
    "get_initram_address": unary([], { description: "The initramfs's load address" }),
    "get_bootcmd": unary([], { description: "The U-Boot command that boots the bundle" }),
    "get_uboot_init_commands": unary([], {
      description: "U-Boot commands to run before DHCP (e.g. pci enum; virtio scan) (not upstream)",
    }),
  },
});
