// Hostile structure: the end record, the central directory, and how entries tile the file.
import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS } from '../../../../src/lib/bundle/zip/limits';
import { PNG_BYTES, buildZip, bytesOf, enc, open, refuses, u16, u32, validEntries } from './build';

describe('a hostile zip: structure', () => {
  it('accepts the valid base every case breaks', async () => {
    const zip = await open(buildZip(validEntries()));
    expect(zip.entries.map((e) => e.name)).toEqual(['mimetype', 'manifest.json']);
  });

  it('refuses a file that is not a zip (PNG bytes)', async () => {
    await refuses(
      bytesOf([PNG_BYTES, new Uint8Array(64)]),
      /it is not a zip file \(it does not start with a zip signature\)/,
    );
  });

  it('refuses a file too short to be a zip', async () => {
    await refuses(enc.encode('PK'), /it is 2 bytes, too short to be a zip \(at least 22 bytes\)/);
  });

  it('refuses a truncated file', async () => {
    const whole = buildZip(validEntries());
    await refuses(
      whole.subarray(0, 80),
      /it is cut short or damaged \(its end-of-central-directory record is missing\)/,
    );
  });

  it('refuses two end records', async () => {
    const whole = buildZip(validEntries());
    await refuses(
      bytesOf([whole, whole.subarray(whole.length - 22)]),
      /it has more than one end-of-central-directory record/,
    );
  });

  it('refuses an end record nested in another one’s comment', async () => {
    const whole = buildZip(validEntries());
    const inner = whole.subarray(whole.length - 22);
    const outer = buildZip(validEntries(), { comment: inner });
    await refuses(outer, /it has more than one end-of-central-directory record/);
  });

  it('refuses an end record whose comment length is longer than the file', async () => {
    await refuses(
      buildZip(validEntries(), { commentLength: 10 }),
      /its end record says its comment is 10 bytes, but 0 bytes follow it/,
    );
  });

  it('refuses an end record whose comment length is shorter than what follows', async () => {
    await refuses(
      buildZip(validEntries(), { comment: enc.encode('hello'), commentLength: 2 }),
      /its end record says its comment is 2 bytes, but 5 bytes follow it/,
    );
  });

  it('refuses a central directory offset past the end of the file', async () => {
    await refuses(
      buildZip(validEntries(), { cdOffset: 1_000_000 }),
      /its central directory \(at byte 1,000,000, \d+ bytes\) lies outside the file of \d+ bytes/,
    );
  });

  it('refuses a central directory size that runs into the end record', async () => {
    // The central directory is 113 bytes; 120 reaches 7 bytes into the 22-byte end record.
    await refuses(buildZip(validEntries(), { cdSize: 120 }), /its central directory overlaps its end record/);
  });

  it('refuses an end record that claims more entries than the central directory holds', async () => {
    await refuses(
      buildZip(validEntries(), { entryCount: 3 }),
      /its end record says it has 3 entries, but its central directory holds 2/,
    );
  });

  it('refuses an end record that claims fewer entries than the central directory holds', async () => {
    await refuses(
      buildZip(validEntries(), { entryCount: 1 }),
      /its end record says it has 1 entry, but its central directory holds more/,
    );
  });

  it('refuses an archive split over several disks', async () => {
    await refuses(buildZip(validEntries(), { disk: 1 }), /it is split over several disks/);
  });

  it('refuses bytes between the central directory and the end record', async () => {
    await refuses(
      buildZip(validEntries(), { beforeEnd: new Uint8Array(7) }),
      /7 bytes between its central directory and its end record belong to nothing/,
    );
  });

  it('refuses bytes hidden between two entries', async () => {
    const entries = validEntries();
    entries[0]!.after = enc.encode('hidden payload');
    await refuses(
      buildZip(entries),
      /14 bytes between the entries “mimetype” and “manifest\.json” belong to no entry/,
    );
  });

  it('refuses bytes hidden after the last entry', async () => {
    const entries = validEntries();
    entries[1]!.after = enc.encode('hidden');
    await refuses(
      buildZip(entries),
      /6 bytes between the entry “manifest\.json” and the central directory belong to no entry/,
    );
  });

  it('refuses bytes before the first entry (a polyglot)', async () => {
    await refuses(
      buildZip(validEntries(), { prepend: bytesOf([u32(0x04034b50), new Uint8Array(40)]) }),
      /44 bytes before its first entry belong to no entry/,
    );
  });

  it('refuses two central entries pointing at the same local data (overlap)', async () => {
    const entries = [
      { name: 'a.png', content: PNG_BYTES },
      { name: 'b.png', content: PNG_BYTES, sharesWith: 0 },
    ];
    await refuses(buildZip(entries), /the entry “b\.png” overlaps the data of the entry “a\.png”/);
  });

  it('refuses an entry whose local header lies inside another entry’s data (overlap)', async () => {
    const inner = buildZip([{ name: 'b.png', content: PNG_BYTES }]);
    const localB = inner.subarray(0, 30 + 5 + PNG_BYTES.length);
    // a.png's stored data is b.png's whole local entry; b.png's central entry points into it.
    const entries = [
      { name: 'a.png', content: localB },
      { name: 'b.png', content: PNG_BYTES, sharesWith: 0, central: { offset: 30 + 5 } },
    ];
    await refuses(buildZip(entries), /the entry “b\.png” overlaps the data of the entry “a\.png”/);
  });

  it('refuses a central entry whose offset points into the central directory', async () => {
    const entries = validEntries();
    entries[1]!.central = { offset: 10_000 };
    await refuses(
      buildZip(entries),
      /the entry “manifest\.json” says its data lies inside or after the central directory/,
    );
  });

  it('refuses a central entry that points where no local header is', async () => {
    const entries = [
      { name: 'a.png', content: bytesOf([PNG_BYTES, PNG_BYTES]) },
      { name: 'b.png', content: PNG_BYTES, sharesWith: 0, central: { offset: 30 + 5 + 16 } },
    ];
    // b.png would start inside a.png's data: refused as an overlap before its header is even read.
    await refuses(buildZip(entries), /the entry “b\.png” overlaps the data of the entry “a\.png”/);
  });

  it('refuses the ZIP64 marker in the end record without a ZIP64 end record', async () => {
    await refuses(
      buildZip(validEntries(), { entryCount: 0xffff }),
      /its end record marks its number of entries on this disk and total number of entries as held in a ZIP64 end record \(0xFFFF…\), but it has none/,
    );
  });

  it('refuses a ZIP64 end-record locator with no ZIP64 end record where it points', async () => {
    const locator = bytesOf([u32(0x07064b50), u32(0), u32(0), u32(0), u32(1)]);
    await refuses(
      buildZip(validEntries(), { beforeEnd: locator }),
      /its ZIP64 end-record locator points at byte 0, not at the ZIP64 end record right before it \(byte \d+\)/,
    );
  });

  it('refuses ZIP64 markers in a central entry without a ZIP64 extra field', async () => {
    const entries = validEntries();
    entries[1]!.central = { compressedSize: 0xffffffff, size: 0xffffffff };
    await refuses(
      buildZip(entries),
      /the entry “manifest\.json” marks its size and compressed size as ZIP64 \(0xFFFF…\) in its central header, but has no ZIP64 extra field there/,
    );
  });

  it('refuses a ZIP64 extra field where no value is marked for it', async () => {
    const entries = validEntries();
    entries[0]!.central = { extra: bytesOf([u16(1), u16(8), u32(29), u32(0)]) };
    await refuses(
      buildZip(entries),
      /the entry “mimetype” has a ZIP64 extra field in its central header, but no value there is marked for it \(0xFFFF…\)/,
    );
  });

  it('refuses a damaged extra field', async () => {
    const entries = validEntries();
    entries[0]!.central = { extra: bytesOf([u16(0x5455), u16(40), u32(0)]) };
    await refuses(buildZip(entries), /the entry “mimetype” has a damaged extra field/);
  });

  it('refuses more entries than the limit, before parsing them', async () => {
    // Past 65,535 only a ZIP64 end record can say it.
    await refuses(
      buildZip(validEntries(), { zip64: { entryCount: BUNDLE_LIMITS.maxEntries + 1 } }),
      /it has 500,001 entries, more than the 500,000 allowed/,
    );
    const three = [...validEntries(), { name: 'c.txt', content: enc.encode('c') }];
    await refuses(buildZip(three), /it has 3 entries, more than the 2 allowed/, {
      ...BUNDLE_LIMITS,
      maxEntries: 2,
    });
  });

  it('accepts an empty zip (an end record alone)', async () => {
    expect((await open(buildZip([]))).entries).toEqual([]);
  });
});
