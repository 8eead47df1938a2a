/**
 * Cover-fit crops: the part of a picture a frame shows, and the mapping of picture-normalised
 * boxes through that crop onto the page.
 */
import { clamp, intersect, union } from './geometry';
import type { LayoutCastMember, Rect, Rect01 } from './types';

/**
 * The crop (normalised to the picture) with the frame's aspect, inside the picture. It keeps the
 * focus (the cast's union) whole when it fits, and otherwise sits as near the picture's centre as
 * that allows; a focus too big for the crop gets the crop centred on it.
 */
export function coverCrop(imageAspect: number, frameAspect: number, focus: Rect01 | null): Rect01 {
  const ia = imageAspect > 0 ? imageAspect : 1;
  // Normalised crop size: the frame is wider than the picture → full width, partial height.
  const w = frameAspect > ia ? 1 : frameAspect / ia;
  const h = frameAspect > ia ? ia / frameAspect : 1;
  return {
    x: place(w, focus ? [focus.x, focus.x + focus.w] : null),
    y: place(h, focus ? [focus.y, focus.y + focus.h] : null),
    w,
    h,
  };
}

/** Start of a window of `size` in 0…1 along one axis. */
function place(size: number, focus: [number, number] | null): number {
  const centred = (1 - size) / 2;
  if (!focus) return centred;
  const [a, b] = [clamp(focus[0], 0, 1), clamp(focus[1], 0, 1)];
  const start = b - a <= size ? clamp(centred, b - size, a) : (a + b) / 2 - size / 2;
  return clamp(start, 0, 1 - size);
}

/** The cast's union in the picture: what a crop should keep. */
export function castFocus(cast: LayoutCastMember[]): Rect01 | null {
  return union(cast.flatMap((c) => [c.region, ...c.headZones]));
}

/** A picture-normalised box seen through `crop` in `frame`, clipped to the frame (page units). */
export function mapThroughCrop(box: Rect01, crop: Rect01, frame: Rect): Rect {
  const sx = frame.w / crop.w;
  const sy = frame.h / crop.h;
  const mapped = {
    x: frame.x + (box.x - crop.x) * sx,
    y: frame.y + (box.y - crop.y) * sy,
    w: box.w * sx,
    h: box.h * sy,
  };
  return intersect(mapped, frame);
}

export interface MappedCast {
  characterId: string;
  region: Rect;
  headZones: Rect[];
}

/** The cast on the page; head zones cropped out of the frame entirely are dropped. */
export function mapCast(cast: LayoutCastMember[], crop: Rect01, frame: Rect): MappedCast[] {
  return cast.map((c) => ({
    characterId: c.characterId,
    region: mapThroughCrop(c.region, crop, frame),
    headZones: c.headZones.map((z) => mapThroughCrop(z, crop, frame)).filter((z) => z.w > 0 && z.h > 0),
  }));
}
