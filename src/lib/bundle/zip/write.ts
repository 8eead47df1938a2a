/**
 * A streaming zip writer: entries go to `sink` as they are made, so memory holds one slice of
 * input (and, for an in-memory entry, its compressed copy), never the archive.
 *
 * How sizes are written, so that strict readers (ours included) and standard tools accept them:
 * - Uint8Array: CRC-32 and sizes are known before the local header is written (the input is in
 *   memory; a compressed copy is made first). No data descriptor.
 * - Blob, stored: one pass over its slices computes the CRC-32, a second writes them; the second
 *   pass checks the CRC again (a File changed in between is an error, not a silently broken archive).
 *   No data descriptor.
 * - Blob to compress, and every ReadableStream: the compressed size is known only at the end, so
 *   the local header says zero and a data descriptor (flag bit 3, with its signature) follows.
 * Names are flagged UTF-8 (bit 11) and held to the reader's path rules (no `..`, `\`, control
 * characters, non-NFC; unique ignoring case), so it never writes what the reader refuses. Times
 * are fixed at 1980-01-01 00:00 so the same story gives the same bytes. After any error the bytes
 * already sent are not a zip.
 *
 * ZIP64 (APPNOTE 6.3.10, 4.3.14–4.3.15, 4.5.3) is written only where a value does not fit, so a
 * small archive is byte for byte what it was before ZIP64 was added:
 * - a central header whose size, compressed size or offset is 0xFFFFFFFF or more writes 0xFFFFFFFF
 *   there and the true values in a ZIP64 extra field, exactly the marked ones, in APPNOTE order;
 * - a local header whose sizes may not fit (a Blob of about 4 GiB) writes 0xFFFFFFFF for both and a
 *   ZIP64 extra field with both (zero when a data descriptor follows, which is then the 24-byte
 *   ZIP64 one), as Python's zipfile does;
 * - an archive of 65,535 entries or more, or whose central directory ends past 4 GiB, gets a ZIP64
 *   end record and its locator, and the classic end record says 0xFFFF / 0xFFFFFFFF in every count,
 *   size and offset (the ZIP64 record holds them all).
 * A ReadableStream of unknown length is written without ZIP64 and may not reach 4 GiB.
 */

import { StoryLoomError } from '../../domain/errors';
import { crc32 } from './crc32';
import { BUNDLE_LIMITS } from './limits';
import { checkPath, showName } from './read';

export interface ZipWriterOptions {
  /** Tests only: write every ZIP64 structure even where the values fit (the path of a 4 GiB archive). */
  forceZip64?: boolean;
}

export interface ZipWriter {
  /** Appends one entry; entries are added one at a time (await each). */
  add(
    name: string,
    data: Uint8Array | Blob | ReadableStream<Uint8Array>,
    options: { compress: boolean },
  ): Promise<void>;
  /** Writes the central directory and the end record; nothing can be added after. */
  close(): Promise<void>;
  /** Bytes handed to the sink so far. */
  readonly bytesWritten: number;
  /** The most input bytes held at once while writing (a slice), for tests of bounded memory. */
  readonly maxBufferedBytes: number;
}

const SLICE = 1024 * 1024;
const LIMIT32 = 0xffffffff; // 0xffffffff itself means "see ZIP64"
const COUNT16 = 0xffff; // likewise for the entry counts of the end record
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION = 20; // 2.0: deflate, folders
const VERSION_ZIP64 = 45; // 4.5: ZIP64
const UNIX = 3 << 8; // made by Unix, so the mode below is read
const EXTRA_ZIP64 = 0x0001;
const FILE_MODE = 0o100644 << 16;
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME = 0;

interface Written {
  nameBytes: Uint8Array;
  flags: number;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  /** The local header carries a ZIP64 extra field (and the data descriptor is the ZIP64 one). */
  zip64Local: boolean;
}

const encoder = new TextEncoder();

function tooLarge(what: string): never {
  throw new StoryLoomError('file-too-large', `The archive cannot be written: ${what}.`);
}

