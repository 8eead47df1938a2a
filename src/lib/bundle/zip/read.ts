/**
 * A strict zip reader for files that are hostile until proven otherwise (story bundles, comic
 * archives). It reads only through `blob.slice(...).arrayBuffer()`, never the whole file, and checks
 * every structural property before it hands out a byte: one end record that ends the file (and, for
 * ZIP64, one ZIP64 end record and locator right before it that agree with it), one disk, a central
 * directory that parses exactly (ZIP64 extra fields holding exactly the values marked for them), local headers that agree with it, entries that
 * tile the file with no overlap and no hidden bytes, safe portable names, no encryption, stored or
 * deflate only, and the size, total and ratio limits. Reading an entry counts its output and stops
 * the moment it holds more than it declared, then checks its size and CRC-32.
 *
 * Every refusal is a StoryLoomError('unsupported-file') whose message is one sentence naming the
 * file, the entry (when there is one) and the rule or limit broken.
 */

import { StoryLoomError, isStoryLoomError } from '../../domain/errors';
import { crc32 } from './crc32';
import type { ZipLimits } from './limits';

export interface ZipEntry {
  /** The entry's name as written (UTF-8, NFC), e.g. `images/ab…cd.png`; folders end in `/`. */
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: 0 | 8;
  readonly crc32: number;
  readonly compressedSize: number;
  /** Uncompressed size, as declared; reading checks the entry holds exactly this many bytes. */
  readonly size: number;
  /** Where the local header starts. */
  readonly offset: number;
  /** Where the entry's (compressed) data starts. */
  readonly dataOffset: number;
  readonly directory: boolean;
}

export interface ZipArchive {
  /** The file's name as the refusals say it. */
  readonly name: string;
  /** In central-directory order. */
  readonly entries: readonly ZipEntry[];
  entry(name: string): ZipEntry | undefined;
  /** The entry's bytes, checked (size and CRC-32); refused when it declares more than `maxBytes`. */
  read(name: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** The entry's bytes as a stream; it errors with a refusal as soon as they break what was declared. */
  stream(name: string): ReadableStream<Uint8Array>;
}

// Record signatures and sizes (APPNOTE 6.3.10, sections 4.3.7, 4.3.12, 4.3.14–4.3.16).
const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const END_SIG = 0x06054b50;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const DESCRIPTOR_SIG = 0x08074b50;
const LOCAL_LEN = 30;
const CENTRAL_LEN = 46;
const END_LEN = 22;
/** A ZIP64 end record without extensible data (which StoryLoom does not read), and its locator. */
const ZIP64_END_LEN = 56;
const ZIP64_LOCATOR_LEN = 20;
const MAX_COMMENT = 0xffff;
/** The markers that say “the value is in a ZIP64 field”. */
const MARK16 = 0xffff;
const MARK32 = 0xffffffff;
/** The highest “version needed to extract” of a ZIP64 end record StoryLoom reads (4.5; 6.2 encrypts). */
const ZIP64_VERSION = 45;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const FLAG_MASKED_HEADERS = 0x2000;
// Deflate options (bits 1, 2), the data descriptor and UTF-8 names: everything else is refused.
const FLAGS_KNOWN = 0x0002 | 0x0004 | FLAG_DESCRIPTOR | FLAG_UTF8;

const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

/** Extra fields and comments a central entry may carry on average (timestamps, uid/gid: ~30). */
const CENTRAL_SLACK_PER_ENTRY = 1024;
/** How much of the file one read takes while checking local headers. */
const HEADER_WINDOW = 64 * 1024;
/** How much compressed data one read takes while streaming an entry. */
const READ_CHUNK = 64 * 1024;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  9: 'deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'XZ',
  98: 'PPMd',
};

const count = (n: number) => n.toLocaleString('en-US');
const entriesCount = (n: number) => `${count(n)} ${n === 1 ? 'entry' : 'entries'}`;

/** A size as it was found or declared: exact. */
const exact = (n: number) => `${count(n)} ${n === 1 ? 'byte' : 'bytes'}`;

/** A size limit as people read it: "64 MiB", "4 GiB", or exact bytes. */
function bytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (n >= size && n % size === 0) return `${count(n / size)} ${unit}`;
  return exact(n);
}

