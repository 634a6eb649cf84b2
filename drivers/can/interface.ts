import { z } from "zod";
import { defineInterface, unary } from "@jumpstarter/lib/driver";
import { canMessageSchema } from "./message.ts";
import { isoTpAddressSchema } from "./isotp_params.ts";

const seconds = z.number().min(0).nullable();

/** python-can's `CanFilter`: a frame passes when `id & can_mask == can_id & can_mask`. */
export const canFilterSchema = z.object({
  "can_id": z.number().int().min(0),
  "can_mask": z.number().int().min(0),
  extended: z.boolean().optional(),
});

export type CanFilter = z.infer<typeof canFilterSchema>;

/** Upstream's `Can`: python-can's BusABC, method for method, over the wire. */
export const canInterface = defineInterface({
  client: "jumpstarter_driver_can.client.CanClient",
  description: "CAN bus",
  methods: {
    "_recv_internal": unary([seconds], {
      description: "Receive one frame: [message or null, whether filters were applied]",
    }),
    send: unary([canMessageSchema, seconds.optional()], { description: "Send one frame" }),
    "_send_periodic_internal": unary([
      z.union([canMessageSchema, z.array(canMessageSchema).min(1)]),
      z.number().positive(),
      seconds.optional(),
      z.boolean().optional(),
    ], { description: "Send frames every period seconds; returns the task's id" }),
    "_start_task": unary([z.string()], { description: "Start a periodic task" }),
    "_stop_task": unary([z.string()], { description: "Stop a periodic task" }),
    state: unary([z.number().int().min(1).max(3).nullable().optional()], {
      description: "The bus state (1 active, 2 passive, 3 error); with a value, set it",
    }),
    protocol: unary([], { description: "The CAN protocol (1 CAN 2.0, 2 CAN FD)" }),
    "channel_info": unary([], { description: "Describe the channel" }),
    "_apply_filters": unary([z.array(canFilterSchema).nullable()], {
      description: "Set the receive filters (null: receive everything)",
    }),
    "flush_tx_buffer": unary([], { description: "Drop frames not yet sent" }),
    shutdown: unary([], { description: "Shut the bus down" }),
  },
});

const isoTpMessage = z.object({ data: z.string().nullable() });

/** Upstream's `IsoTpPython` and `IsoTpSocket`: an ISO-TP transport, payload by payload. */
export const isoTpInterface = defineInterface({
  client: "jumpstarter_driver_can.client.IsoTpClient",
  description: "ISO-TP transport over CAN",
  methods: {
    start: unary([], { description: "Start the ISO-TP stack" }),
    stop: unary([], { description: "Stop the ISO-TP stack" }),
    send: unary([isoTpMessage, z.number().int().nullable().optional(), seconds.optional()], {
      description: "Send one payload",
    }),
    recv: unary([z.boolean().optional(), seconds.optional()], {
      description: "Receive one payload ({data: null} when none)",
    }),
    available: unary([], { description: "Whether a payload is waiting" }),
    transmitting: unary([], { description: "Whether a payload is being sent" }),
    "set_address": unary([
      z.union([
        isoTpAddressSchema,
        z.object({ "tx_addr": isoTpAddressSchema, "rx_addr": isoTpAddressSchema }),
      ]),
    ], { description: "Change the ISO-TP address" }),
    "stop_sending": unary([], { description: "Abort the payload being sent" }),
    "stop_receiving": unary([], { description: "Abort the payload being received" }),
  },
});
