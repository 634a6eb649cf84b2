import { z } from "zod";
import { byteStream, defineInterface, streaming, unary } from "@jumpstarter/lib/driver";

/**
 * A serial port: upstream's `connect` byte stream, plus this implementation's console log of the
 * session (`log_path`, `read_log`), which upstream clients simply do not call.
 */
export const pyserialInterface = defineInterface({
  client: "jumpstarter_driver_pyserial.client.PySerialClient",
  description: "Serial port",
  methods: {
    connect: byteStream({ description: "Connect to the serial port (one client at a time)" }),
    close: unary([], { description: "Force-close the connected client's stream" }),
    "set_dtr": unary([z.boolean()], { description: "Set the DTR control signal" }),
    "set_rts": unary([z.boolean()], { description: "Set the RTS control signal" }),
    "log_path": unary([], { description: "Path of this session's console log on the exporter" }),
    "read_log": streaming([z.boolean().optional()], {
      description: "Console output of this session so far; with true, keep following it",
    }),
  },
});
