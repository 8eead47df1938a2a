/**
 * Writes a PNG's physical resolution (a `pHYs` chunk) so a page rendered at 300 dpi prints at its
 * size. Canvas encoders write no pHYs; this inserts one right after IHDR, or replaces the one
 * already there. Pure bytes in, bytes out.
 */

import { crc32 } from '../bundle/zip/crc32';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function fail(why: string): never {
  throw new Error(`This is not a PNG StoryLoom can mark with a resolution: ${why}.`);
}

/** The pHYs chunk for `dpi` (pixels per metre, unit 1 = metre), with its length and CRC. */
function physChunk(dpi: number): Uint8Array {
  const ppm = Math.round(dpi / 0.0254);
  const chunk = new Uint8Array(4 + 4 + 9 + 4);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, 9);
  chunk.set([0x70, 0x48, 0x59, 0x73], 4); // "pHYs"
  view.setUint32(8, ppm);
  view.setUint32(12, ppm);
  chunk[16] = 1;
  view.setUint32(17, crc32(chunk.subarray(4, 17)));
  return chunk;
}

/** `png` with a pHYs chunk saying `dpi` in both directions; an existing pHYs is replaced. */
export function withPngDpi(png: Uint8Array, dpi: number): Uint8Array {
  if (!(dpi > 0) || !Number.isFinite(dpi))
    throw new Error(`The resolution must be a positive number, got ${dpi}.`);
  if (png.length < 8 + 25 || SIGNATURE.some((b, i) => png[i] !== b)) fail('the signature is missing');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const type = (at: number) => String.fromCharCode(...png.subarray(at + 4, at + 8));
  if (type(8) !== 'IHDR') fail('the first chunk is not IHDR');
  const afterIhdr = 8 + 12 + view.getUint32(8);
  // Every chunk but an old pHYs is kept as it is, in its order.
  const kept: Uint8Array[] = [png.subarray(0, afterIhdr), physChunk(dpi)];
  let at = afterIhdr;
  while (at < png.length) {
    if (at + 12 > png.length) fail('a chunk is cut short');
    const end = at + 12 + view.getUint32(at);
    if (end > png.length) fail('a chunk is longer than the file');
    if (type(at) !== 'pHYs') kept.push(png.subarray(at, end));
    at = end;
  }
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
