/**
 * A CAN frame, with python-can's `Message` fields; on our wire it is upstream's `CanMessage`
 * (snake_case, `data` in base64).
 */
import { z } from "zod";
import { decodeBase64, encodeBase64 } from "./base64.ts";

export interface CanFrame {
  timestamp: number;
  arbitrationId: number;
  isExtendedId: boolean;
  isRemoteFrame: boolean;
  isErrorFrame: boolean;
  channel: string | number | null;
  dlc: number;
  data: Uint8Array;
  isFd: boolean;
  isRx: boolean;
  bitrateSwitch: boolean;
  errorStateIndicator: boolean;
}

/** A frame with python-can's defaults for what is not given. */
export function canFrame(fields: Partial<CanFrame> & { arbitrationId: number }): CanFrame {
  const data = fields.data ?? new Uint8Array();
  return {
    timestamp: fields.timestamp ?? Date.now() / 1000,
    arbitrationId: fields.arbitrationId,
    isExtendedId: fields.isExtendedId ?? true,
    isRemoteFrame: fields.isRemoteFrame ?? false,
    isErrorFrame: fields.isErrorFrame ?? false,
    channel: fields.channel ?? null,
    dlc: fields.dlc ?? data.length,
    data,
    isFd: fields.isFd ?? false,
    isRx: fields.isRx ?? true,
    bitrateSwitch: fields.bitrateSwitch ?? false,
    errorStateIndicator: fields.errorStateIndicator ?? false,
  };
}

/** Upstream's `CanMessage` as it travels between client and exporter. */
export const canMessageSchema = z.object({
  timestamp: z.number(),
  "arbitration_id": z.number().int().min(0).max(0x1fffffff),
  "is_extended_id": z.boolean(),
  "is_remote_frame": z.boolean(),
  "is_error_frame": z.boolean(),
  channel: z.union([z.string(), z.number().int()]).nullable(),
  dlc: z.number().int().min(0).max(64).nullable(),
  data: z.string().nullable(),
  "is_fd": z.boolean(),
  "is_rx": z.boolean(),
  "bitrate_switch": z.boolean(),
  "error_state_indicator": z.boolean(),
});

export type CanMessage = z.infer<typeof canMessageSchema>;

export function toMessage(frame: CanFrame): CanMessage {
  return {
    timestamp: frame.timestamp,
    "arbitration_id": frame.arbitrationId,
    "is_extended_id": frame.isExtendedId,
    "is_remote_frame": frame.isRemoteFrame,
    "is_error_frame": frame.isErrorFrame,
    channel: frame.channel,
    dlc: frame.dlc,
    data: encodeBase64(frame.data),
    "is_fd": frame.isFd,
    "is_rx": frame.isRx,
    "bitrate_switch": frame.bitrateSwitch,
    "error_state_indicator": frame.errorStateIndicator,
  };
}

export function fromMessage(message: CanMessage): CanFrame {
  const data = message.data === null ? new Uint8Array() : decodeBase64(message.data);
  return {
    timestamp: message.timestamp,
    arbitrationId: message.arbitration_id,
    isExtendedId: message.is_extended_id,
    isRemoteFrame: message.is_remote_frame,
    isErrorFrame: message.is_error_frame,
    channel: message.channel,
    dlc: message.dlc ?? data.length,
    data,
    isFd: message.is_fd,
    isRx: message.is_rx,
    bitrateSwitch: message.bitrate_switch,
    errorStateIndicator: message.error_state_indicator,
  };
}

/** Checks what a CAN bus would refuse: ids out of range, too much data. */
export function checkFrame(frame: CanFrame): string | undefined {
  const maxId = frame.isExtendedId ? 0x1fffffff : 0x7ff;
  if (frame.arbitrationId > maxId) {
    return `arbitration id 0x${frame.arbitrationId.toString(16)} does not fit ` +
      `${frame.isExtendedId ? "29" : "11"} bits`;
  }
  const maxData = frame.isFd ? 64 : 8;
  if (frame.data.length > maxData) {
    return `${frame.data.length} data bytes is more than a ${frame.isFd ? "CAN FD" : "CAN"} ` +
      `frame holds (${maxData})`;
  }
  return undefined;
}
