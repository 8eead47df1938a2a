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
    // Nearest brush column of every image column, computed once.
    const columns = new Int32Array(width);
    for (let x = 0; x < width; x++)
      columns[x] = Math.min(brush.width - 1, Math.floor(((x + 0.5) * brush.width) / width));
    for (let y = 0; y < height; y++) {
      const by = Math.min(brush.height - 1, Math.floor(((y + 0.5) * brush.height) / height));
      const row = by * brush.width;
      for (let x = 0; x < width; x++)
        if ((brush.data[row + (columns[x] as number)] as number) > 127) out[y * width + x] = 1;
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
  for (let y = 0; y < height; y++)
    for (let x = 0, i = y * width; x < width; x++, i++) {
      let v = d[i] as number;
      if (x > 0) v = Math.min(v, (d[i - 1] as number) + 3);
      if (y > 0) {
        const up = i - width;
        v = Math.min(v, (d[up] as number) + 3);
        if (x > 0) v = Math.min(v, (d[up - 1] as number) + 4);
        if (x + 1 < width) v = Math.min(v, (d[up + 1] as number) + 4);
      }
      d[i] = v;
    }
  for (let y = height - 1; y >= 0; y--)
    for (let x = width - 1, i = y * width + x; x >= 0; x--, i--) {
      let v = d[i] as number;
      if (x + 1 < width) v = Math.min(v, (d[i + 1] as number) + 3);
      if (y + 1 < height) {
        const down = i + width;
        v = Math.min(v, (d[down] as number) + 3);
        if (x + 1 < width) v = Math.min(v, (d[down + 1] as number) + 4);
        if (x > 0) v = Math.min(v, (d[down - 1] as number) + 4);
      }
      d[i] = v;
    }
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    out[i] = v >= big / 2 ? Infinity : v / 3;
  }
  return out;
}

/** Smallest rectangle holding every pixel with m > 0, or null for an empty mask. */
export function maskBounds(m: ArrayLike<number>, width: number, height: number): PixelRect | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++)
      if ((m[row + x] as number) > 0) {
        if (first < 0) first = x;
        last = x;
      }
    if (first < 0) continue;
    if (y0 > y) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Bounds of a hard (0/1) mask, row by row with the typed array's own search. */
function hardBounds(mask: Uint8Array, width: number, height: number): PixelRect | null {
  let x0 = width;
  let y0 = -1;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = mask.subarray(y * width, (y + 1) * width);
    const first = row.indexOf(1);
    if (first < 0) continue;
    if (y0 < 0) y0 = y;
    y1 = y;
    x0 = Math.min(x0, first);
    x1 = Math.max(x1, row.lastIndexOf(1));
  }
  return y0 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** `rect` grown by `pad` on every side, inside the image. */
function padRect(rect: PixelRect, pad: number, width: number, height: number): PixelRect {
  const x = Math.max(0, rect.x - pad);
  const y = Math.max(0, rect.y - pad);
  return {
    x,
    y,
    width: Math.min(width, rect.x + rect.width + pad) - x,
    height: Math.min(height, rect.y + rect.height + pad) - y,
  };
}

/**
 * The feather in the window where it can be non-zero (the hard mask's bounds grown by the
 * radius): distances are measured there only, never over the whole image.
 */
function featherWindow(
  mask: Uint8Array,
  width: number,
  height: number,
  radius: number,
  bounds: PixelRect,
): { window: PixelRect; soft: Float32Array } {
  const window = padRect(bounds, Math.ceil(radius) + 1, width, height);
  const d = distanceField(
    cropPlane(mask, width, window, (n) => new Uint8Array(n)),
    window.width,
    window.height,
  );
  const soft = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    soft[i] = v === 0 ? 1 : v > radius ? 0 : Math.max(0, 1 - v / (radius + 1));
  }
  return { window, soft };
}

/**
 * The feathered (soft) mask: 1 on the hard mask, falling linearly to 0 over `radius` pixels
 * outside it. Its support (m > 0) is the hard mask dilated by `radius`.
 */
