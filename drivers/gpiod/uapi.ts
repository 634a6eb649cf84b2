/**
 * The Linux GPIO character device's v2 uAPI (`<linux/gpio.h>`): ioctl numbers and the byte
 * layouts of the structs this package sends and receives, little-endian as on every Linux
 * target Jumpstarter runs on.
 */

/** Bytes of a name field (`GPIO_MAX_NAME_SIZE`). */
export const NAME_SIZE = 32;
/** Lines one request may hold (`GPIO_V2_LINES_MAX`). */
export const LINES_MAX = 64;
/** Attributes one line config may carry (`GPIO_V2_LINE_NUM_ATTRS_MAX`). */
export const ATTRS_MAX = 10;

/** `struct gpiochip_info`. */
export const CHIP_INFO_SIZE = 68;
/** `struct gpio_v2_line_info`. */
export const LINE_INFO_SIZE = 256;
/** `struct gpio_v2_line_config`. */
export const LINE_CONFIG_SIZE = 272;
/** `struct gpio_v2_line_request`. */
export const LINE_REQUEST_SIZE = 592;
/** `struct gpio_v2_line_values`. */
export const LINE_VALUES_SIZE = 16;
/** `struct gpio_v2_line_event`. */
export const LINE_EVENT_SIZE = 48;
/** `struct gpio_v2_line_config_attribute`: one entry of a config's `attrs`. */
export const CONFIG_ATTRIBUTE_SIZE = 24;

/** Byte offsets of the struct fields used here (checked against `<linux/gpio.h>` by a test). */
export const Field = {
  chipInfo: { name: 0, label: 32, lines: 64 },
  lineInfo: { name: 0, consumer: 32, offset: 64, numAttrs: 68, flags: 72, padding: 240 },
  lineConfig: { flags: 0, numAttrs: 8, padding: 12, attrs: 32 },
  configAttribute: { id: 0, value: 8, mask: 16 },
  lineRequest: {
    offsets: 0,
    consumer: 256,
    config: 288,
    numLines: 560,
    eventBufferSize: 564,
    padding: 568,
    fd: 588,
  },
  lineValues: { bits: 0, mask: 8 },
  lineEvent: { timestampNs: 0, id: 8, offset: 12, seqno: 16, lineSeqno: 20 },
} as const;

/** `enum gpio_v2_line_flag`. */
export const LineFlag = {
  USED: 1n << 0n,
  ACTIVE_LOW: 1n << 1n,
  INPUT: 1n << 2n,
  OUTPUT: 1n << 3n,
  EDGE_RISING: 1n << 4n,
  EDGE_FALLING: 1n << 5n,
  OPEN_DRAIN: 1n << 6n,
  OPEN_SOURCE: 1n << 7n,
  BIAS_PULL_UP: 1n << 8n,
  BIAS_PULL_DOWN: 1n << 9n,
  BIAS_DISABLED: 1n << 10n,
  EVENT_CLOCK_REALTIME: 1n << 11n,
  EVENT_CLOCK_HTE: 1n << 12n,
} as const;

/** `enum gpio_v2_line_attr_id`. */
export const AttrId = { FLAGS: 1, OUTPUT_VALUES: 2, DEBOUNCE: 3 } as const;

/** `enum gpio_v2_line_event_id`. */
export const EventId = { RISING_EDGE: 1, FALLING_EDGE: 2 } as const;

const IOC_WRITE = 1;
const IOC_READ = 2;
const GPIO_IOC_MAGIC = 0xb4;

/** `_IOC(dir, 0xB4, nr, size)` as the kernel encodes it. */
function ioc(direction: number, nr: number, size: number): number {
  return ((direction << 30) | (size << 16) | (GPIO_IOC_MAGIC << 8) | nr) >>> 0;
}

