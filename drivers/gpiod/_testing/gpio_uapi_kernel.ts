/**
 * The kernel side of the GPIO v2 uAPI structs, for the chip emulator: decoding what a caller
 * sent and refusing it as gpiolib-cdev does (EINVAL for bad flags, padding, counts or offsets).
 */
import {
  AttrId,
  ATTRS_MAX,
  CONFIG_ATTRIBUTE_SIZE,
  Field,
  LineFlag,
  LINES_MAX,
  NAME_SIZE,
} from "../uapi.ts";
import { errnoOf, SyscallError } from "../syscalls.ts";

const VALID_FLAGS = LineFlag.ACTIVE_LOW | LineFlag.INPUT | LineFlag.OUTPUT |
  LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING | LineFlag.OPEN_DRAIN | LineFlag.OPEN_SOURCE |
  LineFlag.BIAS_PULL_UP | LineFlag.BIAS_PULL_DOWN | LineFlag.BIAS_DISABLED |
  LineFlag.EVENT_CLOCK_REALTIME | LineFlag.EVENT_CLOCK_HTE;
const EDGE_FLAGS = LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING;
const DRIVE_FLAGS = LineFlag.OPEN_DRAIN | LineFlag.OPEN_SOURCE;
const BIAS_FLAGS = LineFlag.BIAS_PULL_UP | LineFlag.BIAS_PULL_DOWN | LineFlag.BIAS_DISABLED;
const DIRECTION_FLAGS = LineFlag.INPUT | LineFlag.OUTPUT;

/** Throws the errno `code` as the kernel fails a call. */
export function fail(call: string, code: string): never {
  throw new SyscallError(call, errnoOf(code));
}

function bitCount(flags: bigint): number {
  let count = 0;
  for (let rest = flags; rest; rest &= rest - 1n) count++;
  return count;
}

/** gpiolib-cdev's `gpio_v2_line_flags_validate`. */
function validFlags(flags: bigint): boolean {
  if (flags & ~VALID_FLAGS) return false;
  if ((flags & DIRECTION_FLAGS) === DIRECTION_FLAGS) return false;
  if ((flags & EDGE_FLAGS) && !(flags & LineFlag.INPUT)) return false;
  if ((flags & DRIVE_FLAGS) && !(flags & LineFlag.OUTPUT)) return false;
  if (bitCount(flags & DRIVE_FLAGS) > 1) return false;
  if ((flags & BIAS_FLAGS) && !(flags & DIRECTION_FLAGS)) return false;
  if (bitCount(flags & BIAS_FLAGS) > 1) return false;
  return true;
}

/** Whether reserved padding is all zero (the kernel refuses anything else). */
export function allZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

function readName(bytes: Uint8Array, at: number): string {
  const field = bytes.subarray(at, at + NAME_SIZE);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end));
}

/** A request's decoded `struct gpio_v2_line_config`: flags per line index, output values. */
export interface DecodedConfig {
  flags: bigint[];
  outputs: (0 | 1)[];
}

/** Decodes a `struct gpio_v2_line_config` at `base` of `arg` for `count` lines. */
export function decodeConfig(arg: Uint8Array, base: number, count: number): DecodedConfig {
  const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
  const { lineConfig, configAttribute } = Field;
  const flags = Array<bigint>(count).fill(view.getBigUint64(base + lineConfig.flags, true));
  const outputs = Array<0 | 1>(count).fill(0);
  const attributes = view.getUint32(base + lineConfig.numAttrs, true);
  if (attributes > ATTRS_MAX) fail("ioctl", "EINVAL");
  if (!allZero(arg.subarray(base + lineConfig.padding, base + lineConfig.attrs))) {
    fail("ioctl", "EINVAL");
  }
  for (let index = 0; index < attributes; index++) {
    const at = base + lineConfig.attrs + index * CONFIG_ATTRIBUTE_SIZE;
    const id = view.getUint32(at + configAttribute.id, true);
    const value = view.getBigUint64(at + configAttribute.value, true);
    const mask = view.getBigUint64(at + configAttribute.mask, true);
    for (let line = 0; line < count; line++) {
      if (!(mask & (1n << BigInt(line)))) continue;
      if (id === AttrId.FLAGS) flags[line] = value;
      else if (id === AttrId.OUTPUT_VALUES) outputs[line] = value & (1n << BigInt(line)) ? 1 : 0;
      else if (id !== AttrId.DEBOUNCE) fail("ioctl", "EINVAL");
    }
  }
  if (!flags.every(validFlags)) fail("ioctl", "EINVAL");
  return { flags, outputs };
}

/** A decoded `struct gpio_v2_line_request`. */
export interface DecodedRequest {
  offsets: number[];
  consumer: string;
  config: DecodedConfig;
  eventBufferSize: number;
}

/** Decodes and validates a `struct gpio_v2_line_request` for a chip of `lines` lines. */
export function decodeRequest(arg: Uint8Array, lines: number): DecodedRequest {
  const view = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
  const { lineRequest } = Field;
  const count = view.getUint32(lineRequest.numLines, true);
  if (count === 0 || count > LINES_MAX) fail("ioctl", "EINVAL");
  if (!allZero(arg.subarray(lineRequest.padding, lineRequest.fd))) fail("ioctl", "EINVAL");
  const offsets = Array.from(
    { length: count },
    (_, index) => view.getUint32(lineRequest.offsets + 4 * index, true),
  );
  if (offsets.some((offset) => offset >= lines)) fail("ioctl", "EINVAL");
  return {
    offsets,
    consumer: readName(arg, lineRequest.consumer) || "?",
    config: decodeConfig(arg, lineRequest.config, count),
    eventBufferSize: view.getUint32(lineRequest.eventBufferSize, true) || 16 * count,
  };
}