export function featherMask(mask: Uint8Array, width: number, height: number, radius: number): Float32Array {
  const out = new Float32Array(width * height);
  const bounds = hardBounds(mask, width, height);
  if (!bounds) return out;
  const { window, soft } = featherWindow(mask, width, height, radius, bounds);
  for (let y = 0; y < window.height; y++)
    out.set(soft.subarray(y * window.width, (y + 1) * window.width), (window.y + y) * width + window.x);
  return out;
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
 * The crop a local edit works in: `bounds` grown by `margin` pixels, then each side to the next
 * multiple of `multiple` (the latent factor) and to at least `minSide`, centred on the bounds
 * and shifted inside the image. Only the crop's size has to be a multiple of the factor (it is
 * encoded afresh), so it is not snapped to the image's grid: no more than `multiple - 1` pixels
 * of slack per side. Image sides must be multiples of `multiple`.
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
  const min = Math.ceil((options.minSide ?? f) / f) * f;
  const side = (lo: number, size: number, limit: number): [number, number] => {
    const a = Math.max(0, lo - margin);
    const b = Math.min(limit, lo + size + margin);
    const want = Math.min(limit, Math.max(min, Math.ceil((b - a) / f) * f));
    return growSpan(a, b, want, limit);
  };
  const [x0, x1] = side(bounds.x, bounds.width, width);
  const [y0, y1] = side(bounds.y, bounds.height, height);
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
  const out = new Float32Array(lw * (height / f));
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const cells = Math.floor(y / f) * lw;
    for (let x = 0; x < width; x++) if ((m[row + x] as number) > 0) out[cells + Math.floor(x / f)] = 1;
  }
  return out;
}

/** Where a local edit works and how it blends, computed once on typed arrays. */
export interface EditMask {
  /** The crop the edit draws (pixels of the image); its sides are multiples of the latent factor. */
  crop: PixelRect;
  /** The feathered mask over the crop (crop.width × crop.height); 0 outside the support. */
  alpha: Float32Array;
  /** The crop's latent cells: 1 where a pixel is under the hard mask (redrawn), 0 pinned. */
  latent: Float32Array;
  /** Bounds of the feathered support (alpha > 0), pixels of the image. */
  support: PixelRect;
  /** Pixels inside the feathered support (the only ones that may change). */
  supportPixels: number;
}

/**
 * The local edit's masks: rasterise, feather in the window around the mask, and the crop. The
 * crop's sides are multiples of `multiple` (pixels; the UNet's size multiple, default the latent
 * factor) and at least `minSide`. Two crops are weighed: the support (hard mask + feather ring)
 * plus one latent cell of context, and the hard mask alone. When the mask is large (8 latent
 * cells or more a side) and the second is smaller (the ring would cost a whole extra multiple
 * on a side), the second is used and the feather is pulled inside
 * it: the blend also falls to 0 over `feather` pixels towards every crop edge that is not the
 * image's, so no seam can appear where the crop cuts the ring. Null for an empty mask.
 */
