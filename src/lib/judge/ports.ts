/**
 * The judge's ports: model calls are injected so the scoring logic stays pure and testable.
 * The engine worker wires these to real sessions (OWL-ViT, CLIP image/text towers, Florence-2);
 * tests pass fakes. Also the pure pixel helpers every check shares.
 */
import { StoryLoomError } from '../domain';
import type { RegionBox } from '../domain';

/** 8-bit RGBA pixels, row-major, the layout of `ImageData`. */
export interface ImageLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export interface Detection {
  /** Normalised to the image: x, y, w, h in [0, 1]. */
  box: RegionBox;
  score: number;
  /** Index into the queries passed to `detect`. */
  queryIndex: number;
}

/** Open-vocabulary detector (OWL-ViT class). */
export interface Detector {
  detect(image: ImageLike, queries: string[]): Promise<Detection[]>;
}

/** Image tower of a CLIP-like encoder; returns an L2-normalised embedding. */
export interface ImageEmbedder {
  embedImage(image: ImageLike): Promise<Float32Array>;
}

/** Text tower of the same encoder; one L2-normalised embedding per text, in order. */
export interface TextEmbedder {
  embedText(texts: string[]): Promise<Float32Array[]>;
}

/** Where a phrase was found: a box normalised like every box here, and the label the model gave it. */
export interface GroundedRegion {
  box: RegionBox;
  label: string;
}

/**
 * A vision-language model used only through tasks it was trained for. Florence-2 answers no
 * free-form questions (caption.ts says why), but it captions and it grounds phrases.
 */
export interface Vlm {
  /** A paragraph describing the whole image (Florence-2's <MORE_DETAILED_CAPTION>). */
  describe(image: ImageLike): Promise<string>;
  /** Boxes where `phrase` is in the image (<CAPTION_TO_PHRASE_GROUNDING>); none when it was not located. */
  ground(image: ImageLike, phrase: string): Promise<GroundedRegion[]>;
}

/** Whatever this model pack provides; a missing port turns its checks into "not run" entries. */
export interface JudgePorts {
  detector?: Detector;
  imageEmbedder?: ImageEmbedder;
  textEmbedder?: TextEmbedder;
  vlm?: Vlm;
}

export function assertImage(image: ImageLike): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StoryLoomError(
      'invalid-input',
      `An image to judge needs a positive whole width and height, got ${width}×${height}.`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new StoryLoomError(
      'invalid-input',
      `A ${width}×${height} RGBA image needs ${width * height * 4} bytes, got ${data.length}.`,
    );
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Clamp a box into the unit square; null when nothing of it is left. */
export function clampBox(box: RegionBox): RegionBox | null {
  // Boxes already inside are returned as they are: no float noise from x + w − x.
  if (box.x >= 0 && box.y >= 0 && box.w > 0 && box.h > 0 && box.x + box.w <= 1 && box.y + box.h <= 1)
    return box;
  const x0 = clamp(box.x, 0, 1);
  const y0 = clamp(box.y, 0, 1);
  const x1 = clamp(box.x + box.w, 0, 1);
  const y1 = clamp(box.y + box.h, 0, 1);
  if (!(x1 > x0) || !(y1 > y0)) return null;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Pixel rectangle covered by a normalised box: at least one pixel, never outside the image. */
export function pixelRect(image: Pick<ImageLike, 'width' | 'height'>, box: RegionBox) {
  const x0 = clamp(Math.floor(box.x * image.width), 0, image.width - 1);
  const y0 = clamp(Math.floor(box.y * image.height), 0, image.height - 1);
  const x1 = clamp(Math.ceil((box.x + box.w) * image.width), x0 + 1, image.width);
  const y1 = clamp(Math.ceil((box.y + box.h) * image.height), y0 + 1, image.height);
  return { x0, y0, x1, y1 };
}

export function crop(image: ImageLike, box: RegionBox): ImageLike {
  const { x0, y0, x1, y1 } = pixelRect(image, box);
  const width = x1 - x0;
  const height = y1 - y0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 4;
    data.set(image.data.subarray(from, from + width * 4), y * width * 4);
  }
  return { width, height, data };
}

/**
 * Joint RGB histogram of a box, `bins` levels per channel (bins³ cells), normalised to sum 1.
 * Fully transparent pixels are ignored; an empty region gives all zeros.
 */
export function colorHistogram(image: ImageLike, box: RegionBox, bins = 8): Float32Array {
  if (!Number.isInteger(bins) || bins < 1 || bins > 64) {
    throw new StoryLoomError(
      'invalid-input',
      `Histogram bins must be a whole number from 1 to 64, got ${bins}.`,
    );
  }
  const hist = new Float32Array(bins * bins * bins);
  const { x0, y0, x1, y1 } = pixelRect(image, box);
  let total = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      if ((image.data[i + 3] ?? 0) === 0) continue;
      const r = Math.floor(((image.data[i] ?? 0) * bins) / 256);
      const g = Math.floor(((image.data[i + 1] ?? 0) * bins) / 256);
      const b = Math.floor(((image.data[i + 2] ?? 0) * bins) / 256);
      hist[(r * bins + g) * bins + b]! += 1;
      total += 1;
    }
  }
  if (total > 0) for (let k = 0; k < hist.length; k++) hist[k]! /= total;
  return hist;
}

/**
 * Where the clothes are inside a character's box: the torso band. A heuristic for figures
 * drawn head to knee or longer; callers compute template histograms with the same band.
 */
export function clothingBox(box: RegionBox): RegionBox {
  return { x: box.x + 0.2 * box.w, y: box.y + 0.35 * box.h, w: 0.6 * box.w, h: 0.35 * box.h };
}

/** Area-average downsample to size×size RGB (alpha dropped), values 0..255. */
export function thumbnail(image: ImageLike, size = 32): Float32Array {
  const out = new Float32Array(size * size * 3);
  for (let oy = 0; oy < size; oy++) {
    const sy0 = Math.floor((oy * image.height) / size);
    const sy1 = Math.max(sy0 + 1, Math.floor(((oy + 1) * image.height) / size));
    for (let ox = 0; ox < size; ox++) {
      const sx0 = Math.floor((ox * image.width) / size);
      const sx1 = Math.max(sx0 + 1, Math.floor(((ox + 1) * image.width) / size));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let y = sy0; y < sy1; y++) {
        for (let x = sx0; x < sx1; x++) {
          const i = (y * image.width + x) * 4;
          r += image.data[i] ?? 0;
          g += image.data[i + 1] ?? 0;
          b += image.data[i + 2] ?? 0;
          n++;
        }
      }
      const o = (oy * size + ox) * 3;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = b / n;
    }
  }
  return out;
}
