import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/lib/bundle/zip/crc32';

const bytes = (length: number, seed: number) => {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
};

describe('crc32', () => {
  it('matches the published check value and zlib on every length around the 8-byte stride', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    for (let length = 0; length < 40; length++) {
      const b = bytes(length, length + 1);
      expect(crc32(b), `length ${length}`).toBe(zlibCrc32(b) >>> 0);
    }
    const big = bytes(1_000_003, 9);
    expect(crc32(big)).toBe(zlibCrc32(big) >>> 0);
  });

  it('continues a running CRC across chunks of any size', () => {
    const b = bytes(10_000, 3);
    let running = 0;
    for (let at = 0; at < b.length; at += 1 + (at % 13))
      running = crc32(b.subarray(at, at + 1 + (at % 13)), running);
    expect(running).toBe(crc32(b));
  });

  it('reads a subarray at an odd offset of its buffer', () => {
    const b = bytes(1000, 4);
    expect(crc32(b.subarray(3, 997))).toBe(zlibCrc32(b.subarray(3, 997)) >>> 0);
  });
});
