// The streaming writer: what it writes our strict reader accepts, and so do fflate, Info-ZIP's
// `unzip -t` and Python's zipfile; memory stays bounded for a large Blob.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { has } from './tools';
import { openZip } from '../../../src/lib/bundle/zip/read';
import { BUNDLE_LIMITS } from '../../../src/lib/bundle/zip/limits';
import { createZipWriter } from '../../../src/lib/bundle/zip/write';
import { StoryLoomError } from '../../../src/lib/domain/errors';

const MiB = 1024 * 1024;
const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'storyloom-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes entries into memory (small archives only). */
async function toBytes(write: (w: ReturnType<typeof createZipWriter>) => Promise<void>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = createZipWriter(async (c) => void chunks.push(c.slice()));
  await write(writer);
  await writer.close();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  expect(out.length).toBe(writer.bytesWritten);
  return out;
}

const pseudoRandom = (length: number, seed = 1) => {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}

const manifest = enc.encode(
  JSON.stringify({ title: 'Weaver’s tale', panels: Array.from({ length: 200 }, (_, i) => ({ i })) }),
);
const image = new Uint8Array(randomBytes(300_000)); // incompressible, as a PNG's data is
const blobImage = pseudoRandom(3 * MiB + 12_345, 7); // several slices, not a multiple of one
// ~2.5 MB of text from random words: compresses a few times over, as prose does.
const WORDS = [
  'loom',
  'weft',
  'warp',
  'panel',
  'story',
  'the',
  'a',
  'and',
  'character',
  'shuttle',
  'thread',
  'page',
];
const textBlob = enc.encode(Array.from(pseudoRandom(400_000, 5), (b) => WORDS[b % WORDS.length]).join(' '));

/** Byte equality without a deep-equal walk over megabytes. */
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function sample(): Promise<Uint8Array> {
  return toBytes(async (w) => {
    await w.add('mimetype', enc.encode('application/vnd.storyloom+zip'), { compress: false });
    await w.add('manifest.json', manifest, { compress: true });
    await w.add('images/ab.png', image, { compress: true }); // incompressible: stored instead
    await w.add('images/blob.webp', new Blob([blobImage as BlobPart]), { compress: false });
    await w.add('text/blob.txt', new Blob([textBlob as BlobPart]), { compress: true });
    await w.add('text/stream.txt', streamOf([textBlob.subarray(0, 1000), textBlob.subarray(1000, 5000)]), {
      compress: true,
    });
    await w.add('text/stored-stream.txt', streamOf([textBlob.subarray(0, 777)]), { compress: false });
    await w.add('notes/日本語 ünïcödé.txt', enc.encode('こんにちは'), { compress: true });
    await w.add('empty.txt', new Uint8Array(0), { compress: true });
    await w.add('empty-blob.txt', new Blob([]), { compress: true }); // deflate of nothing, with a descriptor
  });
}

const expected: Record<string, Uint8Array> = {
  mimetype: enc.encode('application/vnd.storyloom+zip'),
  'manifest.json': manifest,
  'images/ab.png': image,
  'images/blob.webp': blobImage,
  'text/blob.txt': textBlob,
  'text/stream.txt': textBlob.subarray(0, 5000),
  'text/stored-stream.txt': textBlob.subarray(0, 777),
  'notes/日本語 ünïcödé.txt': enc.encode('こんにちは'),
  'empty.txt': new Uint8Array(0),
  'empty-blob.txt': new Uint8Array(0),
};

