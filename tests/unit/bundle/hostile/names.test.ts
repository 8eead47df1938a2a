// Hostile names: every rule that keeps a name a plain, portable, relative path that means one thing.
import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS } from '../../../../src/lib/bundle/zip/limits';
import { PNG_BYTES, buildZip, bytesOf, enc, open, refuses, u16, type RawEntry } from './build';

const one = (name: string | Uint8Array, extra: Partial<RawEntry> = {}) =>
  buildZip([
    { name: 'mimetype', content: enc.encode('x') },
    { name, content: PNG_BYTES, ...extra },
  ]);

describe('a hostile zip: names', () => {
  it('refuses a name that appears twice', async () => {
    await refuses(
      buildZip([
        { name: 'a.png', content: PNG_BYTES },
        { name: 'a.png', content: PNG_BYTES },
      ]),
      /the entry “a\.png” appears twice/,
    );
  });

  it('refuses names that differ only in case', async () => {
    const zip = buildZip([
      { name: 'images/A.png', content: PNG_BYTES },
      { name: 'images/a.png', content: PNG_BYTES },
    ]);
    await refuses(
      zip,
      /the entry “images\/a\.png” has the same name as the entry “images\/A\.png” on some systems/,
    );
  });

  it('refuses an NFD name that equals an NFC one', async () => {
    const nfc = 'caf\u00e9.png';
    const nfd = 'cafe\u0301.png';
    const zip = buildZip([
      { name: nfc, content: PNG_BYTES },
      { name: nfd, content: PNG_BYTES },
    ]);
    const message = await refuses(zip, /has the same name as the entry “café\.png” on some systems/);
    expect(message).toContain(`the entry “${nfd}”`);
  });

  it('refuses a name not in NFC', async () => {
    await refuses(
      one('cafe\u0301.png'),
      /the entry “cafe\u0301\.png” has a name that is not in Unicode normal form NFC/,
    );
  });

  it('refuses “..” segments', async () => {
    await refuses(one('../evil'), /the entry “\.\.\/evil” has a “\.\.” path segment/);
    await refuses(one('images/../../evil'), /the entry “images\/\.\.\/\.\.\/evil” has a “\.\.” path segment/);
  });

  it('refuses “.” segments', async () => {
    await refuses(one('./a'), /the entry “\.\/a” has a “\.” path segment/);
  });

  it('refuses absolute paths', async () => {
    await refuses(one('/abs'), /the entry “\/abs” has an absolute path/);
  });

  it('refuses drive letters', async () => {
    await refuses(one('C:\\x'), /the entry “C:\\x” starts with a drive letter/);
    await refuses(one('c:x'), /the entry “c:x” starts with a drive letter/);
  });

  it('refuses backslashes', async () => {
    await refuses(one('a\\b'), /the entry “a\\b” has a backslash in its name/);
  });

  it('refuses colons (NTFS streams)', async () => {
    await refuses(one('a.png:hidden'), /the entry “a\.png:hidden” has a colon in its name/);
  });

  it('refuses empty segments', async () => {
    await refuses(one('a//b'), /the entry “a\/\/b” has an empty path segment/);
  });

  it('refuses NUL in a name, and shows it escaped', async () => {
    await refuses(
      one('a.png\u0000.exe'),
      /the entry “a\.pngU\+0000\.exe” has a control character in its name/,
    );
  });

  it('refuses control characters', async () => {
    await refuses(
      one('\u001b[31mred.png'),
      /the entry “U\+001B\[31mred\.png” has a control character in its name/,
    );
    await refuses(one('a\u0085b'), /the entry “aU\+0085b” has a control character in its name/);
  });

  it('refuses text-direction characters (a name that displays as something else)', async () => {
    await refuses(one('evil\u202egnp.exe'), /the entry “evilU\+202Egnp\.exe” has a text-direction character/);
  });

  it('refuses non-ASCII name bytes without the UTF-8 flag (CP437)', async () => {
    const cp437 = Uint8Array.from([...enc.encode('caf'), 0x82, ...enc.encode('.png')]);
    await refuses(
      one(cp437, { flags: 0 }),
      /the entry “caf\uFFFD\.png” has a name that is neither ASCII nor marked as UTF-8/,
    );
  });

  it('refuses invalid UTF-8 under the UTF-8 flag', async () => {
    const bad = Uint8Array.from([0x61, 0xc3, 0x28, 0x2e, 0x70]);
    await refuses(one(bad, { flags: 0x0800 }), /the entry “a\uFFFD\(\.p” has a name that is not valid UTF-8/);
    const overlong = Uint8Array.from([0xc0, 0xaf, 0x65]); // an overlong “/”
    await refuses(one(overlong, { flags: 0x0800 }), /has a name that is not valid UTF-8/);
  });

  it('accepts a UTF-8 name under the flag', async () => {
    const zip = await open(one('images/日本語 é.png'));
    expect(zip.entries[1]!.name).toBe('images/日本語 é.png');
  });

  it('refuses a folder entry unless folders are allowed', async () => {
    const zip = buildZip([{ name: 'images/' }, { name: 'images/a.png', content: PNG_BYTES }]);
    await refuses(zip, /the entry “images\/” is a folder entry, and this file may hold files only/);
    const opened = await open(zip, { ...BUNDLE_LIMITS, allowDirectories: true });
    expect(opened.entries[0]!.directory).toBe(true);
  });

  it('refuses a folder entry that holds data', async () => {
    const zip = buildZip([{ name: 'images/', content: PNG_BYTES }]);
    await refuses(zip, /the entry “images\/” is a folder entry that holds data/, {
      ...BUNDLE_LIMITS,
      allowDirectories: true,
    });
  });

  it('refuses a name used both as a file and as a folder', async () => {
    const zip = buildZip([
      { name: 'images', content: PNG_BYTES },
      { name: 'images/a.png', content: PNG_BYTES },
    ]);
    await refuses(zip, /the entry “images\/a\.png” lies inside “images”, which is also a file/);
  });

  it('refuses an empty name', async () => {
    await refuses(one(''), /it has an entry with an empty name/);
  });

  it('refuses a name longer than 255 bytes, and shortens it to show it', async () => {
    const long = `images/${'a'.repeat(245)}.png`; // 256 bytes
    const message = await refuses(one(long), /has a name of 256 bytes, longer than the 255 bytes allowed/);
    expect(message).toContain(`the entry “images/${'a'.repeat(49)}…`);
    await expect(open(one(long.slice(1)))).resolves.toBeDefined();
  });

  it('refuses a different name in the local header', async () => {
    const zip = one('a.png', { local: { name: enc.encode('evil.exe') } });
    await refuses(zip, /the entry “a\.png” has a different name in its local header \(“evil\.exe”\)/);
  });

  it('refuses a second (Unicode path) name in an extra field', async () => {
    const unicodePath = bytesOf([u16(0x7075), u16(9), [1, 0, 0, 0, 0], enc.encode('evil')]);
    await refuses(
      one('a.png', { central: { extra: unicodePath } }),
      /the entry “a\.png” carries a second name/,
    );
  });
});
