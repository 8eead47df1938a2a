// Hostile sizes and data: lies about sizes and CRCs, bombs, limits, data descriptors.
import { crc32 as zlibCrc32, deflateRawSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS } from '../../../../src/lib/bundle/zip/limits';
import { crc32 } from '../../../../src/lib/bundle/zip/crc32';
import {
  FILE,
  PNG_BYTES,
  buildZip,
  bytesOf,
  deflate,
  descriptor,
  enc,
  expectRefusal,
  open,
  refuses,
  validEntries,
  type RawEntry,
} from './build';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * A deflate stream of `mebibytes` MiB of zeros, built without holding them: one MiB of zeros
 * deflated with a full flush (no back-reference crosses it, so the same bytes repeat), then an
 * empty final block. Returns the stream as Blob parts and its CRC-32.
 */
function zeroBomb(mebibytes: number): { parts: Uint8Array[]; compressedSize: number; crc: number } {
  const zeros = new Uint8Array(MiB);
  const segment = new Uint8Array(deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH }));
  const finalEmpty = Uint8Array.from([0x03, 0x00]);
  let crc = 0;
  for (let i = 0; i < mebibytes; i++) crc = zlibCrc32(zeros, crc);
  const parts = [...Array<Uint8Array>(mebibytes).fill(segment), finalEmpty];
  return { parts, compressedSize: segment.length * mebibytes + 2, crc: crc >>> 0 };
}

/** A one-entry zip around an already-deflated stream given as parts; the zip itself stays small. */
function bombZip(name: string, bomb: ReturnType<typeof zeroBomb>, size: number): Blob {
  // Build with a placeholder of the right length for layout, then swap the data for the parts.
  const skeleton = buildZip([
    {
      name,
      method: 8,
      stored: new Uint8Array(0),
      central: { crc: bomb.crc, size, compressedSize: bomb.compressedSize },
      local: { crc: bomb.crc, size, compressedSize: bomb.compressedSize },
    },
  ]);
  const headerLength = 30 + name.length;
  const fix = (cd: Uint8Array) => {
    // The central directory offset moves by the data's length.
    const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    v.setUint32(cd.length - 6, headerLength + bomb.compressedSize, true);
    return cd;
  };
  return new Blob([
    skeleton.subarray(0, headerLength) as BlobPart,
    ...(bomb.parts as BlobPart[]),
    fix(skeleton.slice(headerLength)) as BlobPart,
  ]);
}

