// The strict reader is not so strict that it refuses what standard tools write.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { has } from './tools';
import { openZip } from '../../../src/lib/bundle/zip/read';
import { BUNDLE_LIMITS } from '../../../src/lib/bundle/zip/limits';
import { createZipWriter } from '../../../src/lib/bundle/zip/write';

const enc = new TextEncoder();
const dir = mkdtempSync(join(tmpdir(), 'storyloom-zip-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files: Record<string, Uint8Array> = {
  mimetype: enc.encode('application/vnd.storyloom+zip'),
  'manifest.json': enc.encode(
    JSON.stringify({ title: 'tools', list: Array.from({ length: 500 }, (_, i) => i) }),
  ),
  'images/ünï.png': enc.encode('not really a png, but bytes'),
};

async function readsAll(bytes: Uint8Array, name: string) {
  const zip = await openZip(new Blob([bytes as BlobPart]), BUNDLE_LIMITS, name);
  expect(zip.entries.map((e) => e.name).sort()).toEqual(Object.keys(files).sort());
  for (const [entry, content] of Object.entries(files)) expect(await zip.read(entry)).toEqual(content);
}

describe('the reader and zips from other tools', () => {
  it('reads what fflate’s zipSync writes', async () => {
    await readsAll(zipSync(files), 'fflate.zip');
  });

  it.runIf(has('python3'))('reads what Python’s zipfile writes (deflate, UTF-8 names)', async () => {
    const path = join(dir, 'py.zip');
    const script = [
      'import sys, zipfile, json',
      'files = json.loads(sys.argv[2])',
      'with zipfile.ZipFile(sys.argv[1], "w") as z:',
      '    for name, text in files.items():',
      '        z.writestr(name, text, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)',
    ].join('\n');
    const texts = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextDecoder().decode(v)]));
    execFileSync('python3', ['-c', script, path, JSON.stringify(texts)]);
    await readsAll(new Uint8Array(readFileSync(path)), 'py.zip');
  });

  it.runIf(has('zip'))(
    'reads what Info-ZIP’s zip writes (with its timestamp and uid extra fields)',
    async () => {
      const src = join(dir, 'src');
      mkdirSync(join(src, 'images'), { recursive: true });
      const ascii = { ...files, 'images/plain.png': files['images/ünï.png']! };
      for (const [name, content] of Object.entries(ascii)) writeFileSync(join(src, name), content);
      const path = join(dir, 'info.zip');
      // -D: no folder entries (a bundle holds files only); -X is left off so the extra fields are there.
      execFileSync('zip', ['-q', '-D', path, 'mimetype', 'manifest.json', 'images/plain.png'], { cwd: src });
      const zip = await openZip(new Blob([readFileSync(path)]), BUNDLE_LIMITS, 'info.zip');
      expect(zip.entries.map((e) => e.name)).toEqual(['mimetype', 'manifest.json', 'images/plain.png']);
      expect(await zip.read('manifest.json')).toEqual(files['manifest.json']);

      // This Info-ZIP writes a UTF-8 name without the UTF-8 flag: its bytes mean something else in
      // CP437, so the strict reader refuses it rather than guess.
      const unflagged = join(dir, 'info-utf8.zip');
      execFileSync('zip', ['-q', '-D', unflagged, 'images/ünï.png'], {
        cwd: src,
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      });
      const bytes = readFileSync(unflagged);
      const flagged = (bytes.readUInt16LE(6) & 0x0800) !== 0;
      const opened = openZip(new Blob([bytes]), BUNDLE_LIMITS, 'info-utf8.zip');
      if (flagged) await expect(opened).resolves.toBeDefined();
      else
        await expect(opened).rejects.toThrow(
          /“images\/ünï\.png” has a name that is neither ASCII nor marked as UTF-8/,
        );
    },
  );

  it('opens 5,000 entries written by the writer, quickly enough to be a bundle', async () => {
    const chunks: Uint8Array[] = [];
    const writer = createZipWriter(async (c) => void chunks.push(c.slice()));
    for (let i = 0; i < 5000; i++)
      await writer.add(`images/${i.toString(16).padStart(64, '0')}.png`, Uint8Array.of(i & 0xff), {
        compress: false,
      });
    await writer.close();
    const blob = new Blob([new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer())]);
    const zip = await openZip(blob, BUNDLE_LIMITS, 'many.storyloom');
    expect(zip.entries.length).toBe(5000);
    expect(await zip.read(zip.entries[4999]!.name)).toEqual(Uint8Array.of(4999 & 0xff));
  });
});
