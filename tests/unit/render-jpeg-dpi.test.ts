import { describe, expect, it } from 'vitest';
import { withJpegDpi } from '../../src/lib/services/jpeg-dpi';

// SOI, then an APP0 JFIF 1.01 segment with units 0 (aspect only) and density 1:1, then EOI.
const jfif = Uint8Array.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
  0x00, 0x00, 0xff, 0xd9,
]);

describe('withJpegDpi', () => {
  it('writes dots per inch into the JFIF header and leaves the input alone', () => {
    const out = withJpegDpi(jfif, 300);
    expect(out[13]).toBe(1);
    expect((out[14]! << 8) | out[15]!).toBe(300);
    expect((out[16]! << 8) | out[17]!).toBe(300);
    expect(out.length).toBe(jfif.length);
    expect(jfif[13]).toBe(0);
  });

  it('returns a JPEG without JFIF unchanged and refuses a silly resolution', () => {
    const exif = Uint8Array.from([
      0xff, 0xd8, 0xff, 0xe1, 0, 8, 0x45, 0x78, 0x69, 0x66, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(withJpegDpi(exif, 300)).toBe(exif);
    expect(() => withJpegDpi(jfif, 0)).toThrow(RangeError);
  });
});