describe('the zip writer', () => {
  it('round-trips stored, deflated, Blob and stream entries with UTF-8 names through the strict reader', async () => {
    const bytes = await sample();
    const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'sample.storyloom');
    expect(zip.entries.map((e) => e.name)).toEqual(Object.keys(expected));
    for (const [name, content] of Object.entries(expected))
      expect(same(await zip.read(name), content), name).toBe(true);
    const method = (name: string) => zip.entry(name)!.method;
    expect([
      method('mimetype'),
      method('manifest.json'),
      method('images/ab.png'),
      method('text/blob.txt'),
    ]).toEqual([0, 8, 0, 8]);
    // The stored mimetype entry comes first at offset 0 with its name at byte 30 (as EPUB/ODF sniff it).
    expect(new TextDecoder().decode(bytes.subarray(30, 38))).toBe('mimetype');
    expect(new TextDecoder().decode(bytes.subarray(38, 67))).toBe('application/vnd.storyloom+zip');
  });

  it('writes what fflate reads (a second opinion)', async () => {
    const files = unzipSync(await sample());
    expect(Object.keys(files)).toEqual(Object.keys(expected));
    for (const [name, content] of Object.entries(expected))
      expect(same(files[name], content), name).toBe(true);
  });

  it.runIf(has('unzip'))('writes what Info-ZIP’s unzip -t accepts', async () => {
    const path = join(dir, 'sample.zip');
    writeFileSync(path, await sample());
    const out = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
    expect(out).toMatch(/No errors detected in compressed data/);
    expect(out).toContain('text/blob.txt');
  });

  it.runIf(has('python3'))('writes what Python’s zipfile accepts (CRCs and names)', async () => {
    const path = join(dir, 'sample-py.zip');
    writeFileSync(path, await sample());
    const script = [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'bad = z.testzip()',
      'print("BAD" if bad else "OK", "|".join(z.namelist()))',
    ].join('\n');
    const out = execFileSync('python3', ['-c', script, path], { encoding: 'utf8' });
    expect(out.trim()).toBe(`OK ${Object.keys(expected).join('|')}`);
    expect(execFileSync('python3', ['-m', 'zipfile', '-t', path], { encoding: 'utf8' })).toMatch(
      /Done testing/,
    );
  });

  it('writes a small archive byte for byte as it did before ZIP64 (a golden SHA-256)', async () => {
    // Every kind of input; the hash was taken from the writer before ZIP64 was added. A small
    // archive has no ZIP64 field or record, so the same story still gives the same bytes.
    const bytes = await toBytes(async (w) => {
      await w.add('mimetype', enc.encode('application/vnd.storyloom+zip'), { compress: false });
      await w.add(
        'manifest.json',
        enc.encode(JSON.stringify({ a: Array.from({ length: 300 }, (_, i) => i) })),
        {
          compress: true,
        },
      );
      const picture = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 7919) & 0xff);
      await w.add('images/a.png', new Blob([picture as BlobPart]), { compress: false });
      await w.add('text/b.txt', new Blob([enc.encode('hello '.repeat(5000)) as BlobPart]), {
        compress: true,
      });
      await w.add('text/c.txt', streamOf([enc.encode('xyz'.repeat(100))]), { compress: false });
      await w.add('empty', new Uint8Array(0), { compress: true });
    });
    expect(bytes.length).toBe(3_001_513);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      '8a32fa74548a1a480b7eaa2bb4067aded1b4a154c89e073aa46541154cab1126',
    );
  });

  it('refuses duplicate and empty names, and adding after close', async () => {
    const writer = createZipWriter(async () => undefined);
    await writer.add('a.txt', enc.encode('a'), { compress: false });
    await expect(writer.add('a.txt', enc.encode('a'), { compress: false })).rejects.toThrow(
      /already has an entry “a\.txt”/,
    );
    await expect(writer.add('A.TXT', enc.encode('a'), { compress: false })).rejects.toThrow(
      /already has an entry “A\.TXT”/,
    );
    await expect(writer.add('', enc.encode('a'), { compress: false })).rejects.toThrow(StoryLoomError);
    await expect(writer.add('../evil', enc.encode('a'), { compress: false })).rejects.toThrow(
      /The entry “\.\.\/evil” cannot be written: it has a “\.\.” path segment\./,
    );
    await expect(writer.add('a\\b', enc.encode('a'), { compress: false })).rejects.toThrow(/has a backslash/);
    await expect(writer.add('cafe\u0301', enc.encode('a'), { compress: false })).rejects.toThrow(/NFC/);
    await writer.close();
    await expect(writer.add('b.txt', enc.encode('b'), { compress: false })).rejects.toThrow(
      /the archive is closed/,
    );
  });

  it('writes a 200 MB Blob in slices without holding it', async () => {
    // The input is a file on disk (a File-like Blob), the output goes to disk: neither is in memory.
    const chunk = pseudoRandom(MiB, 3);
    const inputPath = join(dir, 'big.bin');
    const input = await openFile(inputPath, 'w');
    for (let i = 0; i < 200; i++) await input.write(chunk);
    await input.close();
    const blob = await openAsBlob(inputPath);
    expect(blob.size).toBe(200 * MiB);

    const outputPath = join(dir, 'big.zip');
    const output = await openFile(outputPath, 'w');
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const writer = createZipWriter(async (c) => {
      await output.write(c);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    });
    await writer.add('mimetype', enc.encode('application/vnd.storyloom+zip'), { compress: false });
    await writer.add('images/big.webp', blob, { compress: false });
    await writer.close();
    await output.close();

    expect(writer.maxBufferedBytes).toBeLessThanOrEqual(MiB);
    expect(peak - baseline).toBeLessThan(48 * MiB); // a few slices in flight, never 200 MB
    expect(writer.bytesWritten).toBeGreaterThan(200 * MiB);

    // Read back from the file-backed Blob, with limits widened for this one large entry.
    const zip = await openZip(
      await openAsBlob(outputPath),
      { ...BUNDLE_LIMITS, maxEntryBytes: 256 * MiB },
      'big.zip',
    );
    const entry = zip.entry('images/big.webp')!;
    expect(entry.size).toBe(200 * MiB);
    const reader = zip.stream('images/big.webp').getReader();
    let total = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
    expect(total).toBe(200 * MiB); // the stream checks the CRC-32 at its end
    if (has('unzip'))
      expect(execFileSync('unzip', ['-tq', outputPath], { encoding: 'utf8' })).toMatch(/No errors/);
  }, 60_000);

  it('refuses a Blob that changes between its two passes', async () => {
    let reads = 0;
    const changing = {
      size: 10,
      slice: () => ({ arrayBuffer: async () => new Uint8Array(10).fill(reads++ === 0 ? 1 : 2).buffer }),
    };
    Object.setPrototypeOf(changing, Blob.prototype);
    const writer = createZipWriter(async () => undefined);
    await expect(writer.add('a.bin', changing as unknown as Blob, { compress: false })).rejects.toThrow(
      /changed while it was written/,
    );
  });
});