/** The ioctl requests of the v2 uAPI this package uses. */
export const Ioctl = {
  GET_CHIPINFO: ioc(IOC_READ, 0x01, CHIP_INFO_SIZE),
  GET_LINEINFO: ioc(IOC_READ | IOC_WRITE, 0x05, LINE_INFO_SIZE),
  GET_LINE: ioc(IOC_READ | IOC_WRITE, 0x07, LINE_REQUEST_SIZE),
  LINE_SET_CONFIG: ioc(IOC_READ | IOC_WRITE, 0x0d, LINE_CONFIG_SIZE),
  LINE_GET_VALUES: ioc(IOC_READ | IOC_WRITE, 0x0e, LINE_VALUES_SIZE),
  LINE_SET_VALUES: ioc(IOC_READ | IOC_WRITE, 0x0f, LINE_VALUES_SIZE),
} as const;

/** The size an ioctl request number says its argument has (`_IOC_SIZE`). */
export function ioctlSize(request: number): number {
  return (request >>> 16) & 0x3fff;
}

/** How one line is configured: libgpiod's line settings, as this package uses them. */
export interface LineSettings {
  direction: "input" | "output";
  activeLow: boolean;
  bias: "as_is" | "pull_up" | "pull_down" | "disabled";
  drive: "push_pull" | "open_drain" | "open_source";
  /** Edge detection: none, or both edges (what upstream's inputs ask for). */
  edges: boolean;
  /** Logical value an output starts with (1 = active). */
  outputValue?: 0 | 1;
}

const BIAS_FLAGS = {
  as_is: 0n,
  pull_up: LineFlag.BIAS_PULL_UP,
  pull_down: LineFlag.BIAS_PULL_DOWN,
  disabled: LineFlag.BIAS_DISABLED,
} as const;

const DRIVE_FLAGS = {
  push_pull: 0n,
  open_drain: LineFlag.OPEN_DRAIN,
  open_source: LineFlag.OPEN_SOURCE,
} as const;

/** The kernel flags of `settings`, built as libgpiod builds them. */
export function lineFlags(settings: LineSettings): bigint {
  let flags = settings.direction === "output" ? LineFlag.OUTPUT : LineFlag.INPUT;
  if (settings.edges) flags |= LineFlag.EDGE_RISING | LineFlag.EDGE_FALLING;
  flags |= DRIVE_FLAGS[settings.drive] | BIAS_FLAGS[settings.bias];
  if (settings.activeLow) flags |= LineFlag.ACTIVE_LOW;
  return flags;
}

/** Writes a `struct gpio_v2_line_config` for one line at `offset` of `view`. */
function writeLineConfig(view: DataView, offset: number, settings: LineSettings): void {
  const { lineConfig, configAttribute } = Field;
  view.setBigUint64(offset + lineConfig.flags, lineFlags(settings), true);
  if (settings.direction === "output") {
    // one attribute: the output value of line index 0
    view.setUint32(offset + lineConfig.numAttrs, 1, true);
    const attribute = offset + lineConfig.attrs;
    view.setUint32(attribute + configAttribute.id, AttrId.OUTPUT_VALUES, true);
    const value = BigInt(settings.outputValue ?? 0);
    view.setBigUint64(attribute + configAttribute.value, value, true);
    view.setBigUint64(attribute + configAttribute.mask, 1n, true);
  }
}

/** A `struct gpio_v2_line_config` (for `LINE_SET_CONFIG`) of a one-line request. */
export function encodeLineConfig(settings: LineSettings): Uint8Array {
  const bytes = new Uint8Array(LINE_CONFIG_SIZE);
  writeLineConfig(new DataView(bytes.buffer), 0, settings);
  return bytes;
}

/** A `struct gpio_v2_line_request` for one line. */
export function encodeLineRequest(
  line: number,
  consumer: string,
  settings: LineSettings,
): Uint8Array {
  const bytes = new Uint8Array(LINE_REQUEST_SIZE);
  const view = new DataView(bytes.buffer);
  const { lineRequest } = Field;
  view.setUint32(lineRequest.offsets, line, true);
  bytes.set(encodeName(consumer), lineRequest.consumer);
  writeLineConfig(view, lineRequest.config, settings);
  view.setUint32(lineRequest.numLines, 1, true);
  return bytes;
}