/** A hostile name made safe to show: control and bidi characters escaped, very long ones shortened. */
export function showName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `U+${hex}`;
  });
  const chars = Array.from(safe);
  return chars.length <= 80 ? safe : `${chars.slice(0, 56).join('')}…${chars.slice(-20).join('')}`;
}

/** Throws the one refusal type; `entry` names the entry the rule is about. */
function refusal(file: string, reason: string, entry?: string): StoryLoomError {
  const about = entry === undefined ? '' : `the entry “${showName(entry)}” `;
  return new StoryLoomError(
    'unsupported-file',
    `StoryLoom cannot read “${showName(file)}”: ${about}${reason}.`,
  );
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
/** Exact below 2^53; anything larger is larger than any file and is refused as such. */
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 0x1_0000_0000;

const lossy = new TextDecoder('utf-8');
const strict = new TextDecoder('utf-8', { fatal: true });

interface Central {
  name: string;
  nameBytes: Uint8Array;
  flags: number;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  directory: boolean;
}

/** Opens `blob` as a zip, checking all of its structure against `limits` before anything is read. */
export async function openZip(blob: Blob, limits: ZipLimits, name = 'the bundle'): Promise<ZipArchive> {
  const fail = (reason: string, entry?: string): never => {
    throw refusal(name, reason, entry);
  };

  async function at(start: number, length: number): Promise<Uint8Array> {
    let buffer: ArrayBuffer;
    try {
      buffer = await blob.slice(start, start + length).arrayBuffer();
    } catch (e) {
      throw new StoryLoomError(
        'unsupported-file',
        `StoryLoom cannot read “${showName(name)}”: the file could not be read (it may have been changed or removed).`,
        { cause: e },
      );
    }
    if (buffer.byteLength !== length) fail('the file changed while it was being read');
    return new Uint8Array(buffer);
  }

  const fileSize = blob.size;

  // 1. Is it a zip at all? A zip starts with an entry (or, when empty, with its end record).
  if (fileSize < END_LEN) fail(`it is ${exact(fileSize)}, too short to be a zip (at least 22 bytes)`);
  const head = u32(await at(0, 4), 0);
  if (head !== LOCAL_SIG && head !== END_SIG)
    fail('it is not a zip file (it does not start with a zip signature)');

  // 2. The end record: exactly one, in the last 64 KiB + 22 bytes, and its comment ends the file.
  const tailStart = Math.max(0, fileSize - (MAX_COMMENT + END_LEN));
  const tail = await at(tailStart, fileSize - tailStart);
  const candidates: number[] = [];
  for (let i = tail.length - END_LEN; i >= 0; i--) if (u32(tail, i) === END_SIG) candidates.push(i);
  if (candidates.length === 0)
    fail('it is cut short or damaged (its end-of-central-directory record is missing)');
  const ending = candidates.filter((i) => i + END_LEN + u16(tail, i + 20) === tail.length);
  if (ending.length === 0) {
    const last = candidates[0]!;
    fail(
      `its end record says its comment is ${exact(u16(tail, last + 20))}, but ${exact(tail.length - last - END_LEN)} follow it`,
    );
  }
  if (ending.length > 1) fail('it has more than one end-of-central-directory record');
  const e = ending[0]!;
  const endOffset = tailStart + e;
  const classic: EndValues = {
    disk: u16(tail, e + 4),
    cdDisk: u16(tail, e + 6),
    entriesOnDisk: u16(tail, e + 8),
    totalEntries: u16(tail, e + 10),
    cdSize: u32(tail, e + 12),
    cdOffset: u32(tail, e + 16),
  };

  // 3. ZIP64: a locator right before the end record, pointing at the ZIP64 end record right before
  // it, whose values the end record repeats or marks. A marker without them is refused.
  let hasLocator = false;
  if (endOffset >= ZIP64_LOCATOR_LEN) {
    const start = endOffset - ZIP64_LOCATOR_LEN;
    const sig = start >= tailStart ? tail.subarray(e - ZIP64_LOCATOR_LEN) : await at(start, 4);
    hasLocator = u32(sig, 0) === ZIP64_LOCATOR_SIG;
  }
  const zip64 = hasLocator ? await readZip64End(endOffset, classic, at, fail) : null;
  if (!zip64 && markedFields(classic).length)
    fail(
      `its end record marks its ${list(markedFields(classic))} as held in a ZIP64 end record (0xFFFF…), but it has none`,
    );
  const { disk, cdDisk, entriesOnDisk, totalEntries, cdSize, cdOffset } = zip64 ?? classic;
  // The central directory ends where the ZIP64 end record starts (or the end record, without one).
  const directoryEnd = zip64 ? endOffset - ZIP64_LOCATOR_LEN - ZIP64_END_LEN : endOffset;
  const endRecord = zip64 ? 'its ZIP64 end record' : 'its end record';
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== totalEntries)
    fail('it is split over several disks, which StoryLoom does not read');

  // 4. The central directory: inside the file, right before the end record, of a sane size.
  if (totalEntries > limits.maxEntries)
    fail(`it has ${count(totalEntries)} entries, more than the ${count(limits.maxEntries)} allowed`);
  if (cdOffset + cdSize > directoryEnd) {
    fail(
      cdOffset + cdSize > fileSize
        ? `its central directory (at byte ${count(cdOffset)}, ${exact(cdSize)}) lies outside the file of ${exact(fileSize)}`
        : `its central directory overlaps ${endRecord}`,
    );
  }
  for (const c of candidates)
    if (tailStart + c !== endOffset && tailStart + c >= cdOffset)
      fail('it has more than one end-of-central-directory record');
  if (cdOffset + cdSize < directoryEnd)
    fail(
      `${exact(directoryEnd - cdOffset - cdSize)} between its central directory and ${endRecord} belong to nothing`,
    );
  const cdLimit = totalEntries * (CENTRAL_LEN + limits.maxNameBytes + CENTRAL_SLACK_PER_ENTRY);
  if (cdSize > cdLimit)
    fail(`its central directory is ${exact(cdSize)}, more than its ${entriesCount(totalEntries)} can need`);

  // 5. Every central entry: its name, flags, method and sizes.
  const cd = await at(cdOffset, cdSize);
  const centrals: Central[] = [];
  const seen = new Map<string, string>(); // NFC, lower-cased name → the name first seen
  let total = 0;
  let p = 0;
  while (p < cd.length) {
    if (centrals.length === totalEntries)
      fail(`its end record says it has ${entriesCount(totalEntries)}, but its central directory holds more`);
    if (p + CENTRAL_LEN > cd.length || u32(cd, p) !== CENTRAL_SIG)
      fail(`its central directory is damaged after ${entriesCount(centrals.length)}`);
    const nameLen = u16(cd, p + 28);
    const extraLen = u16(cd, p + 30);
    const commentLen = u16(cd, p + 32);
    const next = p + CENTRAL_LEN + nameLen + extraLen + commentLen;
    if (next > cd.length) fail(`its central directory is damaged after ${entriesCount(centrals.length)}`);
    const nameBytes = cd.slice(p + CENTRAL_LEN, p + CENTRAL_LEN + nameLen);
    const flags = u16(cd, p + 8);
    const entryName = decodeName(nameBytes, flags, limits, fail);
    // Duplicates first: “é” twice (NFC and NFD) is best told as a duplicate.
    checkDuplicate(entryName, seen, fail);
    checkPath(entryName, limits, fail);
    const extra = cd.subarray(p + CENTRAL_LEN + nameLen, p + CENTRAL_LEN + nameLen + extraLen);
    const central = checkCentral(cd, p, entryName, nameBytes, extra, limits, fileSize, cdOffset, fail);
    total += central.size;
    if (total > limits.maxTotalBytes)
      fail(`its entries hold more than ${bytes(limits.maxTotalBytes)} in all, the most allowed`);
    centrals.push(central);
    p = next;
  }
  if (centrals.length !== totalEntries)
    fail(
      `its end record says it has ${entriesCount(totalEntries)}, but its central directory holds ${count(centrals.length)}`,
    );
  checkFoldersAreNotFiles(centrals, fail);

  // 6. Local headers: each agrees with its central entry, and together they tile the file from
  // byte 0 to the central directory. No gap hides data; no overlap (the zip bomb's trick) is allowed.
  // Headers are read through a window: many small entries share one read instead of two each.
  let window: Uint8Array = new Uint8Array(0);
  let windowStart = 0;
  async function near(start: number, length: number): Promise<Uint8Array> {
    if (start < windowStart || start + length > windowStart + window.length) {
      windowStart = start;
      window = await at(start, Math.min(Math.max(length, HEADER_WINDOW), cdOffset - start));
    }
    return window.subarray(start - windowStart, start - windowStart + length);
  }
  const byOffset = [...centrals].sort((a, b) => a.offset - b.offset);
  const dataOffsets = new Map<Central, number>();
  let expected = 0;
  let previous: Central | undefined;
  for (const c of byOffset) {
    if (c.offset < expected) fail(`overlaps the data of the entry “${showName(previous!.name)}”`, c.name);
    if (c.offset > expected) {
      fail(
        previous
          ? `${exact(c.offset - expected)} between the entries “${showName(previous.name)}” and “${showName(c.name)}” belong to no entry`
          : `${exact(c.offset)} before its first entry belong to no entry`,
      );
    }
    const { dataOffset, end } = await checkLocal(c, near, cdOffset, fail);
    dataOffsets.set(c, dataOffset);
    expected = end;
    previous = c;
  }
  if (expected !== cdOffset) {
    fail(
      previous
        ? `${exact(cdOffset - expected)} between the entry “${showName(previous.name)}” and the central directory belong to no entry`
        : `${exact(cdOffset)} before its central directory belong to no entry`,
    );
  }

  const entries: ZipEntry[] = centrals.map((c) =>
    Object.freeze({
      name: c.name,
      method: c.method,
      crc32: c.crc,
      compressedSize: c.compressedSize,
      size: c.size,
      offset: c.offset,
      dataOffset: dataOffsets.get(c)!,
      directory: c.directory,
    }),
  );
  const byName = new Map(entries.map((entry) => [entry.name, entry]));

  const need = (entryName: string): ZipEntry =>
    byName.get(entryName) ?? fail(`it has no entry “${showName(entryName)}”`);

  /** The entry's compressed bytes, read in slices as they are pulled. */
  function raw(entry: ZipEntry): ReadableStream<Uint8Array> {
    let position = entry.dataOffset;
    const end = entry.dataOffset + entry.compressedSize;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (position >= end) return controller.close();
          const length = Math.min(READ_CHUNK, end - position);
          const chunk = await at(position, length);
          position += length;
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
  }

  function stream(entryName: string): ReadableStream<Uint8Array> {
    const entry = need(entryName);
    const source = raw(entry);
    const decoded =
      entry.method === 8
        ? source.pipeThrough(
            new DecompressionStream('deflate-raw') as ReadableWritablePair<Uint8Array, Uint8Array>,
          )
        : source;
    const reader = decoded.getReader();
    let held = 0;
    let crc = 0;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (error) {
            if (isStoryLoomError(error)) throw error;
            throw refusal(name, 'has damaged compressed data', entry.name);
          }
          if (result.done) {
            if (held !== entry.size)
              fail(`says ${exact(entry.size)} but holds only ${exact(held)}`, entry.name);
            if (crc !== entry.crc32) fail('is damaged (its CRC-32 does not match its bytes)', entry.name);
            return controller.close();
          }
          held += result.value.length;
          if (held > entry.size) {
            await reader.cancel().catch(() => undefined);
            fail(`says ${exact(entry.size)} but holds more`, entry.name);
          }
          crc = crc32(result.value, crc);
          controller.enqueue(result.value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  async function read(entryName: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const entry = need(entryName);
    if (options.maxBytes !== undefined && entry.size > options.maxBytes)
      fail(`is ${exact(entry.size)}, more than the ${bytes(options.maxBytes)} allowed for it`, entry.name);
    const out = new Uint8Array(entry.size);
    const reader = stream(entryName).getReader();
    let filled = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return out;
      out.set(value, filled);
      filled += value.length;
    }
  }

  return Object.freeze({
    name,
    entries: Object.freeze(entries),
    entry: (entryName: string) => byName.get(entryName),
    read,
    stream,
  });
}

export type Fail = (reason: string, entry?: string) => never;

/** The values of an end record (classic or ZIP64). */
interface EndValues {
  disk: number;
  cdDisk: number;
  entriesOnDisk: number;
  totalEntries: number;
  cdSize: number;
  cdOffset: number;
}

const END_FIELDS: { key: keyof EndValues; what: string; marker: number }[] = [
  { key: 'disk', what: 'disk number', marker: MARK16 },
  { key: 'cdDisk', what: 'central directory’s disk', marker: MARK16 },
  { key: 'entriesOnDisk', what: 'number of entries on this disk', marker: MARK16 },
  { key: 'totalEntries', what: 'total number of entries', marker: MARK16 },
  { key: 'cdSize', what: 'central directory size', marker: MARK32 },
  { key: 'cdOffset', what: 'central directory offset', marker: MARK32 },
];

const markedFields = (end: EndValues) => END_FIELDS.filter((f) => end[f.key] === f.marker).map((f) => f.what);

/** “a”, “a and b”, “a, b and c”. */
function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The ZIP64 end record (APPNOTE 4.3.14) its locator (4.3.15) points at: right before the locator,
 * with no extensible data, on disk 0 of 1, and agreeing with every value of the classic end record
 * that is not a marker.
 */
async function readZip64End(
  endOffset: number,
  classic: EndValues,
  at: (start: number, length: number) => Promise<Uint8Array>,
  fail: Fail,
): Promise<EndValues> {
  const locatorOffset = endOffset - ZIP64_LOCATOR_LEN;
  const locator = await at(locatorOffset, ZIP64_LOCATOR_LEN);
  const recordDisk = u32(locator, 4);
  const recordOffset = u64(locator, 8);
  const disks = u32(locator, 16);
  if (recordDisk !== 0 || disks > 1) fail('it is split over several disks, which StoryLoom does not read');
  const expected = locatorOffset - ZIP64_END_LEN;
  if (expected < 0) fail('its ZIP64 end-record locator has no ZIP64 end record before it');
  if (recordOffset !== expected)
    fail(
      `its ZIP64 end-record locator points at byte ${count(recordOffset)}, not at the ZIP64 end record right before it (byte ${count(expected)})`,
    );
  const r = await at(expected, ZIP64_END_LEN);
  if (u32(r, 0) !== ZIP64_END_SIG)
    fail(`its ZIP64 end-record locator points at byte ${count(expected)}, where no ZIP64 end record is`);
  const recordSize = u64(r, 4);
  if (recordSize !== ZIP64_END_LEN - 12)
    fail(
      `its ZIP64 end record says it is ${exact(recordSize + 12)}, not the ${ZIP64_END_LEN} bytes of one without extensible data`,
    );
  const needed = u16(r, 14) & 0xff;
  if (needed > ZIP64_VERSION)
    fail(
      `its ZIP64 end record needs zip version ${needed / 10}, and StoryLoom reads up to ${ZIP64_VERSION / 10}`,
    );
  const zip64: EndValues = {
    disk: u32(r, 16),
    cdDisk: u32(r, 20),
    entriesOnDisk: u64(r, 24),
    totalEntries: u64(r, 32),
    cdSize: u64(r, 40),
    cdOffset: u64(r, 48),
  };
  for (const { key, what, marker } of END_FIELDS)
    if (classic[key] !== marker && classic[key] !== zip64[key])
      fail(
        `its end record and its ZIP64 end record disagree on the ${what} (${count(classic[key])} and ${count(zip64[key])})`,
      );
  return zip64;
}

/** The extra fields, parsed exactly; returns the ZIP64 one's data. A second name is refused. */
function extraFields(extra: Uint8Array, name: string, fail: Fail): Uint8Array | undefined {
  let zip64: Uint8Array | undefined;
  let q = 0;
  while (q < extra.length) {
    if (q + 4 > extra.length) fail('has a damaged extra field', name);
    const id = u16(extra, q);
    const length = u16(extra, q + 2);
    if (q + 4 + length > extra.length) fail('has a damaged extra field', name);
    if (id === EXTRA_ZIP64) {
      if (zip64) fail('has two ZIP64 extra fields', name);
      zip64 = extra.subarray(q + 4, q + 4 + length);
    }
    if (id === EXTRA_UNICODE_PATH)
      fail('carries a second name (a Unicode path field), which tools disagree on', name);
    q += 4 + length;
  }
  return zip64;
}

interface Zip64Field {
  what: string;
  marked: boolean;
  width: 4 | 8;
}

/**
 * The values of a ZIP64 extra field (APPNOTE 4.5.3): exactly those whose header field is marked
 * (0xFFFFFFFF, or 0xFFFF for the disk), in the order of `fields`, and nothing else.
 */
function zip64Values(
  data: Uint8Array | undefined,
  fields: Zip64Field[],
  where: string,
  name: string,
  fail: Fail,
): (number | undefined)[] {
  const marked = fields.filter((f) => f.marked);
  const want = marked.reduce((n, f) => n + f.width, 0);
  const what = list(marked.map((f) => f.what));
  if (!data) {
    if (marked.length)
      fail(`marks its ${what} as ZIP64 (0xFFFF…) in its ${where}, but has no ZIP64 extra field there`, name);
    return fields.map(() => undefined);
  }
  if (!marked.length)
    fail(`has a ZIP64 extra field in its ${where}, but no value there is marked for it (0xFFFF…)`, name);
  if (data.length !== want)
    fail(
      `has a ZIP64 extra field of ${exact(data.length)} in its ${where}, but the values marked for it (${what}) need ${exact(want)}`,
      name,
    );
  let q = 0;
  return fields.map((f) => {
    if (!f.marked) return undefined;
    const value = f.width === 8 ? u64(data, q) : u32(data, q);
    q += f.width;
    return value;
  });
}

/** The name's bytes, decoded: UTF-8 under the flag, ASCII without it. */
function decodeName(raw: Uint8Array, flags: number, limits: ZipLimits, fail: Fail): string {
  const shown = lossy.decode(raw);
  if (raw.length === 0) fail('it has an entry with an empty name');
  if (raw.length > limits.maxNameBytes)
    fail(`has a name of ${exact(raw.length)}, longer than the ${bytes(limits.maxNameBytes)} allowed`, shown);
  let name = '';
  if (flags & FLAG_UTF8) {
    try {
      name = strict.decode(raw);
    } catch {
      fail('has a name that is not valid UTF-8', shown);
    }
  } else {
    // Without the UTF-8 flag the bytes mean CP437 to some tools and the system code page to others:
    // only ASCII means the same to all of them.
    if (raw.some((b) => b > 0x7f)) fail('has a name that is neither ASCII nor marked as UTF-8', shown);
    name = shown;
  }
  return name;
}

/**
 * The decoded name holds to the portable-path rules (the writer uses them too, so it never writes
 * what the reader refuses). `fail` gets a reason that follows “the entry … ”.
 */
export function checkPath(name: string, limits: ZipLimits, fail: Fail): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) fail('has a control character in its name', name);
  if (/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name))
    fail('has a text-direction character in its name', name);
  if (name.normalize('NFC') !== name) fail('has a name that is not in Unicode normal form NFC', name);
  if (name.startsWith('/')) fail('has an absolute path', name);
  if (/^[A-Za-z]:/.test(name)) fail('starts with a drive letter', name);
  if (name.includes('\\')) fail('has a backslash in its name (zip paths use “/”)', name);
  if (name.includes(':')) fail('has a colon in its name, which Windows reads as a stream name', name);
  const directory = name.endsWith('/');
  if (directory && !limits.allowDirectories)
    fail('is a folder entry, and this file may hold files only', name);
  const segments = (directory ? name.slice(0, -1) : name).split('/');
  for (const segment of segments) {
    if (segment === '') fail('has an empty path segment (“//”)', name);
    if (segment === '.' || segment === '..') fail(`has a “${segment}” path segment`, name);
  }
}

