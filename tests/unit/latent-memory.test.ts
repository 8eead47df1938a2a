import { describe, expect, it } from 'vitest';
import {
  cropLatents,
  LatentMemory,
  pictureKey,
  type KeptLatents,
} from '../../src/lib/pipeline/latent-memory';

/** Latents whose every value names its place: c·1000 + y·10 + x. */
function numbered(channels: number, lh: number, lw: number, f = 8): KeptLatents {
  const data = new Float32Array(channels * lh * lw);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < lh; y++)
      for (let x = 0; x < lw; x++) data[(c * lh + y) * lw + x] = c * 1000 + y * 10 + x;
  return { width: lw * f, height: lh * f, shape: [1, channels, lh, lw], data };
}

describe('the latent memory of local edits', () => {
  it('slices the latents under a crop, channel by channel', () => {
    const kept = numbered(2, 6, 8);
    const out = cropLatents(kept, { x: 16, y: 8, width: 24, height: 16 });
    // Latent cells x 2..4, y 1..2 of both channels.
    expect(Array.from(out ?? [])).toEqual([12, 13, 14, 22, 23, 24, 1012, 1013, 1014, 1022, 1023, 1024]);
  });

  it('refuses crops off the latent grid or outside the picture', () => {
    const kept = numbered(1, 4, 4);
    expect(cropLatents(kept, { x: 4, y: 0, width: 8, height: 8 })).toBeNull();
    expect(cropLatents(kept, { x: 0, y: 0, width: 12, height: 8 })).toBeNull();
    expect(cropLatents(kept, { x: 24, y: 0, width: 16, height: 8 })).toBeNull();
    expect(cropLatents(kept, { x: 0, y: 0, width: 0, height: 8 })).toBeNull();
    expect(cropLatents(kept, { x: 0, y: 0, width: 32, height: 32 })?.length).toBe(16);
  });

  it('keys a picture by its exact bytes and size', async () => {
    const a = new Uint8ClampedArray(64 * 4).fill(7);
    const b = Uint8ClampedArray.from(a);
    b[5] = 8;
    expect(await pictureKey(a, 8, 8)).toBe(await pictureKey(Uint8ClampedArray.from(a), 8, 8));
    expect(await pictureKey(a, 8, 8)).not.toBe(await pictureKey(b, 8, 8));
    expect(await pictureKey(a, 8, 8)).not.toBe(await pictureKey(a, 16, 4));
  });

  it('keeps the most recent pictures up to its limit; a find refreshes one', () => {
    const memory = new LatentMemory(2);
    const kept = numbered(1, 1, 1);
    memory.keep('a', kept);
    memory.keep('b', kept);
    expect(memory.find('a')).toBe(kept);
    memory.keep('c', kept);
    expect(memory.find('b')).toBeNull();
    expect(memory.find('a')).toBe(kept);
    expect(memory.find('c')).toBe(kept);
    expect(memory.size).toBe(2);
    memory.clear();
    expect(memory.find('a')).toBeNull();
  });
});
