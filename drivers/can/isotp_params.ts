/** Upstream's `IsoTpParams` and `IsoTpAddress` config, with their defaults. */
import { z } from "zod";

export const isoTpParamsSchema = z.object({
  stmin: z.number().int().min(0).max(0xff).default(0),
  blocksize: z.number().int().min(0).max(0xff).default(8),
  "tx_data_length": z.union([
    z.literal(8),
    z.literal(12),
    z.literal(16),
    z.literal(20),
    z.literal(24),
    z.literal(32),
    z.literal(48),
    z.literal(64),
  ]).default(8),
  "tx_data_min_length": z.number().int().min(1).max(64).nullable().default(null),
  "override_receiver_stmin": z.number().min(0).nullable().default(null),
  "rx_flowcontrol_timeout": z.number().int().positive().default(1000),
  "rx_consecutive_frame_timeout": z.number().int().positive().default(1000),
  "tx_padding": z.number().int().min(0).max(0xff).nullable().default(null),
  wftmax: z.number().int().min(0).default(0),
  "max_frame_size": z.number().int().positive().default(4095),
  "can_fd": z.boolean().default(false),
  "bitrate_switch": z.boolean().default(false),
  "default_target_address_type": z.number().int().min(0).max(1).default(0),
  "rate_limit_enable": z.boolean().default(false),
  "rate_limit_max_bitrate": z.number().int().positive().default(10_000_000),
  "rate_limit_window_size": z.number().positive().default(0.2),
  "listen_mode": z.boolean().default(false),
  "blocking_send": z.boolean().default(false),
}).strict();

export type IsoTpParams = z.output<typeof isoTpParamsSchema>;

/** python-can-isotp's `AddressingMode`: only the normal modes are implemented here. */
export const ADDRESSING_NORMAL_11 = 0;
export const ADDRESSING_NORMAL_29 = 1;

export const isoTpAddressSchema = z.object({
  "addressing_mode": z.number().int().min(0).max(6).default(ADDRESSING_NORMAL_11),
  txid: z.number().int().min(0).max(0x1fffffff).nullable().default(null),
  rxid: z.number().int().min(0).max(0x1fffffff).nullable().default(null),
  "target_address": z.number().int().nullable().default(null),
  "source_address": z.number().int().nullable().default(null),
  "physical_id": z.number().int().nullable().default(null),
  "functional_id": z.number().int().nullable().default(null),
  "address_extension": z.number().int().nullable().default(null),
  "rx_only": z.boolean().default(false),
  "tx_only": z.boolean().default(false),
});

export type IsoTpAddress = z.output<typeof isoTpAddressSchema>;

/** The ids a normal-addressing stack sends and listens on; explains what else is missing. */
export function normalIds(
  address: IsoTpAddress,
): { txid: number; rxid: number; extended: boolean } {
  if (
    address.addressing_mode !== ADDRESSING_NORMAL_11 &&
    address.addressing_mode !== ADDRESSING_NORMAL_29
  ) {
    throw new Error(
      `ISO-TP addressing_mode ${address.addressing_mode} is not supported (only Normal_11bits 0 ` +
        `and Normal_29bits 1)`,
    );
  }
  if (address.txid === null || address.rxid === null) {
    throw new Error("ISO-TP normal addressing needs both txid and rxid");
  }
  const extended = address.addressing_mode === ADDRESSING_NORMAL_29;
  const max = extended ? 0x1fffffff : 0x7ff;
  for (const [name, id] of [["txid", address.txid], ["rxid", address.rxid]] as const) {
    if (id > max) {
      throw new Error(
        `ISO-TP ${name} 0x${id.toString(16)} does not fit ${extended ? 29 : 11} bits`,
      );
    }
  }
  return { txid: address.txid, rxid: address.rxid, extended };
}
