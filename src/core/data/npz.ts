import { Inflate } from "fflate";
import { DataFileError } from "./error.ts";
import { type NpyArray, parseNpy } from "./npy.ts";

/**
 * `.npz` archives: what `np.savez` (stored members) and `np.savez_compressed` (deflate) write —
 * a zip whose members are `.npy` files (zip64 records included: NumPy always asks for them).
 * Inflation is bounded by the size each member declares, so a small archive cannot make the
 * reader allocate gigabytes; the CRC of every member is checked.
 */
export interface NpzOptions {
  /** Refuse a member declaring more bytes than this (default 2 GiB). */
  readonly maxMemberBytes?: number;
}

interface Member {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeader: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATE = 8;
/** Deflate's largest expansion: a 258-byte match costs as little as 2 bits. */
const MAX_EXPANSION = 1032;

class ZipReader {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new DataFileError(this.file, message);
  }

  /** Checks that `[offset, offset + length)` lies in the file before anything reads it. */
  need(offset: number, length: number, what: string): void {
    if (offset < 0 || offset + length > this.bytes.length) {
      this.fail(
        `truncated zip: the ${what} at byte ${offset} needs ${length} bytes, the file has ${this.bytes.length}`,
      );
    }
  }

  u16 = (at: number) => this.view.getUint16(at, true);
  u32 = (at: number) => this.view.getUint32(at, true);
  u64(at: number): number {
    const value = this.u32(at) + this.u32(at + 4) * 2 ** 32;
    if (!Number.isSafeInteger(value)) this.fail(`a zip64 size at byte ${at} is beyond 2^53`);
    return value;
  }
}

/** The end-of-central-directory record: where the directory is and how many entries it has. */
function findDirectory(zip: ZipReader): { offset: number; size: number; entries: number } {
  const { bytes } = zip;
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  let at = bytes.length - 22;
  while (at >= lowest && zip.u32(at) !== EOCD) at--;
  if (at < lowest) {
    zip.fail(
      bytes.length < 22
        ? `not a zip archive (${bytes.length} bytes; an .npz is a zip file)`
        : "not a zip archive, or truncated: no end-of-central-directory record",
    );
  }
  let entries = zip.u16(at + 10);
  let size = zip.u32(at + 12);
  let offset = zip.u32(at + 16);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = at - 20;
    zip.need(locator, 20, "zip64 locator");
    if (zip.u32(locator) !== ZIP64_LOCATOR) zip.fail("zip64 archive without its locator record");
    const record = zip.u64(locator + 8);
    zip.need(record, 56, "zip64 end record");
    if (zip.u32(record) !== ZIP64_EOCD) zip.fail("zip64 end record has the wrong signature");
    entries = zip.u64(record + 32);
    size = zip.u64(record + 40);
    offset = zip.u64(record + 48);
  }
  zip.need(offset, size, "central directory");
  return { offset, size, entries };
}

/** Sizes and offset from a zip64 extra field, where the 32-bit ones are 0xffffffff. */
function zip64Extra(
  zip: ZipReader,
  extra: number,
  extraLength: number,
  fields: { size: number; compressedSize: number; localHeader: number },
): void {
  for (let at = extra; at + 4 <= extra + extraLength; ) {
    const id = zip.u16(at);
    const length = zip.u16(at + 2);
    if (id === 0x0001) {
      let p = at + 4;
      const next = (): number => {
        if (p + 8 > Math.min(at + 4 + length, extra + extraLength)) {
          zip.fail("zip64 extra field is too short");
        }
        const v = zip.u64(p);
        p += 8;
        return v;
      };
      if (fields.size === 0xffffffff) fields.size = next();
      if (fields.compressedSize === 0xffffffff) fields.compressedSize = next();
      if (fields.localHeader === 0xffffffff) fields.localHeader = next();
      return;
    }
    at += 4 + length;
  }
}

