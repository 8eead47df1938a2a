/**
 * Tails: a tapered wedge (speech, shout, whisper) or trailing bubbles (thought) from the body's
 * edge to a tip inside the speaker's head zone, the artist's point, or the frame's edge for an
 * off-panel voice. Captions and sound effects have none.
 */
import { centre, clamp, fmt } from './geometry';
import type { BalloonKind, Point, Rect } from './types';

export interface Tail {
  tailPath: string;
  tailTip: Point | null;
}

export const NO_TAIL: Tail = { tailPath: '', tailTip: null };

export const hasTail = (kind: BalloonKind): boolean => kind !== 'caption' && kind !== 'sfx';

/** How far into the zone the tip goes, as a share of the way from its edge to its centre. */
const INTO_ZONE = 0.3;

/**
 * The tip for a head zone: the zone's point nearest the body's centre (on the edge facing the
 * balloon), moved part of the way to the zone's centre so it lies clearly inside.
 */
export function aimAtZone(body: Rect, zone: Rect): Point {
  const c = centre(body);
  const near = { x: clamp(c.x, zone.x, zone.x + zone.w), y: clamp(c.y, zone.y, zone.y + zone.h) };
  const zc = centre(zone);
  return { x: near.x + (zc.x - near.x) * INTO_ZONE, y: near.y + (zc.y - near.y) * INTO_ZONE };
}

/** The zone whose edge is nearest the body (a speaker may have several detections). */
export function nearestZone(body: Rect, zones: Rect[]): Rect | null {
  const c = centre(body);
  let best: Rect | null = null;
  let bestD = Infinity;
  for (const z of zones) {
    const d = Math.hypot(clamp(c.x, z.x, z.x + z.w) - c.x, clamp(c.y, z.y, z.y + z.h) - c.y);
    if (d < bestD) [best, bestD] = [z, d];
  }
  return best;
}

/** An off-panel voice points out of the frame through the edge nearest the balloon. */
export function aimAtEdge(body: Rect, frame: Rect): Point {
  const c = centre(body);
  const options: [number, Point][] = [
    [c.y - frame.y, { x: c.x, y: frame.y }],
    [frame.x + frame.w - c.x, { x: frame.x + frame.w, y: c.y }],
    [frame.y + frame.h - c.y, { x: c.x, y: frame.y + frame.h }],
    [c.x - frame.x, { x: frame.x, y: c.y }],
  ];
  let best = options[0]!;
  for (const o of options) if (o[0] < best[0]) best = o;
  return best[1];
}

/** Point of the body's ellipse (scaled by k) in the direction of the param angle t. */
function onEllipse(body: Rect, t: number, k: number): Point {
  const c = centre(body);
  return { x: c.x + (body.w / 2) * k * Math.cos(t), y: c.y + (body.h / 2) * k * Math.sin(t) };
}

function angleTo(body: Rect, p: Point): number {
  const c = centre(body);
  return Math.atan2((p.y - c.y) / (body.h / 2), (p.x - c.x) / (body.w / 2));
}

/**
 * A wedge whose root straddles the body's edge (so the fill joins the body) and narrows to the
 * tip. The root's half-angle shrinks for small bodies' sake, never to a needle.
 */
export function wedgeTail(body: Rect, tip: Point): Tail {
  const t = angleTo(body, tip);
  const half = 0.22;
  const a = onEllipse(body, t - half, 0.9);
  const b = onEllipse(body, t + half, 0.9);
  const d = `M${fmt(a.x)} ${fmt(a.y)}L${fmt(tip.x)} ${fmt(tip.y)}L${fmt(b.x)} ${fmt(b.y)}Z`;
  return { tailPath: d, tailTip: tip };
}

/** Three shrinking bubbles from the body's edge toward the tip; the last one sits on the tip. */
export function bubbleTail(body: Rect, tip: Point): Tail {
  const edge = onEllipse(body, angleTo(body, tip), 1);
  const r0 = Math.max(2, Math.min(body.w, body.h) * 0.09);
  const steps: [number, number][] = [
    [0.3, r0],
    [0.65, r0 * 0.7],
    [1, r0 * 0.45],
  ];
  const d = steps
    .map(([f, r]) => circlePath(edge.x + (tip.x - edge.x) * f, edge.y + (tip.y - edge.y) * f, r))
    .join('');
  return { tailPath: d, tailTip: tip };
}

function circlePath(cx: number, cy: number, r: number): string {
  const a = `A${fmt(r)} ${fmt(r)} 0 1 0`;
  return `M${fmt(cx - r)} ${fmt(cy)}${a} ${fmt(cx + r)} ${fmt(cy)}${a} ${fmt(cx - r)} ${fmt(cy)}Z`;
}

export function tailTo(kind: BalloonKind, body: Rect, tip: Point): Tail {
  if (!hasTail(kind)) return NO_TAIL;
  return kind === 'thought' ? bubbleTail(body, tip) : wedgeTail(body, tip);
}
