// Hostile ZIP64: the end record, its locator, the extra fields and the 64-bit descriptor. A ZIP64
// archive is read only when every ZIP64 structure is there exactly once, where it must be, and
// agrees with the classic fields it stands in for.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../../src/lib/bundle/zip/crc32';
import { BUNDLE_LIMITS } from '../../../../src/lib/bundle/zip/limits';
import {
  buildZip,
  bytesOf,
  descriptor,
  descriptor64,
  enc,
  open,
  refuses,
  u16,
  u32,
  validEntries,
  zip64Extra,
  type RawEntry,
} from './build';

const ALL = ['size', 'compressedSize', 'offset'] as const;
const GiB = 1024 ** 3;

/** The valid base: every value of every entry and of the end record in ZIP64 fields. */
function wideEntries(): RawEntry[] {
  return validEntries().map((e) => ({ ...e, zip64Central: ALL, zip64Local: true }));
}

const mimetypeBytes = enc.encode('application/vnd.storyloom+zip');

/** An entry written as a stream: a local ZIP64 field of zeros, then the data descriptor `after` makes. */
function streamed(after: (crc: number, compressedSize: number, size: number) => Uint8Array): RawEntry {
  const content = enc.encode('streamed');
  return {
    name: 'a.txt',
    content,
    flags: 0x0008,
    local: { crc: 0 },
    zip64Local: { size: 0, compressedSize: 0 },
    after: after(crc32(content), content.length, content.length),
  };
}

