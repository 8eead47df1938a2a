import { describe, expect, it } from 'vitest';
import { readImageHeader, sniffMime } from '../../src/lib/services/image-header';
import { pngBytes } from './helpers';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const le16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const le32 = (n: number) => [...le16(n & 0xffff), ...le16(n >>> 16)];
const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const pad = (b: Uint8Array, to = 64) => {
  const out = new Uint8Array(Math.max(to, b.length));
  out.set(b);
  return out;
};

function jpeg(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, ...be16(16), ...bytes('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dht = [0xff, 0xc4, ...be16(4), 0, 0]; // in the SOF range but not a frame header
  const sof0 = [
    0xff,
    0xc0,
    ...be16(17),
    8,
    ...be16(height),
    ...be16(width),
    3,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ];
  return bytes([0xff, 0xd8], app0, [0xff], dht, sof0, [0xff, 0xd9]);
}

const webp = (chunk: string, data: number[]) =>
  pad(bytes('RIFF', le32(4 + 8 + data.length), 'WEBP', chunk, le32(data.length), data));

describe('sniffMime', () => {
  it('knows PNG, JPEG and WebP by their magic bytes', async () => {
    expect(sniffMime(await pngBytes(2, 2))).toBe('image/png');
    expect(sniffMime(jpeg(10, 10))).toBe('image/jpeg');
    expect(sniffMime(webp('VP8L', [0x2f, 0, 0, 0, 0]))).toBe('image/webp');
  });

  it('refuses text, GIF and empty input', () => {
    expect(sniffMime(bytes('hello, this is a text file renamed to .png'))).toBeNull();
    expect(sniffMime(bytes('GIF89a', [1, 0, 1, 0]))).toBeNull();
    expect(sniffMime(new Uint8Array())).toBeNull();
  });
});

describe('readImageHeader', () => {
  it('reads PNG width and height from IHDR', async () => {
    expect(readImageHeader(await pngBytes(40, 48))).toEqual({ mime: 'image/png', width: 40, height: 48 });
  });

  it('walks JPEG segments past APP0 and DHT to the start of frame', () => {
    expect(readImageHeader(jpeg(640, 480))).toEqual({ mime: 'image/jpeg', width: 640, height: 480 });
  });

  it('reads lossy, lossless and extended WebP', () => {
    const lossy = webp('VP8 ', [0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, ...le16(300), ...le16(200)]);
    expect(readImageHeader(lossy)).toEqual({ mime: 'image/webp', width: 300, height: 200 });
    const bits = (123 - 1) | ((456 - 1) << 14);
    const lossless = webp('VP8L', [0x2f, ...le32(bits)]);
    expect(readImageHeader(lossless)).toEqual({ mime: 'image/webp', width: 123, height: 456 });
    const extended = webp('VP8X', [0, 0, 0, 0, ...le24(4095), ...le24(31)]);
    expect(readImageHeader(extended)).toEqual({ mime: 'image/webp', width: 4096, height: 32 });
  });

  it('returns null for cut-short or corrupt headers', async () => {
    expect(readImageHeader((await pngBytes(4, 4)).slice(0, 20))).toBeNull();
    expect(readImageHeader(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toBeNull();
    expect(readImageHeader(webp('VP8 ', [0, 0, 0, 1, 2, 3, 0, 0, 0, 0]))).toBeNull();
    expect(readImageHeader(bytes('plain text'))).toBeNull();
  });
});
