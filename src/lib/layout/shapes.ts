/**
 * Balloon bodies: the outline of each kind as an SVG path in page units, and the region inside it
 * where text may go (used by the text fitter line by line).
 */
import { fmt } from './geometry';
import type { BalloonKind, Rect } from './types';

/** Where text may sit inside a body: an ellipse (chord widths) or a box (constant width). */
export type TextRegion =
  | { type: 'ellipse'; cx: number; cy: number; rx: number; ry: number }
  | { type: 'box'; x: number; y: number; w: number; h: number };

/**
 * How much of the body's radius the text may use. Clouds and bursts lose their bumps and spikes;
 * the rest is breathing room so letters never touch the outline.
 */
const ELLIPSE_TEXT_SCALE: Partial<Record<BalloonKind, number>> = {
  speech: 0.86,
  whisper: 0.84,
  thought: 0.78,
  shout: 0.7,
};
const CAPTION_PADDING = 6;

export function textRegion(kind: BalloonKind, body: Rect): TextRegion {
  const k = ELLIPSE_TEXT_SCALE[kind];
  if (k !== undefined) {
    return {
      type: 'ellipse',
      cx: body.x + body.w / 2,
      cy: body.y + body.h / 2,
      rx: (body.w / 2) * k,
      ry: (body.h / 2) * k,
    };
  }
  const pad = kind === 'caption' ? Math.min(CAPTION_PADDING, body.w / 4, body.h / 4) : 0;
  return { type: 'box', x: body.x + pad, y: body.y + pad, w: body.w - 2 * pad, h: body.h - 2 * pad };
}

export function regionCentreX(r: TextRegion): number {
  return r.type === 'ellipse' ? r.cx : r.x + r.w / 2;
}

/** The region's vertical extent [top, bottom]. */
export function regionSpan(r: TextRegion): [number, number] {
  return r.type === 'ellipse' ? [r.cy - r.ry, r.cy + r.ry] : [r.y, r.y + r.h];
}

/** Chord width of the region at height y (0 outside). */
export function chordAt(r: TextRegion, y: number): number {
  if (r.type === 'box') return y >= r.y - 1e-9 && y <= r.y + r.h + 1e-9 ? r.w : 0;
  const t = (y - r.cy) / r.ry;
  return Math.abs(t) > 1 ? 0 : 2 * r.rx * Math.sqrt(1 - t * t);
}

/** The widest line that fits the band [y0, y1]: the chord at the band's narrower end. */
export function bandWidth(r: TextRegion, y0: number, y1: number): number {
  return Math.min(chordAt(r, y0), chordAt(r, y1));
}

// --- outlines -----------------------------------------------------------------------------

export function ellipsePath(b: Rect): string {
  const rx = b.w / 2;
  const ry = b.h / 2;
  const cy = b.y + ry;
  const [a, c] = [fmt(b.x), fmt(b.x + b.w)];
  return `M${a} ${fmt(cy)}A${fmt(rx)} ${fmt(ry)} 0 1 1 ${c} ${fmt(cy)}A${fmt(rx)} ${fmt(ry)} 0 1 1 ${a} ${fmt(cy)}Z`;
}

export function roundedRectPath(b: Rect, radius = 6): string {
  const r = Math.min(radius, b.w / 4, b.h / 4);
  const [x0, y0, x1, y1] = [b.x, b.y, b.x + b.w, b.y + b.h];
  const q = `${fmt(r)} ${fmt(r)} 0 0 1`;
  return (
    `M${fmt(x0 + r)} ${fmt(y0)}H${fmt(x1 - r)}A${q} ${fmt(x1)} ${fmt(y0 + r)}` +
    `V${fmt(y1 - r)}A${q} ${fmt(x1 - r)} ${fmt(y1)}H${fmt(x0 + r)}A${q} ${fmt(x0)} ${fmt(y1 - r)}` +
    `V${fmt(y0 + r)}A${q} ${fmt(x0 + r)} ${fmt(y0)}Z`
  );
}

const perimeter = (rx: number, ry: number): number =>
  Math.PI * (3 * (rx + ry) - Math.sqrt((3 * rx + ry) * (rx + 3 * ry)));

/**
 * A cloud: arcs bulging outward between points on an inner ellipse. The inner ellipse is shrunk by
 * about the bumps' height so the cloud stays (nearly) inside the body box.
 */
export function cloudPath(b: Rect): string {
  const [cx, cy] = [b.x + b.w / 2, b.y + b.h / 2];
  const rx = (b.w / 2) * 0.88;
  const ry = (b.h / 2) * 0.88;
  const n = Math.max(9, Math.min(24, Math.ceil(perimeter(rx, ry) / (0.45 * Math.min(rx, ry)))));
  const pts = Array.from({ length: n }, (_, i) => {
    const t = (2 * Math.PI * i) / n - Math.PI / 2;
    return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as const;
  });
  let d = `M${fmt(pts[0]![0])} ${fmt(pts[0]![1])}`;
  for (let i = 0; i < n; i++) {
    const [x0, y0] = pts[i]!;
    const [x1, y1] = pts[(i + 1) % n]!;
    const r = 0.6 * Math.hypot(x1 - x0, y1 - y0);
    d += `A${fmt(r)} ${fmt(r)} 0 0 1 ${fmt(x1)} ${fmt(y1)}`;
  }
  return d + 'Z';
}

/** A shout: a star with alternating outer and inner points; a fixed jitter keeps it lively yet stable. */
export function burstPath(b: Rect): string {
  const [cx, cy] = [b.x + b.w / 2, b.y + b.h / 2];
  const [rx, ry] = [b.w / 2, b.h / 2];
  const n = Math.max(10, Math.min(20, Math.round(perimeter(rx, ry) / 36)));
  const parts: string[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const t = (Math.PI * i) / n - Math.PI / 2;
    const k = i % 2 === 0 ? 1 - 0.05 * ((i * 7) % 3) : 0.76;
    parts.push(`${i === 0 ? 'M' : 'L'}${fmt(cx + rx * k * Math.cos(t))} ${fmt(cy + ry * k * Math.sin(t))}`);
  }
  return parts.join('') + 'Z';
}

/** The body outline of a kind; sound effects are bare lettering. */
export function bodyPath(kind: BalloonKind, b: Rect): string {
  switch (kind) {
    case 'speech':
    case 'whisper':
      return ellipsePath(b);
    case 'thought':
      return cloudPath(b);
    case 'shout':
      return burstPath(b);
    case 'caption':
      return roundedRectPath(b);
    case 'sfx':
      return '';
  }
}

/** Dash pattern of the outline stroke (page units), or null for a solid line. */
export function strokeDash(kind: BalloonKind): number[] | null {
  return kind === 'whisper' ? [6, 4] : null;
}
