/** Decoder output (float, channels first, in [-1, 1]) to 8-bit RGBA. */
export function toRgba(chw: Float32Array, width: number, height: number): Uint8ClampedArray {
  const plane = width * height;
  if (chw.length < 3 * plane)
    throw new Error(`Expected ${3 * plane} values for a ${width}×${height} RGB image, got ${chw.length}`);
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    out[i * 4] = Math.round(((chw[i] ?? 0) + 1) * 127.5);
    out[i * 4 + 1] = Math.round(((chw[plane + i] ?? 0) + 1) * 127.5);
    out[i * 4 + 2] = Math.round(((chw[2 * plane + i] ?? 0) + 1) * 127.5);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** RGBA (8 bit) to channels-first float pixels in [-1, 1], the VAE encoder's input. */
export function rgbaToChw(rgba: Uint8ClampedArray, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0, o = 0; i < plane; i++, o += 4) {
    out[i] = (rgba[o] ?? 0) / 127.5 - 1;
    out[plane + i] = (rgba[o + 1] ?? 0) / 127.5 - 1;
    out[2 * plane + i] = (rgba[o + 2] ?? 0) / 127.5 - 1;
  }
  return out;
}

/** Largest per-channel difference of two RGBA images (the WebGPU/WASM agreement figure). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}