/** The file descriptor the kernel wrote into an answered line request. */
export function requestFd(request: Uint8Array): number {
  return new DataView(request.buffer, request.byteOffset).getInt32(Field.lineRequest.fd, true);
}

/** A `struct gpio_v2_line_values` naming line index 0 (value `bits` when setting). */
export function encodeValues(bits: 0 | 1 = 0): Uint8Array {
  const bytes = new Uint8Array(LINE_VALUES_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(Field.lineValues.bits, BigInt(bits), true);
  view.setBigUint64(Field.lineValues.mask, 1n, true);
  return bytes;
}

/** The logical value of line index 0 in an answered `struct gpio_v2_line_values`. */
export function decodeValue(values: Uint8Array): 0 | 1 {
  const bits = new DataView(values.buffer, values.byteOffset).getBigUint64(
    Field.lineValues.bits,
    true,
  );
  return (bits & 1n) === 1n ? 1 : 0;
}

/** A name as the kernel stores it: NUL-padded, at most 31 bytes. */
export function encodeName(name: string): Uint8Array {
  const bytes = new Uint8Array(NAME_SIZE);
  bytes.set(new TextEncoder().encode(name).subarray(0, NAME_SIZE - 1));
  return bytes;
}

/** A NUL-terminated name field. */
export function decodeName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** `struct gpiochip_info`. */
export interface ChipInfo {
  name: string;
  label: string;
  lines: number;
}

export function decodeChipInfo(bytes: Uint8Array): ChipInfo {
  const { chipInfo } = Field;
  return {
    name: decodeName(bytes.subarray(chipInfo.name, chipInfo.name + NAME_SIZE)),
    label: decodeName(bytes.subarray(chipInfo.label, chipInfo.label + NAME_SIZE)),
    lines: new DataView(bytes.buffer, bytes.byteOffset).getUint32(chipInfo.lines, true),
  };
}

/** A `struct gpio_v2_line_info` asking about line `line`. */
export function encodeLineInfoQuery(line: number): Uint8Array {
  const bytes = new Uint8Array(LINE_INFO_SIZE);
  new DataView(bytes.buffer).setUint32(Field.lineInfo.offset, line, true);
  return bytes;
}

/** What `GET_LINEINFO` tells about a line. */
export interface LineInfo {
  name: string;
  consumer: string;
  flags: bigint;
}

export function decodeLineInfo(bytes: Uint8Array): LineInfo {
  const { lineInfo } = Field;
  return {
    name: decodeName(bytes.subarray(lineInfo.name, lineInfo.name + NAME_SIZE)),
    consumer: decodeName(bytes.subarray(lineInfo.consumer, lineInfo.consumer + NAME_SIZE)),
    flags: new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(lineInfo.flags, true),
  };
}

/** One `struct gpio_v2_line_event`. */
export interface LineEvent {
  timestampNs: bigint;
  edge: "rising" | "falling";
  line: number;
  seqno: number;
  lineSeqno: number;
}

/** The whole events in what a read of a request's file descriptor returned. */
export function decodeEvents(bytes: Uint8Array): LineEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { lineEvent } = Field;
  const events: LineEvent[] = [];
  for (let at = 0; at + LINE_EVENT_SIZE <= bytes.byteLength; at += LINE_EVENT_SIZE) {
    const id = view.getUint32(at + lineEvent.id, true);
    events.push({
      timestampNs: view.getBigUint64(at + lineEvent.timestampNs, true),
      edge: id === EventId.RISING_EDGE ? "rising" : "falling",
      line: view.getUint32(at + lineEvent.offset, true),
      seqno: view.getUint32(at + lineEvent.seqno, true),
      lineSeqno: view.getUint32(at + lineEvent.lineSeqno, true),
    });
  }
  return events;
}