/** Little-endian 64-bit, exact for every size a file can have (below 2^53). */
function setU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, n % 0x1_0000_0000, true);
  v.setUint32(at + 4, Math.floor(n / 0x1_0000_0000), true);
}

/** zlib's deflateBound: the most bytes deflate can make of `n` (incompressible input grows a little). */
const deflateBound = (n: number) => n + Math.ceil(n / 4096) + Math.ceil(n / 16_384) + 64;

/** Slices of `blob`, read one at a time as they are pulled. */
function slices(blob: Blob, onSlice: (length: number) => void): ReadableStream<Uint8Array> {
  let position = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (position >= blob.size) return controller.close();
        const end = Math.min(blob.size, position + SLICE);
        const chunk = new Uint8Array(await blob.slice(position, end).arrayBuffer());
        onSlice(chunk.length);
        position = end;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
}

async function each(stream: ReadableStream<Uint8Array>, use: (chunk: Uint8Array) => Promise<void> | void) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    await use(value);
  }
}

const deflateRaw = () => new CompressionStream('deflate-raw') as ReadableWritablePair<Uint8Array, Uint8Array>;

export function createZipWriter(
  sink: (chunk: Uint8Array) => Promise<void>,
  options: ZipWriterOptions = {},
): ZipWriter {
  const force = options.forceZip64 === true;
  /** A value that must go to a ZIP64 field (0xFFFFFFFF itself is the marker). */
  const wide = (n: number) => force || n >= LIMIT32;
  const written: Written[] = [];
  const names = new Set<string>();
  let offset = 0;
  let busy = false;
  let closed = false;
  let maxBuffered = 0;

  async function emit(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    await sink(chunk);
    offset += chunk.length;
  }

  const held = (length: number) => {
    maxBuffered = Math.max(maxBuffered, length);
  };

  function localHeader(e: Written): Uint8Array {
    const extraLength = e.zip64Local ? 20 : 0;
    const h = new Uint8Array(30 + e.nameBytes.length + extraLength);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, e.zip64Local ? VERSION_ZIP64 : VERSION, true);
    v.setUint16(6, e.flags, true);
    v.setUint16(8, e.method, true);
    v.setUint16(10, DOS_TIME, true);
    v.setUint16(12, DOS_DATE, true);
    const deferred = (e.flags & FLAG_DESCRIPTOR) !== 0;
    const compressedSize = deferred ? 0 : e.compressedSize;
    const size = deferred ? 0 : e.size;
    v.setUint32(14, deferred ? 0 : e.crc, true);
    v.setUint32(18, e.zip64Local ? LIMIT32 : compressedSize, true);
    v.setUint32(22, e.zip64Local ? LIMIT32 : size, true);
    v.setUint16(26, e.nameBytes.length, true);
    v.setUint16(28, extraLength, true);
    h.set(e.nameBytes, 30);
    if (e.zip64Local) {
      // A local ZIP64 field holds both sizes, the original one first (APPNOTE 4.5.3).
      const at = 30 + e.nameBytes.length;
      v.setUint16(at, EXTRA_ZIP64, true);
      v.setUint16(at + 2, 16, true);
      setU64(v, at + 4, size);
      setU64(v, at + 12, compressedSize);
    }
    return h;
  }

  function descriptor(e: Written): Uint8Array {
    const d = new Uint8Array(e.zip64Local ? 24 : 16);
    const v = new DataView(d.buffer);
    v.setUint32(0, 0x08074b50, true);
    v.setUint32(4, e.crc, true);
    if (e.zip64Local) {
      setU64(v, 8, e.compressedSize);
      setU64(v, 16, e.size);
    } else {
      v.setUint32(8, e.compressedSize, true);
      v.setUint32(12, e.size, true);
    }
    return d;
  }

  function centralHeader(e: Written): Uint8Array {
    // The ZIP64 field holds exactly the values marked 0xFFFFFFFF, in this order (APPNOTE 4.5.3).
    const zip64 = [e.size, e.compressedSize, e.offset].filter(wide);
    const extraLength = zip64.length ? 4 + 8 * zip64.length : 0;
    const version = zip64.length || e.zip64Local ? VERSION_ZIP64 : VERSION;
    const h = new Uint8Array(46 + e.nameBytes.length + extraLength);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, UNIX | version, true);
    v.setUint16(6, version, true);
    v.setUint16(8, e.flags, true);
    v.setUint16(10, e.method, true);
    v.setUint16(12, DOS_TIME, true);
    v.setUint16(14, DOS_DATE, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, wide(e.compressedSize) ? LIMIT32 : e.compressedSize, true);
    v.setUint32(24, wide(e.size) ? LIMIT32 : e.size, true);
    v.setUint16(28, e.nameBytes.length, true);
    v.setUint16(30, extraLength, true);
    // comment, disk start, internal attributes: 0
    v.setUint32(38, FILE_MODE, true);
    v.setUint32(42, wide(e.offset) ? LIMIT32 : e.offset, true);
    h.set(e.nameBytes, 46);
    if (zip64.length) {
      const at = 46 + e.nameBytes.length;
      v.setUint16(at, EXTRA_ZIP64, true);
      v.setUint16(at + 2, 8 * zip64.length, true);
      zip64.forEach((n, i) => setU64(v, at + 4 + 8 * i, n));
    }
    return h;
  }

  /** The ZIP64 end record (APPNOTE 4.3.14, no extensible data) and its locator (4.3.15). */
  function zip64End(count: number, cdSize: number, cdOffset: number, recordOffset: number): Uint8Array {
    const r = new Uint8Array(56 + 20);
    const v = new DataView(r.buffer);
    v.setUint32(0, 0x06064b50, true);
    setU64(v, 4, 44); // the size of what follows this field
    v.setUint16(12, UNIX | VERSION_ZIP64, true);
    v.setUint16(14, VERSION_ZIP64, true);
    // this disk, the central directory's disk: 0
    setU64(v, 24, count);
    setU64(v, 32, count);
    setU64(v, 40, cdSize);
    setU64(v, 48, cdOffset);
    v.setUint32(56, 0x07064b50, true);
    // the record's disk: 0
    setU64(v, 64, recordOffset);
    v.setUint32(72, 1, true); // one disk in all
    return r;
  }

  async function addBytes(e: Written, data: Uint8Array, compress: boolean): Promise<void> {
    e.crc = crc32(data);
    e.size = data.length;
    let parts: Uint8Array[] = [data];
    if (compress && data.length > 0) {
      const compressed: Uint8Array[] = [];
      await each(
        new Blob([data as BlobPart]).stream().pipeThrough(deflateRaw()),
        (c) => void compressed.push(c),
      );
      const length = compressed.reduce((n, c) => n + c.length, 0);
      // Deflate that saves nothing (an image) is stored instead: cheaper to read, same bytes out.
      if (length < data.length) {
        e.method = 8;
        parts = compressed;
      }
    }
    e.compressedSize = parts.reduce((n, c) => n + c.length, 0);
    e.zip64Local = wide(e.size) || wide(e.compressedSize);
    held(data.length + (e.method === 8 ? e.compressedSize : 0));
    await emit(localHeader(e));
    for (const part of parts) await emit(part);
  }

  async function addStoredBlob(e: Written, blob: Blob): Promise<void> {
    let crc = 0;
    await each(slices(blob, held), (c) => void (crc = crc32(c, crc)));
    e.crc = crc;
    e.size = e.compressedSize = blob.size;
    e.zip64Local = wide(blob.size);
    await emit(localHeader(e));
    let again = 0;
    await each(slices(blob, held), async (c) => {
      again = crc32(c, again);
      await emit(c);
    });
    if (again !== crc)
      throw new StoryLoomError(
        'storage-failed',
        `The file for “${decode(e.nameBytes)}” changed while it was written.`,
      );
  }

  /** `length` is the input's size when known (a Blob): it decides ZIP64 before the header is written. */
  async function addStreamed(
    e: Written,
    input: ReadableStream<Uint8Array>,
    compress: boolean,
    length?: number,
  ): Promise<void> {
    e.flags |= FLAG_DESCRIPTOR;
    e.method = compress ? 8 : 0;
    e.zip64Local = force || (length !== undefined && wide(compress ? deflateBound(length) : length));
    const tooBig = (n: number) => n >= LIMIT32 && !e.zip64Local;
    await emit(localHeader(e));
    let crc = 0;
    let size = 0;
    const counted = input.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          if (tooBig(size))
            tooLarge(
              `the entry “${decode(e.nameBytes)}” reached 4 GiB as a stream of unknown length (give it as a Blob)`,
            );
          held(chunk.length);
          controller.enqueue(chunk);
        },
      }),
    );
    let compressedSize = 0;
    await each(compress ? counted.pipeThrough(deflateRaw()) : counted, async (c) => {
      compressedSize += c.length;
      if (tooBig(compressedSize))
        tooLarge(`the entry “${decode(e.nameBytes)}” reached 4 GiB compressed as a stream of unknown length`);
      await emit(c);
    });
    e.crc = crc;
    e.size = size;
    e.compressedSize = compressedSize;
    await emit(descriptor(e));
  }

  return {
    get bytesWritten() {
      return offset;
    },
    get maxBufferedBytes() {
      return maxBuffered;
    },

    async add(name, data, { compress }) {
      if (closed)
        throw new StoryLoomError('invalid-input', `Cannot add “${showName(name)}”: the archive is closed.`);
      if (busy)
        throw new StoryLoomError(
          'invalid-input',
          `Cannot add “${showName(name)}” while another entry is written.`,
        );
      const nameBytes = encoder.encode(name);
      if (nameBytes.length === 0 || nameBytes.length > BUNDLE_LIMITS.maxNameBytes)
        throw new StoryLoomError(
          'invalid-input',
          `An entry name must be 1 to ${BUNDLE_LIMITS.maxNameBytes} bytes, got ${nameBytes.length}.`,
        );
      // The writer never writes a name the strict reader would refuse.
      checkPath(name, BUNDLE_LIMITS, (reason) => {
        throw new StoryLoomError(
          'invalid-input',
          `The entry “${showName(name)}” cannot be written: it ${reason}.`,
        );
      });
      if (names.has(name.toLowerCase()))
        throw new StoryLoomError(
          'invalid-input',
          `The archive already has an entry “${showName(name)}” (names are compared ignoring case).`,
        );
      if (written.length >= BUNDLE_LIMITS.maxEntries)
        tooLarge(
          `it would have more than ${BUNDLE_LIMITS.maxEntries.toLocaleString('en-US')} entries, the most StoryLoom reads`,
        );
      busy = true;
      try {
        names.add(name.toLowerCase());
        const e: Written = {
          nameBytes,
          flags: FLAG_UTF8,
          method: 0,
          crc: 0,
          compressedSize: 0,
          size: 0,
          offset,
          zip64Local: false,
        };
        if (data instanceof Uint8Array) await addBytes(e, data, compress);
        else if (data instanceof Blob && !compress) await addStoredBlob(e, data);
        else if (data instanceof Blob) await addStreamed(e, slices(data, held), compress, data.size);
        else await addStreamed(e, data, compress);
        written.push(e);
      } finally {
        busy = false;
      }
    },

    async close() {
      if (closed) return;
      if (busy)
        throw new StoryLoomError('invalid-input', 'Cannot close the archive while an entry is written.');
      closed = true;
      const cdOffset = offset;
      for (const e of written) await emit(centralHeader(e));
      const cdSize = offset - cdOffset;
      const count = written.length;
      const zip64 = force || count >= COUNT16 || cdSize >= LIMIT32 || cdOffset >= LIMIT32;
      if (zip64) await emit(zip64End(count, cdSize, cdOffset, offset));
      const end = new Uint8Array(22);
      const v = new DataView(end.buffer);
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, zip64 ? COUNT16 : count, true);
      v.setUint16(10, zip64 ? COUNT16 : count, true);
      v.setUint32(12, zip64 ? LIMIT32 : cdSize, true);
      v.setUint32(16, zip64 ? LIMIT32 : cdOffset, true);
      await emit(end);
    },
  };
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
