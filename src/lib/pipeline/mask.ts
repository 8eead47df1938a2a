/**
 * Pure mask arithmetic for local editing and regional guidance: rasterise a box and/or a brush
 * bitmap, feather it outwards with a distance field, find the crop a local edit works in (a
 * multiple of the latent factor, with a margin), reduce the mask to latent cells, and paste an
 * edited crop back so that every pixel outside the feathered support keeps its original bytes.
 * Plain typed arrays only: no tensors, no DOM.
 */

/** A box in fractions of the image, 0 to 1 (the domain's RegionBox). */
export interface MaskBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A brush stroke bitmap at any resolution: values above 127 are painted. */
export interface BrushBitmap {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export interface MaskSpec {
  box?: MaskBox | null;
  brush?: BrushBitmap | null;
}

/** Pixel rectangle, half-open: [x, x + width) × [y, y + height). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Outward feather in pixels for an image of this size (about 2 % of the short side, at least 2). */
export function featherRadius(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 48));
}

/** Box pixels: the cells whose centres lie inside the box. */
export function boxRect(box: MaskBox, width: number, height: number): PixelRect {
  const x0 = Math.max(0, Math.min(width, Math.round(box.x * width)));
  const y0 = Math.max(0, Math.min(height, Math.round(box.y * height)));
  const x1 = Math.max(x0, Math.min(width, Math.round((box.x + box.w) * width)));
  const y1 = Math.max(y0, Math.min(height, Math.round((box.y + box.h) * height)));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** The hard mask (1 = regenerate) at image resolution: the union of the box and the brush. */
export function rasterizeMask(spec: MaskSpec, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  if (spec.box) {
    const r = boxRect(spec.box, width, height);
    for (let y = r.y; y < r.y + r.height; y++) out.fill(1, y * width + r.x, y * width + r.x + r.width);
  }
  const brush = spec.brush;
  if (brush && brush.width > 0 && brush.height > 0) {
    if (brush.data.length < brush.width * brush.height)
      throw new RangeError(
        `The brush bitmap needs ${brush.width * brush.height} values, got ${brush.data.length}.`,
      );
    for (let y = 0; y < height; y++) {
      const by = Math.min(brush.height - 1, Math.floor(((y + 0.5) * brush.height) / height));
      for (let x = 0; x < width; x++) {
        const bx = Math.min(brush.width - 1, Math.floor(((x + 0.5) * brush.width) / width));
        if ((brush.data[by * brush.width + bx] ?? 0) > 127) out[y * width + x] = 1;
      }
    }
  }
  return out;
}

/**
 * Distance (in pixels, chamfer 3-4 approximation of the Euclidean one) from every pixel to the
 * nearest masked pixel; 0 inside the mask, Infinity when the mask is empty. Two passes, O(pixels).
 */
export function distanceField(mask: Uint8Array, width: number, height: number): Float32Array {
  const big = 1e9;
  const d = new Float64Array(width * height);
  for (let i = 0; i < d.length; i++) d[i] = mask[i] ? 0 : big;
  const at = (x: number, y: number) => d[y * width + x] ?? big;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = at(x, y);
      if (x > 0) v = Math.min(v, at(x - 1, y) + 3);
      if (y > 0) {
        v = Math.min(v, at(x, y - 1) + 3);
        if (x > 0) v = Math.min(v, at(x - 1, y - 1) + 4);
        if (x + 1 < width) v = Math.min(v, at(x + 1, y - 1) + 4);
      }
      d[y * width + x] = v;
    }
  for (let y = height - 1; y >= 0; y--)
    for (let x = width - 1; x >= 0; x--) {
      let v = at(x, y);
      if (x + 1 < width) v = Math.min(v, at(x + 1, y) + 3);
      if (y + 1 < height) {
        v = Math.min(v, at(x, y + 1) + 3);
        if (x + 1 < width) v = Math.min(v, at(x + 1, y + 1) + 4);
        if (x > 0) v = Math.min(v, at(x - 1, y + 1) + 4);
      }
      d[y * width + x] = v;
    }
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = (d[i] ?? big) >= big / 2 ? Infinity : (d[i] ?? 0) / 3;
  return out;
}

/**
 * The feathered (soft) mask: 1 on the hard mask, falling linearly to 0 over `radius` pixels
 * outside it. Its support (m > 0) is the hard mask dilated by `radius`.
 */
