/**
 * TFTP packets (RFC 1350, OACK from RFC 2347): encoding and decoding.
 */

/** Packet opcodes. */
export const Opcode = {
  RRQ: 1,
  WRQ: 2,
  DATA: 3,
  ACK: 4,
  ERROR: 5,
  OACK: 6,
} as const;

/** ERROR packet codes (RFC 1350, 8 from RFC 2347). */
export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_REFUSED: 8,
} as const;

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** A read or write request: file name, mode (lower-cased) and options (names lower-cased). */
export interface Request {
  opcode: typeof Opcode.RRQ | typeof Opcode.WRQ;
  filename: string;
  mode: string;
  options: Map<string, string>;
}

export type Packet =
  | Request
  | { opcode: typeof Opcode.DATA; block: number; data: Uint8Array }
  | { opcode: typeof Opcode.ACK; block: number }
  | { opcode: typeof Opcode.ERROR; code: number; message: string }
  | { opcode: typeof Opcode.OACK; options: Map<string, string> };

/** A datagram that is not a well-formed TFTP packet. */
export class MalformedPacketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedPacketError";
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/** Splits NUL-terminated strings from `at` on; every string must be terminated. */
function strings(bytes: Uint8Array, at: number): string[] {
  const out: string[] = [];
  let start = at;
  for (let i = at; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    out.push(decoder.decode(bytes.subarray(start, i)));
    start = i + 1;
  }
  if (start !== bytes.length) throw new MalformedPacketError("string is not NUL-terminated");
  return out;
}

function optionsFrom(parts: string[]): Map<string, string> {
  if (parts.length % 2 !== 0) throw new MalformedPacketError("option without a value");
  const options = new Map<string, string>();
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i]!.toLowerCase();
    // RFC 2347 leaves repeats undefined; the first one wins
    if (!options.has(name)) options.set(name, parts[i + 1]!);
  }
  return options;
}

/**
 * Decodes one datagram.
 *
 * @throws {MalformedPacketError} for short packets, unknown opcodes or broken strings.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  if (bytes.length < 4) throw new MalformedPacketError(`packet of ${bytes.length} bytes`);
  const opcode = u16(bytes, 0);
  switch (opcode) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const [filename, mode, ...rest] = strings(bytes, 2);
      if (filename === undefined || mode === undefined) {
        throw new MalformedPacketError("request without file name and mode");
      }
      return { opcode, filename, mode: mode.toLowerCase(), options: optionsFrom(rest) };
    }
    case Opcode.DATA:
      return { opcode, block: u16(bytes, 2), data: bytes.subarray(4) };
    case Opcode.ACK:
      return { opcode, block: u16(bytes, 2) };
    case Opcode.ERROR: {
      const end = bytes.indexOf(0, 4);
      const message = decoder.decode(bytes.subarray(4, end < 0 ? bytes.length : end));
      return { opcode, code: u16(bytes, 2), message };
    }
    case Opcode.OACK:
      return { opcode, options: optionsFrom(strings(bytes, 2)) };
    default:
      throw new MalformedPacketError(`unknown opcode ${opcode}`);
  }
}

function header(opcode: number, second: number, size: number): Uint8Array {
  const packet = new Uint8Array(4 + size);
  packet[0] = opcode >> 8;
  packet[1] = opcode & 0xff;
  packet[2] = (second >> 8) & 0xff;
  packet[3] = second & 0xff;
  return packet;
}

/** A DATA packet; `block` is taken modulo 65536. */
export function encodeData(block: number, data: Uint8Array): Uint8Array {
  const packet = header(Opcode.DATA, block & 0xffff, data.length);
  packet.set(data, 4);
  return packet;
}

/** An ACK packet; `block` is taken modulo 65536. */
export function encodeAck(block: number): Uint8Array {
  return header(Opcode.ACK, block & 0xffff, 0);
}

/** An ERROR packet. */
export function encodeError(code: number, message: string): Uint8Array {
  const text = encoder.encode(message);
  const packet = header(Opcode.ERROR, code, text.length + 1);
  packet.set(text, 4);
  return packet;
}

function encodeStrings(opcode: number, parts: string[]): Uint8Array {
  const encoded = parts.map((part) => encoder.encode(part));
  const size = encoded.reduce((sum, part) => sum + part.length + 1, 2);
  const packet = new Uint8Array(size);
  packet[1] = opcode;
  let at = 2;
  for (const part of encoded) {
    packet.set(part, at);
    at += part.length + 1;
  }
  return packet;
}

/** An OACK packet listing the accepted options. */
export function encodeOack(options: ReadonlyMap<string, string>): Uint8Array {
  return encodeStrings(Opcode.OACK, [...options].flat());
}

/** A read or write request (used by tests and tools acting as a client). */
export function encodeRequest(
  opcode: typeof Opcode.RRQ | typeof Opcode.WRQ,
  filename: string,
  mode = "octet",
  options: Record<string, string | number> = {},
): Uint8Array {
  const pairs = Object.entries(options).flatMap(([name, value]) => [name, String(value)]);
  return encodeStrings(opcode, [filename, mode, ...pairs]);
}

/** Human-readable name of an error code, for logs and messages. */
export function errorCodeName(code: number): string {
  const names = [
    "Not defined",
    "File not found",
    "Access violation",
    "Disk full",
    "Illegal TFTP operation",
    "Unknown transfer ID",
    "File already exists",
    "No such user",
    "Option negotiation refused",
  ];
  return names[code] ?? `code ${code}`;
}
