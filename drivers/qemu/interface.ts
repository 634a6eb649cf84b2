import { z } from "zod";
import { byteStream, defineInterface, streaming, unary } from "@jumpstarter/lib/driver";
import { resourceHandleSchema } from "@jumpstarter/lib/streams";

/** The Qemu composite itself: the guest's login details (upstream's QemuClient properties). */
export const qemuInterface = defineInterface({
  client: "jumpstarter_driver_qemu.client.QemuClient",
  description: "QEMU virtual machine",
  methods: {
    "get_hostname": unary([], { description: "Hostname given to the guest by cloud-init" }),
    "get_username": unary([], { description: "User created in the guest by cloud-init" }),
    "get_password": unary([], { description: "Password of that user" }),
    "set_disk_size": unary([z.string()], {
      description: "Resize the root disk (e.g. 20G) at the next power on",
    }),
    "set_memory_size": unary([z.string()], {
      description: "Set the memory size (e.g. 2G) for the next power on",
    }),
  },
});

/**
 * The guest's serial console. Upstream's child is a PySerial on QEMU's pty, so the client is
 * PySerialClient; `log_path`/`read_log` are the session console log the PySerial driver of this
 * implementation also offers.
 */
export const consoleInterface = defineInterface({
  client: "jumpstarter_driver_pyserial.client.PySerialClient",
  description: "QEMU serial console",
  methods: {
    connect: byteStream({ description: "Attach to the serial console" }),
    "log_path": unary([], { description: "Path of the console log on the exporter" }),
    "read_log": streaming([z.boolean().optional()], {
      description: "Console output of this session so far; with true, keep following it",
    }),
  },
});

const target = z.string().min(1).nullable().optional();

/**
 * Upstream's FlasherInterface: images in and out of partitions. The QEMU flasher reports
 * upstream head's `QemuFlasherClient` (a FlasherClient that adds OCI flashing).
 */
export const flasherInterface = defineInterface({
  client: "jumpstarter_driver_qemu.client.QemuFlasherClient",
  description: "Flasher",
  methods: {
    flash: unary([resourceHandleSchema, target], { description: "Write an image to a target" }),
    dump: unary([resourceHandleSchema, target], { description: "Read a target into a file" }),
  },
});
