/**
 * The reference collage for reference-guided generation: a canvas tinted by the scene (light at
 * the top, darker towards the ground) with each character's verified template, cropped to the
 * figure, fitted into that character's region box and standing on its bottom edge. The collage
 * is the init image of image-to-image, so the template's colours and wardrobe carry over.
 * Pure RGBA arithmetic.
 */
import type { MaskBox, PixelRect } from './mask';
import { boxRect } from './mask';

export type Rgb = [number, number, number];

export interface CollageFigure {
  box: MaskBox;
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

const TINTS: Record<string, Rgb> = {
  dawn: [232, 196, 184],
  morning: [206, 224, 238],
  noon: [196, 222, 246],
  afternoon: [222, 214, 186],
  dusk: [226, 160, 118],
  night: [44, 52, 92],
};
const NEUTRAL: Rgb = [184, 184, 184];

/** The scene's base colour, by time of day (neutral grey when unknown). */
export function sceneTint(timeOfDay: string | null | undefined): Rgb {
  return (timeOfDay && TINTS[timeOfDay]) || NEUTRAL;
}

/** Mean colour of the four corner pixels: the template's background. */
function cornerColour(rgba: Uint8ClampedArray, w: number, h: number): Rgb {
  const idx = [0, w - 1, (h - 1) * w, h * w - 1];
  const c: Rgb = [0, 0, 0];
  for (const i of idx) for (let k = 0; k < 3; k++) c[k] = (c[k] ?? 0) + (rgba[i * 4 + k] ?? 0) / 4;
  return c;
}

const FIGURE_DISTANCE = 24;

function isFigure(rgba: Uint8ClampedArray, i: number, bg: Rgb): boolean {
  if ((rgba[i * 4 + 3] ?? 255) < 128) return false;
  const d =
    Math.abs((rgba[i * 4] ?? 0) - bg[0]) +
    Math.abs((rgba[i * 4 + 1] ?? 0) - bg[1]) +
    Math.abs((rgba[i * 4 + 2] ?? 0) - bg[2]);
  return d > FIGURE_DISTANCE;
}

/** Bounding box of the figure: opaque pixels that differ from the corner background. */
export function figureBounds(rgba: Uint8ClampedArray, width: number, height: number): PixelRect {
  const bg = cornerColour(rgba, width, height);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (isFigure(rgba, y * width + x, bg)) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  return x1 < 0 ? { x: 0, y: 0, width, height } : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** The tinted canvas: the scene colour, brighter at the top and darker towards the bottom. */
export function tintedCanvas(width: number, height: number, tint: Rgb): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const shade = 1.08 - (0.3 * y) / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = tint[0] * shade;
      out[o + 1] = tint[1] * shade;
      out[o + 2] = tint[2] * shade;
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * The collage: figures in order (later ones in front), each fitted inside its box keeping its
 * aspect ratio, centred horizontally and standing on the box's bottom edge. Only figure pixels
 * are copied, so the scene tint shows around them.
 */
export function buildCollage(
  width: number,
  height: number,
  tint: Rgb,
  figures: CollageFigure[],
): Uint8ClampedArray {
  const out = tintedCanvas(width, height, tint);
  for (const f of figures) {
    const target = boxRect(f.box, width, height);
    if (target.width < 1 || target.height < 1) continue;
    const src = figureBounds(f.rgba, f.width, f.height);
    const bg = cornerColour(f.rgba, f.width, f.height);
    const scale = Math.min(target.width / src.width, target.height / src.height);
    const w = Math.max(1, Math.round(src.width * scale));
    const h = Math.max(1, Math.round(src.height * scale));
    const left = target.x + Math.floor((target.width - w) / 2);
    const top = target.y + target.height - h;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = src.x + Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / w));
        const sy = src.y + Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / h));
        const si = sy * f.width + sx;
        if (!isFigure(f.rgba, si, bg)) continue;
        const o = ((top + y) * width + left + x) * 4;
        out[o] = f.rgba[si * 4] ?? 0;
        out[o + 1] = f.rgba[si * 4 + 1] ?? 0;
        out[o + 2] = f.rgba[si * 4 + 2] ?? 0;
      }
  }
  return out;
}