export function editMask(
  spec: MaskSpec,
  width: number,
  height: number,
  options: { feather: number; factor: number; multiple?: number; minSide?: number },
): EditMask | null {
  const { feather, factor: f } = options;
  const multiple = options.multiple ?? f;
  const hard = rasterizeMask(spec, width, height);
  const bounds = hardBounds(hard, width, height);
  if (!bounds) return null;
  const { window, soft } = featherWindow(hard, width, height, feather, bounds);
  const ring = maskBounds(soft, window.width, window.height) as PixelRect;
  ring.x += window.x;
  ring.y += window.y;
  const minSide = options.minSide ?? 8 * f;
  // Context for the UNet: the feather ring, and at least one latent cell around the hard mask.
  const wide = cropAround(ring, width, height, { margin: Math.max(0, f - feather), multiple, minSide });
  const tight = cropAround(bounds, width, height, { margin: 0, multiple, minSide });
  // Only a large region (8 latent cells or more a side) carries enough context of its own.
  const large = bounds.width >= 8 * f && bounds.height >= 8 * f;
  const pulled = large && tight.width * tight.height < wide.width * wide.height;
  const crop = pulled ? tight : wide;
  const alpha = new Float32Array(crop.width * crop.height);
  const x0 = Math.max(crop.x, window.x);
  const x1 = Math.min(crop.x + crop.width, window.x + window.width);
  for (
    let y = Math.max(crop.y, window.y);
    y < Math.min(crop.y + crop.height, window.y + window.height);
    y++
  ) {
    const from = (y - window.y) * window.width + x0 - window.x;
    alpha.set(soft.subarray(from, from + x1 - x0), (y - crop.y) * crop.width + x0 - crop.x);
  }
  if (pulled) fadeToEdges(alpha, crop, width, height, feather);
  // The support: where the blend is non-zero, in image pixels.
  let supportPixels = 0;
  for (let i = 0; i < alpha.length; i++) if ((alpha[i] as number) > 0) supportPixels++;
  const inCrop = maskBounds(alpha, crop.width, crop.height) ?? { x: 0, y: 0, width: 0, height: 0 };
  const support = { ...inCrop, x: inCrop.x + crop.x, y: inCrop.y + crop.y };
  const cropHard = cropPlane(hard, width, crop, (n) => new Uint8Array(n));
  return { crop, alpha, latent: latentMask(cropHard, crop.width, crop.height, f), support, supportPixels };
}

/**
 * Multiply `alpha` (over `crop`) by a ramp that is 0 outside the crop and rises linearly to 1
 * over `radius` pixels from each crop edge that lies inside the image (edges on the image's
 * border keep their full weight: nothing lies beyond them to blend with).
 */
function fadeToEdges(alpha: Float32Array, crop: PixelRect, width: number, height: number, radius: number) {
  const r = Math.max(1, radius + 1);
  const left = crop.x > 0;
  const right = crop.x + crop.width < width;
  const top = crop.y > 0;
  const bottom = crop.y + crop.height < height;
  const ramp = (d: number) => Math.min(1, d / r);
  for (let y = 0; y < crop.height; y++) {
    let wy = 1;
    if (top) wy = Math.min(wy, ramp(y + 1));
    if (bottom) wy = Math.min(wy, ramp(crop.height - y));
    for (let x = 0; x < crop.width; x++) {
      let w = wy;
      if (left) w = Math.min(w, ramp(x + 1));
      if (right) w = Math.min(w, ramp(crop.width - x));
      const i = y * crop.width + x;
      if (w < 1) alpha[i] = (alpha[i] as number) * w;
    }
  }
}

/**
 * Paste an edited crop into a copy of the original: inside the feathered support the pixels are
 * blended original·(1 − a) + edited·a; everywhere else the original bytes are kept untouched.
 * `alpha` is the feathered mask over the crop; only `support` (default: the crop) is visited.
 */
export function pasteBack(
  original: Uint8ClampedArray,
  width: number,
  edited: Uint8ClampedArray,
  crop: PixelRect,
  alpha: Float32Array,
  support: PixelRect = crop,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(original);
  const xs = Math.max(support.x, crop.x);
  const xe = Math.min(support.x + support.width, crop.x + crop.width);
  const ye = Math.min(support.y + support.height, crop.y + crop.height);
  for (let y = Math.max(support.y, crop.y); y < ye; y++)
    for (let x = xs; x < xe; x++) {
      const local = (y - crop.y) * crop.width + x - crop.x;
      const a = alpha[local] as number;
      if (a <= 0) continue;
      const o = (y * width + x) * 4;
      const e = local * 4;
      for (let c = 0; c < 3; c++)
        out[o + c] = Math.round((original[o + c] as number) * (1 - a) + (edited[e + c] as number) * a);
    }
  return out;
}
