/** Builds small ELF32 little-endian ARM executables for download tests. */

/** One loadable segment: its bytes at a physical address. */
export interface Segment {
  address: number;
  bytes: Uint8Array;
}

const HEADER_SIZE = 52;
const PROGRAM_HEADER_SIZE = 32;
const PT_LOAD = 1;
const EM_ARM = 40;

/** An ELF32 executable whose program headers load `segments` at their addresses. */
export function tinyElf(segments: Segment[]): Uint8Array {
  const dataStart = HEADER_SIZE + PROGRAM_HEADER_SIZE * segments.length;
  const total = dataStart + segments.reduce((sum, segment) => sum + segment.bytes.length, 0);
  const elf = new Uint8Array(total);
  const view = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // magic, 32-bit, little-endian, version 1
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, EM_ARM, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, segments[0]?.address ?? 0, true); // entry
  view.setUint32(28, HEADER_SIZE, true); // e_phoff
  view.setUint16(40, HEADER_SIZE, true); // e_ehsize
  view.setUint16(42, PROGRAM_HEADER_SIZE, true);
  view.setUint16(44, segments.length, true);
  let offset = dataStart;
  segments.forEach((segment, index) => {
    const header = HEADER_SIZE + index * PROGRAM_HEADER_SIZE;
    view.setUint32(header, PT_LOAD, true);
    view.setUint32(header + 4, offset, true);
    view.setUint32(header + 8, segment.address, true);
    view.setUint32(header + 12, segment.address, true);
    view.setUint32(header + 16, segment.bytes.length, true);
    view.setUint32(header + 20, segment.bytes.length, true);
    view.setUint32(header + 24, 5, true); // R+X
    elf.set(segment.bytes, offset);
    offset += segment.bytes.length;
  });
  return elf;
}
