/**
 * Pure geometry of region boxes: normalised to the panel (0..1 on both axes).
 * Dragging clamps to the panel; typed numbers are kept as typed so that the
 * service can refuse them with its sentence instead of the UI silently fixing them.
 */
import type { RegionBox } from '../domain';

export type BoxField = keyof RegionBox;

/** Smallest width or height a drag may leave: still big enough to grab. */
export const MIN_SIZE = 0.05;
const DIGITS = 3;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number) => Math.round(v * 10 ** DIGITS) / 10 ** DIGITS;

/** Fit a box inside the panel, keeping its size where possible; rounded to 3 decimals. */
export function clampBox(b: RegionBox, min = MIN_SIZE): RegionBox {
  const w = round(clamp(b.w, min, 1));
  const h = round(clamp(b.h, min, 1));
  const x = round(clamp(b.x, 0, 1 - w));
  const y = round(clamp(b.y, 0, 1 - h));
  // Rounding may push an edge a hair outside: pull the origin back.
  return { x: Math.min(x, round(1 - w)), y: Math.min(y, round(1 - h)), w, h };
}

/** Move by (dx, dy) in panel units; the box keeps its size and stays inside. */
export function moveBox(b: RegionBox, dx: number, dy: number): RegionBox {
  const w = clamp(b.w, MIN_SIZE, 1);
  const h = clamp(b.h, MIN_SIZE, 1);
  return clampBox({ x: clamp(b.x + dx, 0, 1 - w), y: clamp(b.y + dy, 0, 1 - h), w, h });
}

/** Resize from the bottom-right corner by (dw, dh); the origin stays, the corner stays inside. */
export function resizeBox(b: RegionBox, dw: number, dh: number, min = MIN_SIZE): RegionBox {
  const x = clamp(b.x, 0, 1 - min);
  const y = clamp(b.y, 0, 1 - min);
  return clampBox({ x, y, w: clamp(b.w + dw, min, 1 - x), h: clamp(b.h + dh, min, 1 - y) }, min);
}

/**
 * A typed number for one field. Returns the new box unclamped (bad values are shown and
 * refused on save), or null when the text is not a number at all.
 */
export function setBoxField(b: RegionBox, field: BoxField, text: string): RegionBox | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return null;
  return { ...b, [field]: value };
}

/** A sentence when the box is not inside the panel, else null (mirrors the schema's rule). */
export function boxIssue(b: RegionBox): string | null {
  if (b.x < 0 || b.y < 0) return 'The box must start inside the panel (x and y at least 0).';
  if (b.w <= 0 || b.h <= 0) return 'The box needs a width and a height greater than 0.';
  if (b.x + b.w > 1 + 1e-9 || b.y + b.h > 1 + 1e-9)
    return 'The box must lie inside the panel: x + w and y + h may be at most 1.';
  return null;
}

/** Pixel movement on a drawn panel of size (width, height) → panel units. */
export function toPanelUnits(dxPx: number, dyPx: number, width: number, height: number) {
  return { dx: width > 0 ? dxPx / width : 0, dy: height > 0 ? dyPx / height : 0 };
}

/** Arrow-key step: 1% of the panel, 10% with Shift. */
export function keyStep(key: string, shift: boolean): { dx: number; dy: number } | null {
  const s = shift ? 0.1 : 0.01;
  switch (key) {
    case 'ArrowLeft':
      return { dx: -s, dy: 0 };
    case 'ArrowRight':
      return { dx: s, dy: 0 };
    case 'ArrowUp':
      return { dx: 0, dy: -s };
    case 'ArrowDown':
      return { dx: 0, dy: s };
    default:
      return null;
  }
}

/** Distinct colours for the characters of a story, readable on light and dark. */
export const CAST_COLOURS = [
  '#d1495b',
  '#2e86ab',
  '#3f9b4f',
  '#e09f3e',
  '#7b5ea7',
  '#1b998b',
  '#c2185b',
  '#5c6bc0',
  '#8d6e63',
  '#00838f',
] as const;
export const castColour = (index: number): string => CAST_COLOURS[index % CAST_COLOURS.length] ?? '#d1495b';
