/**
 * Crafts zips byte by byte, so each hostile case can break exactly one rule. Defaults make a valid
 * zip; every field can be overridden in the central entry, the local header, or both.
 */
import { deflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import { crc32 } from '../../../../src/lib/bundle/zip/crc32';
import { openZip, type ZipArchive } from '../../../../src/lib/bundle/zip/read';
import { BUNDLE_LIMITS, type ZipLimits } from '../../../../src/lib/bundle/zip/limits';
import { StoryLoomError } from '../../../../src/lib/domain/errors';

export interface Fields {
  name: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  extra: Uint8Array;
}

export interface RawEntry {
  name: string | Uint8Array;
  /** Uncompressed bytes; deflated when `method` is 8 (unless `stored` gives the bytes as stored). */
  content?: Uint8Array;
  /** The bytes written after the local header, as they are (already compressed, or lying). */
  stored?: Uint8Array;
  method?: number;
  flags?: number;
  /** Central overrides. */
  central?: Partial<Fields> & { offset?: number; madeBy?: number; external?: number; diskStart?: number };
  /** Local overrides. */
  local?: Partial<Fields>;
  /** Bytes written after the data (a data descriptor). */
  after?: Uint8Array;
  /** Write no local header and data; the central entry points at entry `sharesWith`'s offset. */
  sharesWith?: number;
  /** Mark these central values 0xFFFFFFFF and put the true ones in a ZIP64 extra field (before `central.extra`). */
  zip64Central?: readonly ('size' | 'compressedSize' | 'offset')[];
  /** Mark both local sizes 0xFFFFFFFF with a ZIP64 extra field holding these (default: the true sizes). */
  zip64Local?: { size: number; compressedSize: number } | true;
}

/** A ZIP64 end record and locator before the end record; every field can be made to lie. */
export interface Zip64End {
  entryCount?: number;
  entriesOnDisk?: number;
  cdSize?: number | bigint;
  cdOffset?: number | bigint;
  disk?: number;
  cdDisk?: number;
  /** The record's size field (44 without extensible data). */
  recordSize?: number;
  versionNeeded?: number;
  /** Bytes after the fixed record (extensible data). */
  extensible?: Uint8Array;
  /** Bytes between the central directory and the ZIP64 end record. */
  before?: Uint8Array;
  /** Where the locator says the record is (default: where it is). */
  pointsAt?: number;
  recordDisk?: number;
  disks?: number;
  /** The end record repeats the values that fit (Python's way) instead of marking all of them. */
  classicValues?: boolean;
}

export interface ZipOptions {
  comment?: Uint8Array;
  /** The comment length the end record claims. */
  commentLength?: number;
  /** The entry count the end record claims. */
  entryCount?: number;
  cdOffset?: number;
  cdSize?: number;
  disk?: number;
  /** Bytes between the central directory and the end record. */
  beforeEnd?: Uint8Array;
  /** Bytes after the end record (and its comment). */
  append?: Uint8Array;
  /** Bytes before the first entry. */
  prepend?: Uint8Array;
  zip64?: Zip64End;
}

const enc = new TextEncoder();

export function bytesOf(parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function le(width: 2 | 4, value: number): number[] {
  return width === 2 ? [value & 0xff, (value >>> 8) & 0xff] : [0, 8, 16, 24].map((s) => (value >>> s) & 0xff);
}

export const u16 = (v: number) => le(2, v);
export const u32 = (v: number) => le(4, v);
export const u64 = (v: number | bigint) => {
  const b = BigInt(v);
  return Array.from({ length: 8 }, (_, i) => Number((b >> BigInt(8 * i)) & 0xffn));
};

/** A ZIP64 extra field (id 1) holding `values` as 8-byte numbers. */
export const zip64Extra = (...values: (number | bigint)[]) =>
  bytesOf([u16(1), u16(8 * values.length), ...values.map(u64)]);

/** A ZIP64 data descriptor (after a local ZIP64 field), with its signature. */
export function descriptor64(crc: number, compressedSize: number, size: number): Uint8Array {
  return bytesOf([u32(0x08074b50), u32(crc), u64(compressedSize), u64(size)]);
}

export function deflate(content: Uint8Array): Uint8Array {
  return new Uint8Array(deflateRawSync(content));
}

/** A data descriptor, with its signature. */
export function descriptor(crc: number, compressedSize: number, size: number): Uint8Array {
  return bytesOf([u32(0x08074b50), u32(crc), u32(compressedSize), u32(size)]);
}

export function buildZip(entries: RawEntry[], options: ZipOptions = {}): Uint8Array {
  const body: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const offsets: number[] = [];
  let offset = options.prepend?.length ?? 0;
  if (options.prepend) body.push(options.prepend);
  for (const e of entries) {
    const name = typeof e.name === 'string' ? enc.encode(e.name) : e.name;
    const ascii = name.every((b) => b < 0x80);
    const content = e.content ?? new Uint8Array(0);
    const method = e.method ?? 0;
    const data = e.stored ?? (method === 8 ? deflate(content) : content);
    const base: Fields = {
      name,
      flags: e.flags ?? (ascii ? 0 : 0x0800),
      method,
      crc: crc32(content),
      compressedSize: data.length,
      size: content.length,
      extra: new Uint8Array(0),
    };
    const c = { ...base, ...e.central };
    const l = { ...base, ...e.local };
    let at = offset;
    if (e.sharesWith !== undefined) at = offsets[e.sharesWith]!;
    const centralOffset = e.central?.offset ?? at;
    const wide = e.zip64Central ?? [];
    if (wide.length) {
      const values = { size: c.size, compressedSize: c.compressedSize, offset: centralOffset };
      c.extra = bytesOf([
        zip64Extra(
          ...(['size', 'compressedSize', 'offset'] as const)
            .filter((k) => wide.includes(k))
            .map((k) => values[k]),
        ),
        c.extra,
      ]);
      if (wide.includes('size')) c.size = 0xffffffff;
      if (wide.includes('compressedSize')) c.compressedSize = 0xffffffff;
    }
    if (e.zip64Local) {
      const sizes = e.zip64Local === true ? { size: l.size, compressedSize: l.compressedSize } : e.zip64Local;
      l.extra = bytesOf([zip64Extra(sizes.size, sizes.compressedSize), l.extra]);
      l.size = l.compressedSize = 0xffffffff;
    }
    if (e.sharesWith === undefined) {
      const local = bytesOf([
        u32(0x04034b50),
        u16(20),
        u16(l.flags),
        u16(l.method),
        u16(0),
        u16(0x21),
        u32(l.crc),
        u32(l.compressedSize),
        u32(l.size),
        u16(l.name.length),
        u16(l.extra.length),
        l.name,
        l.extra,
        data,
        e.after ?? new Uint8Array(0),
      ]);
      body.push(local);
      offset += local.length;
    }
    offsets.push(at);
    central.push(
      bytesOf([
        u32(0x02014b50),
        u16(e.central?.madeBy ?? 20),
        u16(20),
        u16(c.flags),
        u16(c.method),
        u16(0),
        u16(0x21),
        u32(c.crc),
        u32(c.compressedSize),
        u32(c.size),
        u16(c.name.length),
        u16(c.extra.length),
        u16(0),
        u16(e.central?.diskStart ?? 0),
        u16(0),
        u32(e.central?.external ?? 0),
        u32(wide.includes('offset') ? 0xffffffff : centralOffset),
        c.name,
        c.extra,
      ]),
    );
  }
  const cd = bytesOf(central);
  const comment = options.comment ?? new Uint8Array(0);
  const z = options.zip64;
  const marks = z !== undefined && !z.classicValues;
  const count = options.entryCount ?? (marks ? 0xffff : entries.length);
  let zip64: Uint8Array = new Uint8Array(0);
  if (z) {
    const before = z.before ?? new Uint8Array(0);
    const extensible = z.extensible ?? new Uint8Array(0);
    const recordAt = offset + cd.length + before.length;
    const zCount = z.entryCount ?? entries.length;
    zip64 = bytesOf([
      before,
      u32(0x06064b50),
      u64(z.recordSize ?? 44 + extensible.length),
      u16((3 << 8) | 45),
      u16(z.versionNeeded ?? 45),
      u32(z.disk ?? 0),
      u32(z.cdDisk ?? 0),
      u64(z.entriesOnDisk ?? zCount),
      u64(zCount),
      u64(z.cdSize ?? cd.length),
      u64(z.cdOffset ?? offset),
      extensible,
      u32(0x07064b50),
      u32(z.recordDisk ?? 0),
      u64(z.pointsAt ?? recordAt),
      u32(z.disks ?? 1),
    ]);
  }
  const end = bytesOf([
    u32(0x06054b50),
    u16(options.disk ?? 0),
    u16(options.disk ?? 0),
    u16(count),
    u16(count),
    u32(options.cdSize ?? (marks ? 0xffffffff : cd.length)),
    u32(options.cdOffset ?? (marks ? 0xffffffff : offset)),
    u16(options.commentLength ?? comment.length),
    comment,
  ]);
  return bytesOf([
    ...body,
    cd,
    zip64,
    options.beforeEnd ?? new Uint8Array(0),
    end,
    options.append ?? new Uint8Array(0),
  ]);
}

/** A small valid PNG-like payload (the zip layer does not care what it is). */
export const PNG_BYTES = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82,
]);

