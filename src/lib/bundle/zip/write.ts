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
 * are fixed at 1980-01-01 00:00 so the same story gives the same bytes. ZIP64 is never written: an
 * archive that would need it is refused. After any error the bytes already sent are not a zip.
 */

import { StoryLoomError } from '../../domain/errors';
import { crc32 } from './crc32';
import { BUNDLE_LIMITS } from './limits';
import { checkPath, showName } from './read';

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
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION = 20; // 2.0: deflate, folders
const MADE_BY = (3 << 8) | VERSION; // Unix, so the mode below is read
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
}

const encoder = new TextEncoder();

function tooLarge(what: string): never {
  throw new StoryLoomError(
    'file-too-large',
    `The archive cannot be written: ${what}, more than a zip without ZIP64 can hold (4 GiB, 65,535 entries).`,
  );
}

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

export function createZipWriter(sink: (chunk: Uint8Array) => Promise<void>): ZipWriter {
  const written: Written[] = [];
  const names = new Set<string>();
  let offset = 0;
  let busy = false;
  let closed = false;
  let maxBuffered = 0;

  async function emit(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (offset + chunk.length >= LIMIT32) tooLarge('it would be larger than 4 GiB');
    await sink(chunk);
    offset += chunk.length;
  }

  const held = (length: number) => {
    maxBuffered = Math.max(maxBuffered, length);
  };

  function localHeader(e: Written): Uint8Array {
    const h = new Uint8Array(30 + e.nameBytes.length);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, VERSION, true);
    v.setUint16(6, e.flags, true);
    v.setUint16(8, e.method, true);
    v.setUint16(10, DOS_TIME, true);
    v.setUint16(12, DOS_DATE, true);
    const deferred = (e.flags & FLAG_DESCRIPTOR) !== 0;
    v.setUint32(14, deferred ? 0 : e.crc, true);
    v.setUint32(18, deferred ? 0 : e.compressedSize, true);
    v.setUint32(22, deferred ? 0 : e.size, true);
    v.setUint16(26, e.nameBytes.length, true);
    v.setUint16(28, 0, true);
    h.set(e.nameBytes, 30);
    return h;
  }

  function descriptor(e: Written): Uint8Array {
    const d = new Uint8Array(16);
    const v = new DataView(d.buffer);
    v.setUint32(0, 0x08074b50, true);
    v.setUint32(4, e.crc, true);
    v.setUint32(8, e.compressedSize, true);
    v.setUint32(12, e.size, true);
    return d;
  }

  function centralHeader(e: Written): Uint8Array {
    const h = new Uint8Array(46 + e.nameBytes.length);
    const v = new DataView(h.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, MADE_BY, true);
    v.setUint16(6, VERSION, true);
    v.setUint16(8, e.flags, true);
    v.setUint16(10, e.method, true);
    v.setUint16(12, DOS_TIME, true);
    v.setUint16(14, DOS_DATE, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.compressedSize, true);
    v.setUint32(24, e.size, true);
    v.setUint16(28, e.nameBytes.length, true);
    // extra, comment, disk start, internal attributes: 0
    v.setUint32(38, FILE_MODE, true);
    v.setUint32(42, e.offset, true);
    h.set(e.nameBytes, 46);
    return h;
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
    held(data.length + (e.method === 8 ? e.compressedSize : 0));
    await emit(localHeader(e));
    for (const part of parts) await emit(part);
  }

  async function addStoredBlob(e: Written, blob: Blob): Promise<void> {
    let crc = 0;
    await each(slices(blob, held), (c) => void (crc = crc32(c, crc)));
    e.crc = crc;
    e.size = e.compressedSize = blob.size;
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

  async function addStreamed(
    e: Written,
    input: ReadableStream<Uint8Array>,
    compress: boolean,
  ): Promise<void> {
    e.flags |= FLAG_DESCRIPTOR;
    e.method = compress ? 8 : 0;
    await emit(localHeader(e));
    let crc = 0;
    let size = 0;
    const counted = input.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          if (size >= LIMIT32) tooLarge(`the entry “${decode(e.nameBytes)}” is larger than 4 GiB`);
          held(chunk.length);
          controller.enqueue(chunk);
        },
      }),
    );
    let compressedSize = 0;
    await each(compress ? counted.pipeThrough(deflateRaw()) : counted, async (c) => {
      compressedSize += c.length;
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
      if (written.length >= 0xffff) tooLarge('it would have more than 65,535 entries');
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
        };
        if (data instanceof Uint8Array) await addBytes(e, data, compress);
        else if (data instanceof Blob && !compress) await addStoredBlob(e, data);
        else await addStreamed(e, data instanceof Blob ? slices(data, held) : data, compress);
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
      const end = new Uint8Array(22);
      const v = new DataView(end.buffer);
      v.setUint32(0, 0x06054b50, true);
      v.setUint16(8, written.length, true);
      v.setUint16(10, written.length, true);
      v.setUint32(12, offset - cdOffset, true);
      v.setUint32(16, cdOffset, true);
      await emit(end);
    },
  };
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);
