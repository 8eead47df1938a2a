// ZIP64 end to end: what the writer writes past 65,535 entries (or, forced, where values fit) the
// strict reader reads back, and so do Info-ZIP's unzip and Python's zipfile; what Python's zipfile
// writes with ZIP64 the strict reader reads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { has } from './tools';
import { openZip } from '../../../src/lib/bundle/zip/read';
import { BUNDLE_LIMITS } from '../../../src/lib/bundle/zip/limits';
import { createZipWriter, type ZipWriterOptions } from '../../../src/lib/bundle/zip/write';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'storyloom-zip64-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`../../fixtures/zip/${name}`, import.meta.url);

async function write(
  add: (w: ReturnType<typeof createZipWriter>) => Promise<void>,
  options?: ZipWriterOptions,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = createZipWriter(async (c) => void chunks.push(c.slice()), options);
  await add(writer);
  await writer.close();
  // Copied by hand: a Blob of 130,000 small parts is slow to read back.
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  expect(out.length).toBe(writer.bytesWritten);
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** The classic end record (no comment) and the ZIP64 end record and locator before it. */
function ends(b: Uint8Array) {
  const v = view(b);
  const end = b.length - 22;
  const locator = end - 20;
  const record = locator - 56;
  return {
    endSig: v.getUint32(end, true),
    count16: v.getUint16(end + 10, true),
    cdSize32: v.getUint32(end + 12, true),
    cdOffset32: v.getUint32(end + 16, true),
    locatorSig: v.getUint32(locator, true),
    pointsAt: Number(v.getBigUint64(locator + 8, true)),
    record,
    recordSig: v.getUint32(record, true),
    count64: Number(v.getBigUint64(record + 32, true)),
  };
}

const textBytes = enc.encode(JSON.stringify({ panels: Array.from({ length: 400 }, (_, i) => ({ i })) }));
const files: [string, Uint8Array | Blob | ReadableStream<Uint8Array>, boolean][] = [
  ['mimetype', enc.encode('application/vnd.storyloom+zip'), false],
  ['manifest.json', textBytes, true],
  ['images/stored.png', Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff), false],
  ['images/blob.webp', new Blob([Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff)]), false],
  ['text/deflated-blob.txt', new Blob([textBytes]), true],
  ['empty.txt', new Uint8Array(0), true],
];
const expected = async (data: Uint8Array | Blob | ReadableStream<Uint8Array>) =>
  data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : (data as Uint8Array);

async function forced(): Promise<Uint8Array> {
  return write(
    async (w) => {
      for (const [name, data, compress] of files) await w.add(name, data, { compress });
      await w.add(
        'text/stream.txt',
        new ReadableStream({
          start(c) {
            c.enqueue(textBytes.subarray(0, 1000));
            c.close();
          },
        }),
        { compress: true },
      );
    },
    { forceZip64: true },
  );
}