/** Two names that a file system may take for one (equal, equal after NFC, or equal ignoring case). */
function checkDuplicate(name: string, seen: Map<string, string>, fail: Fail): void {
  const key = name.normalize('NFC').toLowerCase();
  const first = seen.get(key);
  if (first === undefined) return void seen.set(key, name);
  if (first === name) fail('appears twice', name);
  fail(`has the same name as the entry “${showName(first)}” on some systems`, name);
}

/** The fixed fields of a central entry. */
function checkCentral(
  cd: Uint8Array,
  p: number,
  name: string,
  nameBytes: Uint8Array,
  extra: Uint8Array,
  limits: ZipLimits,
  fileSize: number,
  cdOffset: number,
  fail: Fail,
): Central {
  const madeBy = u16(cd, p + 4);
  const flags = u16(cd, p + 8);
  const method = u16(cd, p + 10);
  const crc = u32(cd, p + 16);
  const compressedSize32 = u32(cd, p + 20);
  const size32 = u32(cd, p + 24);
  const diskStart16 = u16(cd, p + 34);
  const external = u32(cd, p + 38);
  const offset32 = u32(cd, p + 42);
  const directory = name.endsWith('/');

  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS) || method === 99)
    fail('is encrypted, and StoryLoom does not read encrypted files', name);
  if (flags & ~FLAGS_KNOWN)
    fail(
      `uses general-purpose flags 0x${(flags & ~FLAGS_KNOWN).toString(16)}, which StoryLoom does not read`,
      name,
    );
  if (method !== 0 && method !== 8) {
    const known = METHOD_NAMES[method] ? ` (${METHOD_NAMES[method]})` : '';
    fail(`uses compression method ${method}${known}; StoryLoom reads only stored (0) and deflate (8)`, name);
  }
  const [size = size32, compressedSize = compressedSize32, offset = offset32, diskStart = diskStart16] =
    zip64Values(
      extraFields(extra, name, fail),
      [
        { what: 'size', marked: size32 === MARK32, width: 8 },
        { what: 'compressed size', marked: compressedSize32 === MARK32, width: 8 },
        { what: 'offset', marked: offset32 === MARK32, width: 8 },
        { what: 'disk', marked: diskStart16 === MARK16, width: 4 },
      ],
      'central header',
      name,
      fail,
    );
  if (diskStart !== 0) fail('is on another disk, which StoryLoom does not read', name);
  // A Unix symbolic link (host 3, S_IFLNK in the high bits of the external attributes) points outside.
  if (madeBy >> 8 === 3 && ((external >>> 16) & 0o170000) === 0o120000)
    fail('is a symbolic link, and StoryLoom follows no reference outside the file', name);
  if (directory && (size !== 0 || compressedSize !== 0)) fail('is a folder entry that holds data', name);
  if (method === 0 && compressedSize !== size)
    fail(`is stored uncompressed but says ${exact(compressedSize)} stored for ${exact(size)}`, name);
  if (size > limits.maxEntryBytes)
    fail(
      `is ${exact(size)} uncompressed, more than the ${bytes(limits.maxEntryBytes)} allowed for one entry`,
      name,
    );
  if (compressedSize > fileSize)
    fail(`says its data is ${exact(compressedSize)}, more than the whole file (${exact(fileSize)})`, name);
  if (size > limits.ratioFloorBytes && size > compressedSize * limits.maxRatio) {
    const ratio =
      compressedSize === 0 ? 'without limit' : `${count(Math.floor(size / compressedSize))} times`;
    fail(
      `expands ${ratio} (${exact(compressedSize)} to ${exact(size)}), more than the ${count(limits.maxRatio)} times allowed`,
      name,
    );
  }
  if (offset >= cdOffset) fail('says its data lies inside or after the central directory', name);
  return {
    name,
    nameBytes,
    flags,
    method: method as 0 | 8,
    crc,
    compressedSize,
    size,
    offset,
    directory,
  };
}

