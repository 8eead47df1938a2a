/**
 * Writes a JPEG's resolution into its JFIF APP0 segment (units = dots per inch), as the PNG's pHYs
 * is written: canvas encoders put a 1:1 aspect there. A JPEG without a JFIF header right after
 * SOI is returned unchanged (nothing else is rewritten). Pure bytes in, bytes out.
 */
export function withJpegDpi(jpeg: Uint8Array, dpi: number): Uint8Array {
  const d = Math.round(dpi);
  if (!(d >= 1 && d <= 0xffff)) throw new RangeError(`A resolution must be 1…65535 dpi, got ${dpi}.`);
  const isJfif =
    jpeg.length >= 18 &&
    jpeg[0] === 0xff &&
    jpeg[1] === 0xd8 &&
    jpeg[2] === 0xff &&
    jpeg[3] === 0xe0 &&
    String.fromCharCode(...jpeg.subarray(6, 11)) === 'JFIF\0';
  if (!isJfif) return jpeg;
  const out = jpeg.slice();
  out[13] = 1;
  out[14] = out[16] = d >> 8;
  out[15] = out[17] = d & 0xff;
  return out;
}