describe('ZIP64', () => {
  it('writes every ZIP64 structure when forced, and the strict reader reads it back', async () => {
    const bytes = await forced();
    const e = ends(bytes);
    expect([e.endSig, e.locatorSig, e.recordSig]).toEqual([0x06054b50, 0x07064b50, 0x06064b50]);
    expect([e.count16, e.cdSize32, e.cdOffset32]).toEqual([0xffff, 0xffffffff, 0xffffffff]);
    expect(e.pointsAt).toBe(e.record);
    expect(e.count64).toBe(files.length + 1);
    // Every local header marks both sizes (0xFFFFFFFF) and carries a 20-byte ZIP64 extra field.
    const v = view(bytes);
    expect([
      v.getUint16(4, true),
      v.getUint32(18, true),
      v.getUint32(22, true),
      v.getUint16(28, true),
    ]).toEqual([45, 0xffffffff, 0xffffffff, 20]);

    const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'forced.storyloom');
    expect(zip.entries.map((x) => x.name)).toEqual([...files.map(([n]) => n), 'text/stream.txt']);
    for (const [name, data] of files) expect(await zip.read(name), name).toEqual(await expected(data));
    expect(await zip.read('text/stream.txt')).toEqual(textBytes.subarray(0, 1000));
    expect(zip.entry('images/blob.webp')!.offset).toBeGreaterThan(0); // read from the ZIP64 field
  });

  it.runIf(has('unzip'))('writes a forced ZIP64 archive that Info-ZIP’s unzip -t accepts', async () => {
    const path = join(dir, 'forced.zip');
    writeFileSync(path, await forced());
    const out = execFileSync('unzip', ['-t', path], { encoding: 'utf8' });
    expect(out).toMatch(/No errors detected in compressed data/);
    expect(out).toContain('text/stream.txt');
  });

  it.runIf(has('python3'))('writes a forced ZIP64 archive that Python’s zipfile tests clean', async () => {
    const path = join(dir, 'forced-py.zip');
    writeFileSync(path, await forced());
    const script = [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'print("BAD" if z.testzip() else "OK", len(z.namelist()))',
    ].join('\n');
    expect(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }).trim()).toBe(
      `OK ${files.length + 1}`,
    );
  });

  describe('more than 65,535 entries', () => {
    const COUNT = 65_600;
    const name = (i: number) => `e/${i.toString(36).padStart(4, '0')}`;
    let many: Uint8Array | undefined;
    const build = async () =>
      (many ??= await write(async (w) => {
        // Empty and 1-byte stored entries: the count is what is tested, not the bytes.
        for (let i = 0; i < COUNT; i++)
          await w.add(name(i), i % 2 ? Uint8Array.of(i & 0xff) : new Uint8Array(0), { compress: false });
      }));

    it('writes a ZIP64 end record only because of the count, and reads every entry back', async () => {
      const bytes = await build();
      const e = ends(bytes);
      expect([e.locatorSig, e.recordSig, e.count16, e.count64]).toEqual([
        0x07064b50,
        0x06064b50,
        0xffff,
        COUNT,
      ]);
      // The entries themselves need no ZIP64: their headers are the plain ones.
      expect(view(bytes).getUint16(4, true)).toBe(20);
      const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'many.storyloom');
      expect(zip.entries.length).toBe(COUNT);
      expect(zip.entries[COUNT - 1]!.name).toBe(name(COUNT - 1));
      for (const i of [0, 1, 65_534, 65_535, 65_536, COUNT - 1])
        expect(await zip.read(name(i)), name(i)).toEqual(i % 2 ? Uint8Array.of(i & 0xff) : new Uint8Array(0));
    }, 60_000);

    it.runIf(has('unzip'))(
      'is listed whole by unzip -l',
      async () => {
        const path = join(dir, 'many.zip');
        writeFileSync(path, await build());
        const out = execFileSync('unzip', ['-l', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        expect(out).toMatch(new RegExp(`\\s${COUNT} files\\s*$`));
        expect(out).toContain(name(COUNT - 1));
      },
      60_000,
    );

    it.runIf(has('python3'))(
      'is listed whole by python3 -m zipfile -l',
      async () => {
        const path = join(dir, 'many-py.zip');
        writeFileSync(path, await build());
        const out = execFileSync('python3', ['-m', 'zipfile', '-l', path], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        const lines = out.trim().split('\n');
        expect(lines.length).toBe(COUNT + 1); // a header line, then one per entry
        expect(lines.at(-1)).toMatch(new RegExp(`^${name(COUNT - 1)}\\s`));
      },
      60_000,
    );

    it.runIf(has('python3'))(
      'reads what Python’s zipfile writes past 65,535 entries',
      async () => {
        const path = join(dir, 'python-many.zip');
        const script = [
          'import sys, zipfile',
          'with zipfile.ZipFile(sys.argv[1], "w", allowZip64=True) as z:',
          `    for i in range(${COUNT}):`,
          '        z.writestr(zipfile.ZipInfo("p/%05d" % i, (1980, 1, 1, 0, 0, 0)), bytes([i & 255]) if i % 3 else b"")',
        ].join('\n');
        execFileSync('python3', ['-c', script, path]);
        const bytes = new Uint8Array(readFileSync(path));
        // Python marks only what does not fit: the count, not the directory's size and offset.
        const e = ends(bytes);
        expect([e.count16, e.count64]).toEqual([0xffff, COUNT]);
        expect(e.cdOffset32).not.toBe(0xffffffff);
        const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'python-many.zip');
        expect(zip.entries.length).toBe(COUNT);
        expect(await zip.read('p/65599')).toEqual(Uint8Array.of(65_599 & 0xff));
      },
      60_000,
    );
  });

  it('reads the committed archive Python’s zipfile wrote with force_zip64 (local ZIP64 fields)', async () => {
    // Made with zipfile.ZipFile(path, "w") and z.open(ZipInfo(name, (1980,1,1,0,0,0)), "w",
    // force_zip64=True): each local header marks both sizes and holds them in a ZIP64 field; the
    // central headers need none.
    const bytes = new Uint8Array(readFileSync(fixture('python-force-zip64.zip')));
    expect([view(bytes).getUint32(18, true), view(bytes).getUint16(28, true)]).toEqual([0xffffffff, 20]);
    const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'python-force-zip64.zip');
    expect(zip.entries.map((e) => e.name)).toEqual(['mimetype', 'manifest.json', 'images/a.png']);
    expect(new TextDecoder().decode(await zip.read('mimetype'))).toBe('application/vnd.storyloom+zip');
    expect(new TextDecoder().decode(await zip.read('manifest.json'))).toBe(
      '{"made":"python zipfile, force_zip64"}'.repeat(20),
    );
    expect(await zip.read('images/a.png')).toEqual(Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff));
  });

  it('reads the committed archive Python’s zipfile streamed with force_zip64 (64-bit data descriptors)', async () => {
    // The same, written to an unseekable file: the local ZIP64 field says 0 and a 24-byte data
    // descriptor follows each entry.
    const bytes = new Uint8Array(readFileSync(fixture('python-force-zip64-streamed.zip')));
    expect(view(bytes).getUint16(6, true) & 0x0008).toBe(0x0008);
    const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, 'python-streamed.zip');
    expect(zip.entries.map((e) => e.name)).toEqual(['mimetype', 'manifest.json']);
    expect(new TextDecoder().decode(await zip.read('manifest.json'))).toBe(
      '{"made":"python zipfile, force_zip64, streamed"}'.repeat(20),
    );
  });
});
