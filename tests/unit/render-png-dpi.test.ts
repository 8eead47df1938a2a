import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { withPngDpi } from '../../src/lib/services/png-dpi';

// An independent CRC-32: bit by bit, no table (the module under test uses a table).
function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(
    [...type].map((c) => c.charCodeAt(0)),
    4,
  );
  out.set(data, 8);
  view.setUint32(8 + data.length, crcBitwise(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A 2×1 RGB PNG, with optional extra chunks after IHDR. */
function png(extra: Uint8Array[] = []): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, 2);
  v.setUint32(4, 1);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = new Uint8Array([0, 255, 0, 0, 0, 0, 255]);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  crcOk: boolean;
}

function chunks(bytes: Uint8Array): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at < bytes.length;) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + len);
    const crc = view.getUint32(at + 8 + len);
    out.push({ type, data, crc, crcOk: crc === crcBitwise(bytes.subarray(at + 4, at + 8 + len)) });
    at += 12 + len;
  }
  return out;
}

const phys = (c: Chunk) => {
  const v = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return { x: v.getUint32(0), y: v.getUint32(4), unit: c.data[8] };
};

describe('withPngDpi', () => {
  it('inserts a pHYs chunk right after IHDR with pixels per metre and a correct CRC', () => {
    const out = withPngDpi(png(), 300);
    const list = chunks(out);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'pHYs', 'IDAT', 'IEND']);
    const p = list[1]!;
    expect(p.data.length).toBe(9);
    expect(phys(p)).toEqual({ x: Math.round(300 / 0.0254), y: 11811, unit: 1 });
    expect(list.every((c) => c.crcOk)).toBe(true);
    // Cross-check with Node's zlib CRC-32 as well.
    const typeAndData = out.subarray(8 + 25 + 4, 8 + 25 + 4 + 4 + 9);
    expect(p.crc).toBe(zlibCrc32(typeAndData) >>> 0);
  });

  it('keeps the other chunks byte for byte', () => {
    const input = png();
    const out = withPngDpi(input, 96);
    const a = chunks(input);
    const b = chunks(out).filter((c) => c.type !== 'pHYs');
    expect(b.map((c) => [c.type, [...c.data], c.crc])).toEqual(a.map((c) => [c.type, [...c.data], c.crc]));
    expect(out.length).toBe(input.length + 21);
  });

  it('replaces an existing pHYs instead of adding a second one', () => {
    const old = new Uint8Array(9);
    new DataView(old.buffer).setUint32(0, 2835);
    new DataView(old.buffer).setUint32(4, 2835);
    old[8] = 1;
    const text = chunk('tEXt', new TextEncoder().encode('Software\u0000test'));
    const input = png([text, chunk('pHYs', old)]);
    const out = withPngDpi(input, 600);
    const list = chunks(out);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'pHYs', 'tEXt', 'IDAT', 'IEND']);
    expect(phys(list[1]!)).toEqual({ x: 23622, y: 23622, unit: 1 });
    expect(list.every((c) => c.crcOk)).toBe(true);
    // Idempotent: marking again changes nothing.
    expect([...withPngDpi(out, 600)]).toEqual([...out]);
  });

  it('refuses bytes that are not a PNG', () => {
    expect(() => withPngDpi(new Uint8Array(40), 300)).toThrow(/not a PNG/);
    const cut = png().subarray(0, 40);
    expect(() => withPngDpi(cut, 300)).toThrow(/cut short|longer than the file/);
  });
});