/** A name used as a file must not also be a folder of another entry (`a` and `a/b`). */
function checkFoldersAreNotFiles(centrals: Central[], fail: Fail): void {
  const files = new Set(centrals.filter((c) => !c.directory).map((c) => c.name.toLowerCase()));
  for (const c of centrals) {
    const parts = c.name.toLowerCase().split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (files.has(folder)) fail(`lies inside “${showName(folder)}”, which is also a file`, c.name);
    }
  }
}

/** The local header agrees with the central entry; returns where the data starts and the entry ends. */
async function checkLocal(
  c: Central,
  at: (start: number, length: number) => Promise<Uint8Array>,
  cdOffset: number,
  fail: Fail,
): Promise<{ dataOffset: number; end: number }> {
  if (c.offset + LOCAL_LEN + c.nameBytes.length > cdOffset)
    fail('has a local header that runs into the central directory', c.name);
  let local = await at(c.offset, LOCAL_LEN + c.nameBytes.length);
  if (u32(local, 0) !== LOCAL_SIG) fail('has no local header where the central directory says', c.name);
  const nameLen = u16(local, 26);
  const extraLen = u16(local, 28);
  const dataOffset = c.offset + LOCAL_LEN + nameLen + extraLen;
  if (dataOffset > cdOffset) fail('has a local header that runs into the central directory', c.name);
  local = await at(c.offset, LOCAL_LEN + nameLen + extraLen);
  const localName = local.subarray(LOCAL_LEN, LOCAL_LEN + nameLen);
  if (nameLen !== c.nameBytes.length || localName.some((b, i) => b !== c.nameBytes[i]))
    fail(`has a different name in its local header (“${showName(lossy.decode(localName))}”)`, c.name);
  if (u16(local, 6) !== c.flags)
    fail('has different flags in its local header and its central entry', c.name);
  if (u16(local, 8) !== c.method)
    fail('has a different compression method in its local header and its central entry', c.name);
  const localZip64 = extraFields(
    local.subarray(LOCAL_LEN + nameLen, LOCAL_LEN + nameLen + extraLen),
    c.name,
    fail,
  );
  const localCrc = u32(local, 14);
  const compressed32 = u32(local, 18);
  const size32 = u32(local, 22);
  // A local ZIP64 field holds both sizes (APPNOTE 4.5.3), both marked; it also makes the descriptor 64-bit.
  const zip64 = compressed32 === MARK32 && size32 === MARK32;
  if (!zip64 && (compressed32 === MARK32 || size32 === MARK32))
    fail('marks only one of its sizes as ZIP64 in its local header (a local ZIP64 field holds both)', c.name);
  const [localSize = size32, localCompressed = compressed32] = zip64Values(
    localZip64,
    [
      { what: 'size', marked: zip64, width: 8 },
      { what: 'compressed size', marked: zip64, width: 8 },
    ],
    'local header',
    c.name,
    fail,
  );
  const descriptor = (c.flags & FLAG_DESCRIPTOR) !== 0;
  // With a data descriptor the local header may leave CRC and sizes zero; anything else must agree.
  const zeroed = descriptor && localCrc === 0 && localCompressed === 0 && localSize === 0;
  if (!zeroed && (localCompressed !== c.compressedSize || localSize !== c.size))
    fail(
      `says ${exact(localSize)} (${exact(localCompressed)} compressed) in its local header but ${exact(c.size)} (${exact(c.compressedSize)} compressed) in the central directory`,
      c.name,
    );
  if (!zeroed && localCrc !== c.crc)
    fail('has a different CRC-32 in its local header and its central entry', c.name);

  let end = dataOffset + c.compressedSize;
  if (end > cdOffset) fail('has data that runs into the central directory', c.name);
  if (descriptor) {
    // After a local ZIP64 field the descriptor's sizes are 8 bytes each (APPNOTE 4.3.9.2).
    const width = zip64 ? 8 : 4;
    const length = 4 + 2 * width;
    const d = await at(end, Math.min(4 + length, cdOffset - end));
    const read = width === 8 ? u64 : u32;
    const matches = (from: number) =>
      d.length >= from + length &&
      u32(d, from) === c.crc &&
      read(d, from + 4) === c.compressedSize &&
      read(d, from + 4 + width) === c.size;
    if (d.length >= 4 && u32(d, 0) === DESCRIPTOR_SIG && matches(4)) end += 4 + length;
    else if (matches(0)) end += length;
    else fail('has a data descriptor that does not match its central entry', c.name);
  }
  return { dataOffset, end };
}
