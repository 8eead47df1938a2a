/**
 * The final latents of the last few generations, kept by the picture they decoded to. A local edit
 * of one of those pictures starts from the latents that made it, sliced to the crop, instead of
 * running the VAE encoder over the crop: one stage less per edit, and the latents pinned outside the
 * mask are the picture's own rather than a lossy re-encoding of its pixels. Any other picture (an
 * imported image, an edit of an edit) is not found and goes through the encoder as before.
 *
 * The key is the SHA-256 of the picture's RGBA bytes and size, so only the exact picture matches.
 */
import type { PixelRect } from './mask';

export interface KeptLatents {
  /** Picture size in pixels. */
  width: number;
  height: number;
  /** [1, channels, height / f, width / f], scaled as the UNet sees them. */
  shape: readonly [number, number, number, number];
  data: Float32Array;
}

export async function pictureKey(rgba: Uint8ClampedArray, width: number, height: number): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', rgba as Uint8ClampedArray<ArrayBuffer>),
  );
  return `${width}x${height}:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class LatentMemory {
  readonly #limit: number;
  readonly #entries = new Map<string, KeptLatents>();

  /** `limit` pictures at most (a 512² picture's latents are 64 KB). */
  constructor(limit = 8) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#entries.size;
  }

  keep(key: string, latents: KeptLatents): void {
    this.#entries.delete(key);
    this.#entries.set(key, latents);
    while (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** The latents of this picture, or null; a hit becomes the most recent. */
  find(key: string): KeptLatents | null {
    const hit = this.#entries.get(key);
    if (!hit) return null;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * The latents under a pixel crop (its sides and offset multiples of the latent factor), or null when
 * the kept latents do not cover it at that factor.
 */
export function cropLatents(kept: KeptLatents, crop: PixelRect): Float32Array | null {
  const [, channels, lh, lw] = kept.shape;
  const f = kept.width / lw;
  if (!Number.isInteger(f) || kept.height / lh !== f) return null;
  if ([crop.x, crop.y, crop.width, crop.height].some((v) => v % f !== 0)) return null;
  const x0 = crop.x / f;
  const y0 = crop.y / f;
  const w = crop.width / f;
  const h = crop.height / f;
  if (x0 < 0 || y0 < 0 || x0 + w > lw || y0 + h > lh || w <= 0 || h <= 0) return null;
  const out = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < h; y++) {
      const from = (c * lh + y0 + y) * lw + x0;
      out.set(kept.data.subarray(from, from + w), (c * h + y) * w);
    }
  return out;
}