describe('a hostile zip: sizes and data', () => {
  it('refuses local and central sizes that disagree', async () => {
    const entries = validEntries();
    entries[0]!.local = { size: 999, compressedSize: 999 };
    await refuses(
      buildZip(entries),
      /the entry “mimetype” says 999 bytes \(999 bytes compressed\) in its local header but 29 bytes \(29 bytes compressed\) in the central directory/,
    );
  });

  it('refuses local and central CRCs that disagree', async () => {
    const entries = validEntries();
    entries[1]!.local = { crc: 1234 };
    await refuses(
      buildZip(entries),
      /the entry “manifest\.json” has a different CRC-32 in its local header and its central entry/,
    );
  });

  it('refuses a stored entry whose bytes do not match its CRC-32', async () => {
    const wrong = (crc32(PNG_BYTES) ^ 1) >>> 0;
    const zip = await open(
      buildZip([{ name: 'a.png', content: PNG_BYTES, central: { crc: wrong }, local: { crc: wrong } }]),
    );
    await expectRefusal(
      zip.read('a.png'),
      /the entry “a\.png” is damaged \(its CRC-32 does not match its bytes\)/,
    );
  });

  it('refuses a deflated entry whose bytes do not match its CRC-32', async () => {
    const entries = validEntries();
    entries[1]!.central = { crc: 42 };
    entries[1]!.local = { crc: 42 };
    const zip = await open(buildZip(entries));
    await expectRefusal(
      zip.read('manifest.json'),
      /the entry “manifest\.json” is damaged \(its CRC-32 does not match/,
    );
  });

  it('refuses a stored entry whose sizes disagree with each other', async () => {
    await refuses(
      buildZip([{ name: 'a.png', content: PNG_BYTES, central: { size: 8 }, local: { size: 8 } }]),
      /the entry “a\.png” is stored uncompressed but says 16 bytes stored for 8 bytes/,
    );
  });

  it('refuses, while reading, a deflated entry that holds more than it declares (a bomb that lies)', async () => {
    const content = new Uint8Array(MiB); // deflates to ~1 KiB: under the ratio floor as declared
    const zip = await open(
      buildZip([
        { name: 'images/ab.png', method: 8, content, central: { size: 1024 }, local: { size: 1024 } },
      ]),
    );
    await expectRefusal(
      zip.read('images/ab.png'),
      /the entry “images\/ab\.png” says 1,024 bytes but holds more/,
    );
  });

  it('stops a lying 1 GiB bomb at its declared size, without inflating it all', async () => {
    const bomb = zeroBomb(1024);
    const zip = await open(bombZip('bomb.bin', bomb, 1000));
    const started = performance.now();
    const message = await expectRefusal(
      zip.read('bomb.bin'),
      /the entry “bomb\.bin” says 1,000 bytes but holds more/,
    );
    expect(message).not.toMatch(/GiB/);
    expect(performance.now() - started).toBeLessThan(2000); // inflating 1 GiB takes far longer
  });

  it('refuses, while reading, a deflated entry that holds less than it declares', async () => {
    const content = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    const zip = await open(
      buildZip([
        {
          name: 'a.bin',
          method: 8,
          content,
          central: { size: 1100 },
          local: { size: 1100 },
        },
      ]),
    );
    await expectRefusal(zip.read('a.bin'), /the entry “a\.bin” says 1,100 bytes but holds only 1,000 bytes/);
  });

  it('refuses damaged deflate data', async () => {
    const zip = await open(
      buildZip([
        { name: 'a.bin', method: 8, stored: Uint8Array.from([0xff, 0xff, 0xff, 0xff]), content: PNG_BYTES },
      ]),
    );
    await expectRefusal(zip.read('a.bin'), /the entry “a\.bin” has damaged compressed data/);
  });

  it('refuses a 1 GiB entry of zeros declared honestly (the entry limit), before inflating it', async () => {
    const bomb = zeroBomb(1024);
    await expectRefusal(
      open(bombZip('zeros.bin', bomb, GiB)),
      /the entry “zeros\.bin” is 1,073,741,824 bytes uncompressed, more than the 64 MiB allowed for one entry/,
    );
  });

  it('refuses a ratio bomb declared honestly within the entry limit (the ratio limit)', async () => {
    const bomb = zeroBomb(32);
    const message = await expectRefusal(
      open(bombZip('zeros.bin', bomb, 32 * MiB)),
      /the entry “zeros\.bin” expands [\d,]+ times \([\d,]+ bytes to 33,554,432 bytes\), more than the 200 times allowed/,
    );
    expect(message).toBeTruthy();
  });

  it('reads the same 32 MiB of zeros when the limits allow that ratio (the bomb is valid deflate)', async () => {
    const bomb = zeroBomb(32);
    const zip = await open(bombZip('zeros.bin', bomb, 32 * MiB), { ...BUNDLE_LIMITS, maxRatio: 5000 });
    const out = await zip.read('zeros.bin');
    expect(out.length).toBe(32 * MiB);
    expect(out.every((b) => b === 0)).toBe(true);
  }, 60_000); // inflating 32 MiB on a loaded machine takes longer than the default 5 s

  it('lets a small entry compress well (the ratio floor)', async () => {
    const zip = await open(
      buildZip([{ name: 'manifest.json', method: 8, content: new Uint8Array(512 * 1024) }]),
    );
    expect((await zip.read('manifest.json')).length).toBe(512 * 1024);
  });

  it('refuses a declared size over the entry limit', async () => {
    await refuses(
      buildZip([
        {
          name: 'a.png',
          method: 8,
          content: PNG_BYTES,
          central: { size: 65 * MiB },
          local: { size: 65 * MiB },
        },
      ]),
      /the entry “a\.png” is 68,157,440 bytes uncompressed, more than the 64 MiB allowed for one entry/,
    );
  });

  it('refuses entries whose total is over the total limit', async () => {
    const entries: RawEntry[] = ['a.bin', 'b.bin'].map((name) => ({ name, content: new Uint8Array(60) }));
    await refuses(buildZip(entries), /its entries hold more than 100 bytes in all, the most allowed/, {
      ...BUNDLE_LIMITS,
      maxTotalBytes: 100,
    });
  });

  it('refuses a compressed size larger than the file', async () => {
    await refuses(
      buildZip([{ name: 'a.bin', method: 8, content: PNG_BYTES, central: { compressedSize: 1e9 } }]),
      /the entry “a\.bin” says its data is 1,000,000,000 bytes, more than the whole file \(\d+ bytes\)/,
    );
  });

  it('refuses a compressed size that runs into the central directory', async () => {
    const entries = validEntries();
    entries[1]!.central = { compressedSize: 200 };
    entries[1]!.local = { compressedSize: 200 };
    await refuses(
      buildZip(entries),
      /the entry “manifest\.json” has data that runs into the central directory/,
    );
  });

  it('refuses read() of an entry larger than the caller allows', async () => {
    const zip = await open(buildZip(validEntries()));
    await expectRefusal(
      zip.read('mimetype', { maxBytes: 10 }),
      /the entry “mimetype” is 29 bytes, more than the 10 bytes allowed for it/,
    );
  });

  it('refuses read() of an entry it does not have', async () => {
    const zip = await open(buildZip(validEntries()));
    await expectRefusal(zip.read('images/x.png'), /it has no entry “images\/x\.png”/);
  });

  describe('data descriptors (flag bit 3)', () => {
    const content = enc.encode('{"title":"described"}'.repeat(10));
    const data = deflate(content);
    const crc = crc32(content);
    const described = (after: Uint8Array, local = { crc: 0, size: 0, compressedSize: 0 }): Uint8Array =>
      buildZip([{ name: 'manifest.json', method: 8, content, flags: 0x0008, local, after }]);

    it('reads an entry whose sizes follow it in a descriptor with a signature', async () => {
      const zip = await open(described(descriptor(crc, data.length, content.length)));
      expect(await zip.read('manifest.json')).toEqual(content);
    });

    it('reads an entry whose descriptor has no signature', async () => {
      const zip = await open(described(descriptor(crc, data.length, content.length).subarray(4)));
      expect(await zip.read('manifest.json')).toEqual(content);
    });

    it('refuses a descriptor that disagrees with the central directory', async () => {
      await refuses(
        described(descriptor(crc, data.length, content.length + 1)),
        /the entry “manifest\.json” has a data descriptor that does not match its central entry/,
      );
    });

    it('refuses a missing descriptor', async () => {
      await refuses(
        described(new Uint8Array(0)),
        /the entry “manifest\.json” has a data descriptor that does not match/,
      );
    });

    it('refuses a local header that states sizes different from the central entry', async () => {
      await refuses(
        described(descriptor(crc, data.length, content.length), {
          crc,
          size: 5,
          compressedSize: data.length,
        }),
        /the entry “manifest\.json” says 5 bytes/,
      );
    });
  });

  it('streams an entry and names the file in every refusal', async () => {
    const zip = await open(buildZip(validEntries()));
    const reader = zip.stream('manifest.json').getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(new TextDecoder().decode(bytesOf(chunks))).toContain('A story');
    expect(zip.name).toBe(FILE);
    expect(PNG_BYTES.length).toBe(16);
  });
});