export const FILE = 'story.storyloom';

export const open = (zip: Uint8Array | Blob, limits: ZipLimits = BUNDLE_LIMITS): Promise<ZipArchive> =>
  openZip(zip instanceof Blob ? zip : new Blob([zip as BlobPart]), limits, FILE);

/** Asserts the one-sentence refusal: it names the file, matches `pattern`, and is a StoryLoomError. */
export async function expectRefusal(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a refusal').toBeInstanceOf(StoryLoomError);
  const { code, message } = error as StoryLoomError;
  expect(code).toBe('unsupported-file');
  expect(message).toMatch(/^StoryLoom cannot read “story\.storyloom”: [^\n]+\.$/);
  expect(message).toMatch(pattern);
  return message;
}

export const refuses = (zip: Uint8Array, pattern: RegExp, limits?: ZipLimits) =>
  expectRefusal(open(zip, limits), pattern);

/** A valid two-entry bundle-like zip, the base most cases break. */
export function validEntries(): RawEntry[] {
  return [
    { name: 'mimetype', content: enc.encode('application/vnd.storyloom+zip') },
    {
      name: 'manifest.json',
      content: enc.encode(JSON.stringify({ title: 'A story', panels: [1, 2, 3] })),
      method: 8,
    },
  ];
}

export { enc };