export function featherMask(mask: Uint8Array, width: number, height: number, radius: number): Float32Array {
  const out = new Float32Array(width * height);
  const bounds = maskBounds(mask, width, height);
  if (!bounds) return out;
  // Only pixels within `radius` of the mask can be non-zero: measure distances in that window.
  const pad = Math.ceil(radius) + 1;
  const x0 = Math.max(0, bounds.x - pad);
  const y0 = Math.max(0, bounds.y - pad);
  const win = {
    x: x0,
    y: y0,
    width: Math.min(width, bounds.x + bounds.width + pad) - x0,
    height: Math.min(height, bounds.y + bounds.height + pad) - y0,
  };
  const d = distanceField(
    cropPlane(mask, width, win, (n) => new Uint8Array(n)),
    win.width,
    win.height,
  );
  for (let y = 0; y < win.height; y++)
    for (let x = 0; x < win.width; x++) {
      const v = d[y * win.width + x] ?? Infinity;
      out[(win.y + y) * width + win.x + x] = v === 0 ? 1 : v > radius ? 0 : Math.max(0, 1 - v / (radius + 1));
    }
  return out;
}

/** Smallest rectangle holding every pixel with m > 0, or null for an empty mask. */
export function maskBounds(m: ArrayLike<number>, width: number, height: number): PixelRect | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if ((m[y * width + x] ?? 0) > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Grow [lo, hi) to at least `size` inside [0, limit], keeping it centred where possible. */
function growSpan(lo: number, hi: number, size: number, limit: number): [number, number] {
  if (hi - lo >= size) return [lo, hi];
  const need = size - (hi - lo);
  lo -= Math.floor(need / 2);
  hi += Math.ceil(need / 2);
  if (lo < 0) [lo, hi] = [0, hi - lo];
  if (hi > limit) [lo, hi] = [Math.max(0, lo - (hi - limit)), limit];
  return [lo, hi];
}

/**
 * The crop a local edit works in: `bounds` grown by `margin` pixels, snapped outwards to
 * multiples of `multiple` (the latent factor), at least `minSide` wide and tall where the
 * image allows, and inside the image. Image sides must be multiples of `multiple`.
 */
export function cropAround(
  bounds: PixelRect,
  width: number,
  height: number,
  options: { margin: number; multiple: number; minSide?: number },
): PixelRect {
  const { margin, multiple: f } = options;
  if (width % f !== 0 || height % f !== 0)
    throw new RangeError(`Image sides must be multiples of ${f}, got ${width}×${height}.`);
  const snapDown = (v: number) => Math.max(0, Math.floor(v / f) * f);
  const snapUp = (v: number, limit: number) => Math.min(limit, Math.ceil(v / f) * f);
  let x0 = snapDown(bounds.x - margin);
  let y0 = snapDown(bounds.y - margin);
  let x1 = snapUp(bounds.x + bounds.width + margin, width);
  let y1 = snapUp(bounds.y + bounds.height + margin, height);
  const min = Math.ceil((options.minSide ?? f) / f) * f;
  [x0, x1] = growSpan(x0, x1, Math.min(min, width), width);
  [y0, y1] = growSpan(y0, y1, Math.min(min, height), height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Copy a rectangle out of a single-channel plane. */
export function cropPlane<T extends Float32Array | Uint8Array>(
  plane: T,
  width: number,
  rect: PixelRect,
  make: (n: number) => T,
): T {
  const out = make(rect.width * rect.height);
  for (let y = 0; y < rect.height; y++) {
    const from = (rect.y + y) * width + rect.x;
    out.set(plane.subarray(from, from + rect.width), y * rect.width);
  }
  return out;
}

/** Copy a rectangle out of an RGBA image. */
export function cropRgba(rgba: Uint8ClampedArray, width: number, rect: PixelRect): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * width + rect.x) * 4;
    out.set(rgba.subarray(from, from + rect.width * 4), y * rect.width * 4);
  }
  return out;
}

/**
 * The mask in latent cells (factor `f`): a cell is regenerated (1) when any of its pixels is
 * masked (m > 0), else pinned to the original (0).
 */
export function latentMask(m: ArrayLike<number>, width: number, height: number, f: number): Float32Array {
  const lw = width / f;
  const lh = height / f;
  const out = new Float32Array(lw * lh);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if ((m[y * width + x] ?? 0) > 0) out[Math.floor(y / f) * lw + Math.floor(x / f)] = 1;
  return out;
}

/**
 * Paste an edited crop into a copy of the original: inside the feathered support the pixels are
 * blended original·(1 − m) + edited·m; everywhere else the original bytes are kept untouched.
 * `m` is the feathered mask over the whole image.
 */
export function pasteBack(
  original: Uint8ClampedArray,
  width: number,
  edited: Uint8ClampedArray,
  rect: PixelRect,
  m: Float32Array,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(original);
  for (let y = 0; y < rect.height; y++)
    for (let x = 0; x < rect.width; x++) {
      const gi = (rect.y + y) * width + rect.x + x;
      const a = m[gi] ?? 0;
      if (a <= 0) continue;
      const o = gi * 4;
      const e = (y * rect.width + x) * 4;
      for (let c = 0; c < 3; c++)
        out[o + c] = Math.round((original[o + c] ?? 0) * (1 - a) + (edited[e + c] ?? 0) * a);
    }
  return out;
}