describe('a hostile zip: ZIP64', () => {
  it('accepts a ZIP64 archive with every value marked (as our writer forces it)', async () => {
    const zip = await open(buildZip(wideEntries(), { zip64: {} }));
    expect(zip.entries.map((e) => e.name)).toEqual(['mimetype', 'manifest.json']);
    expect(await zip.read('mimetype')).toEqual(mimetypeBytes);
    expect(zip.entries[1]!.offset).toBeGreaterThan(0);
  });

  it('accepts a ZIP64 end record whose end record repeats the values that fit (as Python writes it)', async () => {
    const zip = await open(buildZip(validEntries(), { zip64: { classicValues: true } }));
    expect(zip.entries.length).toBe(2);
  });

  it('accepts a local ZIP64 field with zero sizes and a 64-bit data descriptor', async () => {
    const zip = await open(buildZip([streamed(descriptor64)], { zip64: {} }));
    expect(await zip.read('a.txt')).toEqual(enc.encode('streamed'));
  });

  it('refuses a 32-bit data descriptor after a local ZIP64 field', async () => {
    await refuses(
      buildZip([streamed(descriptor)]),
      /the entry “a\.txt” has a data descriptor that does not match its central entry/,
    );
  });

  // The locator and the record.

  it('refuses a locator that points elsewhere than the record before it', async () => {
    await refuses(
      buildZip(wideEntries(), { zip64: { pointsAt: 0 } }),
      /its ZIP64 end-record locator points at byte 0, not at the ZIP64 end record right before it \(byte \d+\)/,
    );
  });

  it('refuses a locator whose record is not there (a damaged signature)', async () => {
    const zip = buildZip(wideEntries(), { zip64: {} });
    const recordAt = zip.length - 22 - 20 - 56;
    zip[recordAt] = 0; // the record's signature broken
    await refuses(zip, /its ZIP64 end-record locator points at byte \d+, where no ZIP64 end record is/);
  });

  it('refuses a ZIP64 end record with extensible data', async () => {
    await refuses(
      buildZip(wideEntries(), { zip64: { extensible: new Uint8Array(8) } }),
      /its ZIP64 end-record locator points at byte [\d,]+, not at the ZIP64 end record right before it/,
    );
    await refuses(
      buildZip(wideEntries(), { zip64: { recordSize: 52 } }),
      /its ZIP64 end record says it is 64 bytes, not the 56 bytes of one without extensible data/,
    );
  });

  it('refuses a ZIP64 end record of a newer version (6.2: an encrypted central directory)', async () => {
    await refuses(
      buildZip(wideEntries(), { zip64: { versionNeeded: 62 } }),
      /its ZIP64 end record needs zip version 6\.2, and StoryLoom reads up to 4\.5/,
    );
  });

  it('refuses a ZIP64 record that claims a second disk', async () => {
    // The end record marks its disk numbers (0xFFFF) so that the ZIP64 record's are the ones read.
    for (const zip64 of [{ disk: 1 }, { cdDisk: 1 }, { entriesOnDisk: 1 }, { recordDisk: 1 }, { disks: 2 }])
      await refuses(
        buildZip(wideEntries(), { disk: 0xffff, zip64 }),
        /it is split over several disks, which StoryLoom does not read/,
      );
    await refuses(
      buildZip(wideEntries(), { zip64: { disk: 1 } }),
      /its end record and its ZIP64 end record disagree on the disk number \(0 and 1\)/,
    );
  });

  it('refuses a ZIP64 entry count that disagrees with the central directory', async () => {
    await refuses(
      buildZip(wideEntries(), { zip64: { entryCount: 3, entriesOnDisk: 3 } }),
      /its end record says it has 3 entries, but its central directory holds 2/,
    );
    await refuses(
      buildZip(wideEntries(), { zip64: { entryCount: 1, entriesOnDisk: 1 } }),
      /its end record says it has 1 entry, but its central directory holds more/,
    );
  });

  it('refuses an end record that disagrees with its ZIP64 end record where it does not mark', async () => {
    await refuses(
      buildZip(wideEntries(), { entryCount: 2, zip64: { entryCount: 3, entriesOnDisk: 3 } }),
      /its end record and its ZIP64 end record disagree on the number of entries on this disk \(2 and 3\)/,
    );
    await refuses(
      buildZip(wideEntries(), { zip64: { classicValues: true, cdOffset: 7 } }),
      /its end record and its ZIP64 end record disagree on the central directory offset \(\d+ and 7\)/,
    );
  });

  it('refuses ZIP64 directory sizes and offsets that overlap or exceed the file', async () => {
    await refuses(
      buildZip(wideEntries(), { zip64: { cdOffset: 5 * GiB } }),
      /its central directory \(at byte 5,368,709,120, \d+ bytes\) lies outside the file of \d+ bytes/,
    );
    await refuses(
      buildZip(wideEntries(), { zip64: { cdOffset: 0xffff_ffff_ffff_ffffn } }),
      /its central directory \(at byte [\d,]+, \d+ bytes\) lies outside the file of \d+ bytes/,
    );
    const whole = buildZip(wideEntries(), { zip64: {} });
    const recordAt = whole.length - 22 - 20 - 56;
    const cdOffset = Number(new DataView(whole.buffer).getBigUint64(recordAt + 48, true));
    await refuses(
      buildZip(wideEntries(), { zip64: { cdSize: recordAt - cdOffset + 10 } }),
      /its central directory overlaps its ZIP64 end record/,
    );
    await refuses(
      buildZip(wideEntries(), { zip64: { before: new Uint8Array(9) } }),
      /9 bytes between its central directory and its ZIP64 end record belong to nothing/,
    );
  });

  it('refuses ZIP64 entry sizes and offsets that overlap or exceed the file or the limits', async () => {
    const bigOffset = wideEntries();
    bigOffset[1]!.central = { offset: 3 }; // inside the mimetype entry, through the ZIP64 field
    await refuses(
      buildZip(bigOffset, { zip64: {} }),
      /the entry “manifest\.json” overlaps the data of the entry “mimetype”/,
    );

    const pastFile = wideEntries();
    pastFile[1]!.central = { compressedSize: 6 * GiB, size: 6 * GiB };
    await refuses(
      buildZip(pastFile, { zip64: {} }),
      /the entry “manifest\.json” is 6,442,450,944 bytes uncompressed, more than the 64 MiB allowed for one entry/,
    );
    await refuses(
      buildZip(pastFile, { zip64: {} }),
      /the entry “manifest\.json” says its data is 6,442,450,944 bytes, more than the whole file/,
      { ...BUNDLE_LIMITS, maxEntryBytes: 8 * GiB, maxTotalBytes: 16 * GiB },
    );

    const afterDirectory = wideEntries();
    afterDirectory[1]!.central = { offset: 5 * GiB };
    await refuses(
      buildZip(afterDirectory, { zip64: {} }),
      /the entry “manifest\.json” says its data lies inside or after the central directory/,
    );
  });

  // The extra fields.

  it('refuses a ZIP64 extra field of the wrong length (a field missing or one too many)', async () => {
    const missing = validEntries();
    missing[0]!.central = { size: 0xffffffff, compressedSize: 0xffffffff, extra: zip64Extra(29) };
    await refuses(
      buildZip(missing),
      /the entry “mimetype” has a ZIP64 extra field of 8 bytes in its central header, but the values marked for it \(size and compressed size\) need 16 bytes/,
    );
    const extra = validEntries();
    extra[0]!.central = { size: 0xffffffff, extra: zip64Extra(29, 29) };
    await refuses(
      buildZip(extra),
      /the entry “mimetype” has a ZIP64 extra field of 16 bytes in its central header, but the values marked for it \(size\) need 8 bytes/,
    );
    const odd = validEntries();
    odd[0]!.central = { offset: 0xffffffff, extra: bytesOf([u16(1), u16(4), u32(0)]) };
    await refuses(
      buildZip(odd),
      /the entry “mimetype” has a ZIP64 extra field of 4 bytes in its central header, but the values marked for it \(offset\) need 8 bytes/,
    );
  });

  it('refuses ZIP64 values in another order than APPNOTE’s (offset before size)', async () => {
    const entries = validEntries();
    // Marked: size and offset; given: offset 0 first, then the size 29 — read as size 0, offset 29.
    entries[0]!.central = { size: 0xffffffff, offset: 0xffffffff, extra: zip64Extra(0, 29) };
    await refuses(
      buildZip(entries),
      /the entry “mimetype” is stored uncompressed but says 29 bytes stored for 0 bytes/,
    );
  });

  it('refuses 0xFFFFFFFF markers without an extra field (the offset alone, and the disk)', async () => {
    const offset = validEntries();
    offset[0]!.central = { offset: 0xffffffff };
    await refuses(
      buildZip(offset),
      /the entry “mimetype” marks its offset as ZIP64 \(0xFFFF…\) in its central header, but has no ZIP64 extra field there/,
    );
    const disk = validEntries();
    disk[0]!.central = { diskStart: 0xffff };
    await refuses(
      buildZip(disk),
      /the entry “mimetype” marks its disk as ZIP64 \(0xFFFF…\) in its central header, but has no ZIP64 extra field there/,
    );
  });

  it('refuses a ZIP64 disk number that is not 0', async () => {
    const entries = validEntries();
    entries[0]!.central = { diskStart: 0xffff, extra: bytesOf([u16(1), u16(4), u32(1)]) };
    await refuses(
      buildZip(entries),
      /the entry “mimetype” is on another disk, which StoryLoom does not read/,
    );
  });

  it('refuses two ZIP64 extra fields', async () => {
    const entries = validEntries();
    entries[0]!.central = { size: 0xffffffff, extra: bytesOf([zip64Extra(29), zip64Extra(29)]) };
    await refuses(buildZip(entries), /the entry “mimetype” has two ZIP64 extra fields/);
  });

  it('refuses a local ZIP64 field that does not hold both sizes, or disagrees with the central entry', async () => {
    const one = validEntries();
    one[0]!.local = { size: 0xffffffff, extra: zip64Extra(29) };
    await refuses(
      buildZip(one),
      /the entry “mimetype” marks only one of its sizes as ZIP64 in its local header \(a local ZIP64 field holds both\)/,
    );
    const short = validEntries();
    short[0]!.local = { size: 0xffffffff, compressedSize: 0xffffffff, extra: zip64Extra(29) };
    await refuses(
      buildZip(short),
      /the entry “mimetype” has a ZIP64 extra field of 8 bytes in its local header, but the values marked for it \(size and compressed size\) need 16 bytes/,
    );
    const unmarked = validEntries();
    unmarked[0]!.local = { extra: zip64Extra(29, 29) };
    await refuses(
      buildZip(unmarked),
      /the entry “mimetype” has a ZIP64 extra field in its local header, but no value there is marked for it/,
    );
    const lying = validEntries();
    lying[0]!.zip64Local = { size: 30, compressedSize: 30 };
    await refuses(
      buildZip(lying),
      /the entry “mimetype” says 30 bytes \(30 bytes compressed\) in its local header but 29 bytes \(29 bytes compressed\) in the central directory/,
    );
  });
});