function readDirectory(zip: ZipReader): Member[] {
  const { offset, size, entries } = findDirectory(zip);
  const members: Member[] = [];
  let at = offset;
  const decoder = new TextDecoder();
  for (let i = 0; i < entries; i++) {
    zip.need(at, 46, "central directory entry");
    if (at + 46 > offset + size || zip.u32(at) !== CENTRAL) {
      zip.fail(`central directory entry ${i} is corrupt (expected ${entries} entries)`);
    }
    const nameLength = zip.u16(at + 28);
    const extraLength = zip.u16(at + 30);
    const commentLength = zip.u16(at + 32);
    zip.need(at + 46, nameLength + extraLength + commentLength, "central directory entry");
    const name = decoder.decode(zip.bytes.subarray(at + 46, at + 46 + nameLength));
    if (zip.u16(at + 8) & 1) zip.fail(`member ${name} is encrypted`);
    const fields = {
      size: zip.u32(at + 24),
      compressedSize: zip.u32(at + 20),
      localHeader: zip.u32(at + 42),
    };
    zip64Extra(zip, at + 46 + nameLength, extraLength, fields);
    members.push({ name, method: zip.u16(at + 10), crc: zip.u32(at + 16), ...fields });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Inflates `compressed` into exactly `size` bytes, feeding it in slices so that output past
 * `size` is noticed after at most one slice's worth (≤ 16 KiB × deflate's 1032:1 ratio).
 */
function inflateBounded(compressed: Uint8Array, size: number, fail: (m: string) => never) {
  const out = new Uint8Array(size);
  let written = 0;
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > size) {
      fail(`inflates to more than the ${size} bytes its zip entry declares`);
    }
    out.set(chunk, written);
    written += chunk.length;
  });
  const slice = 16 * 1024;
  try {
    for (let at = 0; at < compressed.length; at += slice) {
      inflater.push(compressed.subarray(at, at + slice), at + slice >= compressed.length);
    }
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    fail(`corrupt deflate data (${(error as Error).message})`);
  }
  if (written !== size) fail(`inflates to ${written} bytes, its zip entry declares ${size}`);
  return out;
}

function memberBytes(zip: ZipReader, member: Member, maxBytes: number): Uint8Array {
  const memberName = `${zip.file}:${member.name}`;
  const fail = (message: string): never => {
    throw new DataFileError(memberName, message);
  };
  if (member.size > maxBytes) {
    fail(`declares ${member.size} bytes, more than the ${maxBytes} allowed per member`);
  }
  zip.need(member.localHeader, 30, `local header of ${member.name}`);
  if (zip.u32(member.localHeader) !== LOCAL) fail("local header has the wrong signature");
  const dataStart =
    member.localHeader + 30 + zip.u16(member.localHeader + 26) + zip.u16(member.localHeader + 28);
  zip.need(dataStart, member.compressedSize, `data of ${member.name}`);
  const compressed = zip.bytes.subarray(dataStart, dataStart + member.compressedSize);
  let bytes: Uint8Array;
  if (member.method === STORED) {
    if (member.compressedSize !== member.size) {
      fail(`stored member: ${member.compressedSize} bytes stored, ${member.size} declared`);
    }
    bytes = compressed;
  } else if (member.method === DEFLATE) {
    // Checked before allocating the declared size: deflate cannot expand more than ~1032:1.
    if (member.size > member.compressedSize * MAX_EXPANSION + 1024) {
      fail(
        `declares ${member.size} bytes, more than its ${member.compressedSize} deflated bytes can hold`,
      );
    }
    bytes = inflateBounded(compressed, member.size, fail);
  } else {
    return fail(`compression method ${member.method} is not supported (stored or deflate only)`);
  }
  if (crc32(bytes) !== member.crc) fail("CRC mismatch: the member is corrupt");
  return bytes;
}

/** Every `.npy` member of an `.npz` archive, by name without `.npy` (`x_train`, …). */
export function parseNpz(
  bytes: Uint8Array,
  file: string,
  options: NpzOptions = {},
): Record<string, NpyArray> {
  const zip = new ZipReader(bytes, file);
  const maxBytes = options.maxMemberBytes ?? 2 ** 31;
  const arrays: Record<string, NpyArray> = {};
  for (const member of readDirectory(zip)) {
    if (!member.name.endsWith(".npy")) continue;
    const key = member.name.slice(0, -4);
    arrays[key] = parseNpy(memberBytes(zip, member, maxBytes), `${file}:${member.name}`);
  }
  return arrays;
}
