// Hostile features: encryption, methods, flags and attributes StoryLoom does not read.
import { describe, it } from 'vitest';
import { PNG_BYTES, buildZip, refuses, type RawEntry } from './build';

const png = (extra: Partial<RawEntry>) => buildZip([{ name: 'a.png', content: PNG_BYTES, ...extra }]);

describe('a hostile zip: features', () => {
  it('refuses the encryption flag (bit 0)', async () => {
    await refuses(
      png({ flags: 0x0001 }),
      /the entry “a\.png” is encrypted, and StoryLoom does not read encrypted files/,
    );
  });

  it('refuses strong encryption (bit 6)', async () => {
    await refuses(png({ flags: 0x0041 }), /the entry “a\.png” is encrypted/);
    await refuses(png({ flags: 0x0040 }), /the entry “a\.png” is encrypted/);
  });

  it('refuses masked local headers (bit 13, central directory encryption)', async () => {
    await refuses(png({ flags: 0x2000 }), /the entry “a\.png” is encrypted/);
  });

  it('refuses method 99 (AES)', async () => {
    await refuses(png({ method: 99 }), /the entry “a\.png” is encrypted/);
  });

  it('refuses method 12 (bzip2)', async () => {
    await refuses(
      png({ method: 12 }),
      /the entry “a\.png” uses compression method 12 \(bzip2\); StoryLoom reads only stored \(0\) and deflate \(8\)/,
    );
  });

  it('refuses other methods (LZMA, an unknown one)', async () => {
    await refuses(png({ method: 14 }), /the entry “a\.png” uses compression method 14 \(LZMA\)/);
    await refuses(png({ method: 77 }), /the entry “a\.png” uses compression method 77;/);
  });

  it('refuses general-purpose flags it does not know (patched data, bit 5)', async () => {
    await refuses(
      png({ flags: 0x0020 }),
      /the entry “a\.png” uses general-purpose flags 0x20, which StoryLoom does not read/,
    );
  });

  it('refuses a symbolic link', async () => {
    await refuses(
      png({ central: { madeBy: (3 << 8) | 20, external: (0o120777 << 16) >>> 0 } }),
      /the entry “a\.png” is a symbolic link, and StoryLoom follows no reference outside the file/,
    );
  });

  it('refuses an entry on another disk', async () => {
    await refuses(png({ central: { diskStart: 1 } }), /the entry “a\.png” is on another disk/);
  });

  it('refuses local and central flags that disagree', async () => {
    await refuses(
      png({ local: { flags: 0x0800 } }),
      /the entry “a\.png” has different flags in its local header and its central entry/,
    );
  });

  it('refuses local and central methods that disagree', async () => {
    await refuses(
      png({ local: { method: 8 } }),
      /the entry “a\.png” has a different compression method in its local header/,
    );
  });
});
