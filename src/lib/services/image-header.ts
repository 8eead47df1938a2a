/**
 * Reads what an image file really is from its first bytes, and its pixel size from its header.
 * Pure: no DOM, so it runs in Node tests and workers alike. createImageBitmap is still the judge of
 * whether a file decodes; this is the fallback where it is missing.
 */
export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageHeader {
  mime: ImageMime;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffMime(bytes: Uint8Array): ImageMime | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'image/webp';
  return null;
}

/** Width and height from the header, or null when the header is missing or cut short. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const mime = sniffMime(bytes);
  const size =
    mime === 'image/png'
      ? pngSize(bytes)
      : mime === 'image/jpeg'
        ? jpegSize(bytes)
        : mime
          ? webpSize(bytes)
          : null;
  if (!mime || !size || size.width <= 0 || size.height <= 0) return null;
  return { mime, ...size };
}

interface Size {
  width: number;
  height: number;
}

function pngSize(b: Uint8Array): Size | null {
  // The first chunk must be IHDR: length(4) "IHDR"(4) width(4) height(4), big-endian.
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return null;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

/** Walk the JPEG segments to the first start-of-frame marker, which holds the size. */
function jpegSize(b: Uint8Array): Size | null {
  let offset = 2;
  while (offset + 4 <= b.length) {
    if (b[offset] !== 0xff) return null;
    const marker = b[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (isStandalone(marker)) {
      offset += 2;
      continue;
    }
    const length = u16be(b, offset + 2);
    if (isStartOfFrame(marker)) {
      if (offset + 9 > b.length) return null;
      return { height: u16be(b, offset + 5), width: u16be(b, offset + 7) };
    }
    if (length < 2) return null;
    offset += 2 + length;
  }
  return null;
}

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

function webpSize(b: Uint8Array): Size | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  const data = 20;
  if (chunk === 'VP8 ') {
    // Lossy: frame tag (3) then start code 9d 01 2a, then 14-bit width and height.
    if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) return null;
    return { width: u16le(b, data + 6) & 0x3fff, height: u16le(b, data + 8) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
    if (b[data] !== 0x2f) return null;
    const bits =
      ((b[data + 1] ?? 0) |
        ((b[data + 2] ?? 0) << 8) |
        ((b[data + 3] ?? 0) << 16) |
        ((b[data + 4] ?? 0) << 24)) >>>
      0;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Extended: flags(4), then canvas width-1 and height-1 as 24-bit little-endian.
    return { width: u24le(b, data + 4) + 1, height: u24le(b, data + 7) + 1 };
  }
  return null;
}

function startsWith(b: Uint8Array, prefix: number[]): boolean {
  return b.length >= prefix.length && prefix.every((byte, i) => b[i] === byte);
}

function ascii(b: Uint8Array, offset: number, length: number): string {
  let text = '';
  for (let i = offset; i < offset + length && i < b.length; i++) text += String.fromCharCode(b[i] ?? 0);
  return text;
}

const at = (b: Uint8Array, i: number) => b[i] ?? 0;
const u16be = (b: Uint8Array, i: number) => (at(b, i) << 8) | at(b, i + 1);
const u16le = (b: Uint8Array, i: number) => at(b, i) | (at(b, i + 1) << 8);
const u24le = (b: Uint8Array, i: number) => at(b, i) | (at(b, i + 1) << 8) | (at(b, i + 2) << 16);
const u32be = (b: Uint8Array, i: number) =>
  ((at(b, i) << 24) | (at(b, i + 1) << 16) | (at(b, i + 2) << 8) | at(b, i + 3)) >>> 0;
