/**
 * Balloon placement: a deterministic cost search over candidate positions in the cell. Hard
 * rules (inside the frame, off every face, off every other balloon) cost an enormous amount;
 * soft costs pull a balloon toward its speaker, keep the reading order and spare the bodies.
 */
import type { MappedCast } from './crop';
import { bottom, centre, inset, overlapArea, right, union } from './geometry';
import type { BalloonKind, ReadingDirection, Rect } from './types';

/** Balloons keep this far inside the frame so the border never cuts them. */
export const CELL_INSET = 8;
const GRID = 8;
const HARD = 1e6;
/** Overlaps below this area (units²) are rounding, not overlaps. */
export const OVERLAP_EPS = 1e-6;

export interface PlacementItem {
  kind: BalloonKind;
  speakerId: string | null;
  /** The body's size, when the layout chooses the position. */
  size: { w: number; h: number };
  /** A fixed box (pinned or artist-sized), page units; null = place it. */
  fixed: Rect | null;
}

/** The area balloons may use: the frame less the inset. */
export function placementArea(frame: Rect): Rect {
  return inset(frame, CELL_INSET);
}

/**
 * Boxes for every item, in input order. Fixed boxes go first and become obstacles; the rest are
 * placed one by one in reading order, each seeing the ones before it.
 */
export function placeBalloons(
  frame: Rect,
  cast: MappedCast[],
  items: PlacementItem[],
  direction: ReadingDirection,
): Rect[] {
  const area = placementArea(frame);
  const heads = cast.flatMap((c) => c.headZones);
  const boxes: (Rect | null)[] = items.map((it) => it.fixed);
  items.forEach((item, i) => {
    if (item.fixed) return;
    const placed = boxes.filter((b): b is Rect => b !== null);
    const previous = lastBefore(boxes, i);
    const size = { w: Math.min(item.size.w, area.w), h: Math.min(item.size.h, area.h) };
    const head = item.kind === 'caption' ? null : speakerHead(item.speakerId, cast);
    const ctx: CostContext = { area, frame, cast, heads, placed, previous, item, direction, head };
    boxes[i] = bestPosition(size, ctx);
  });
  return boxes as Rect[];
}

function lastBefore(boxes: (Rect | null)[], i: number): Rect | null {
  for (let j = i - 1; j >= 0; j--) if (boxes[j]) return boxes[j]!;
  return null;
}

interface CostContext {
  area: Rect;
  frame: Rect;
  cast: MappedCast[];
  heads: Rect[];
  placed: Rect[];
  previous: Rect | null;
  item: PlacementItem;
  direction: ReadingDirection;
  /** The speaker's head in the cell, found once per balloon rather than per candidate. */
  head: Rect | null;
}

/**
 * The cheapest top-left corner. Besides the grid, the candidates include every position flush
 * with the area's edges or an obstacle's edges: if any free spot exists, one of those is free
 * (slide a free box left, then up, until it touches something), so the hard rules only lose
 * when they must.
 */
function bestPosition(size: { w: number; h: number }, ctx: CostContext): Rect {
  const { area } = ctx;
  const obstacles = [...ctx.heads, ...ctx.placed];
  const xs = candidates(
    area.x,
    right(area) - size.w,
    obstacles.flatMap((o) => [right(o), o.x - size.w]),
  );
  const ys = candidates(
    area.y,
    bottom(area) - size.h,
    obstacles.flatMap((o) => [bottom(o), o.y - size.h]),
  );
  let best: Rect = { x: xs[0]!, y: ys[0]!, ...size };
  let bestCost = Infinity;
  for (const y of ys) {
    for (const x of xs) {
      const box = { x, y, ...size };
      const cost = positionCost(box, ctx);
      if (cost < bestCost - 1e-9) {
        bestCost = cost;
        best = box;
      }
    }
  }
  return best;
}

/** Grid positions plus the flush ones that lie within [lo, hi], sorted, without duplicates. */
function candidates(lo: number, hi: number, flush: number[]): number[] {
  if (hi <= lo) return [lo];
  const grid = Array.from({ length: GRID }, (_, i) => lo + ((hi - lo) * i) / (GRID - 1));
  const all = [...grid, ...flush.filter((v) => v >= lo && v <= hi)].sort((a, b) => a - b);
  return all.filter((v, i) => i === 0 || v - all[i - 1]! > 1e-6);
}

function positionCost(box: Rect, ctx: CostContext): number {
  let cost = 0;
  for (const h of ctx.heads) if (overlapArea(box, h) > OVERLAP_EPS) cost += HARD;
  for (const p of ctx.placed) if (overlapArea(box, p) > OVERLAP_EPS) cost += HARD;
  if (cost >= HARD) return cost + overlapTotal(box, [...ctx.heads, ...ctx.placed]);
  const diag = Math.hypot(ctx.frame.w, ctx.frame.h);
  cost += bodyCost(box, ctx.cast);
  cost += readingCost(box, ctx.previous, ctx.direction, diag);
  if (ctx.item.kind === 'caption') return cost + captionCost(box, ctx.area, ctx.direction);
  if (ctx.head) return cost + speakerCost(box, ctx.head, diag);
  if (hasVoice(ctx.item.kind)) return cost + offPanelCost(box, ctx.area);
  // Sound effects: high in the cell reads first and covers least.
  return cost + (0.6 * (box.y - ctx.area.y)) / ctx.area.h;
}

function overlapTotal(box: Rect, rects: Rect[]): number {
  return rects.reduce((s, r) => s + overlapArea(box, r), 0) / (box.w * box.h);
}

const hasVoice = (kind: BalloonKind): boolean => kind !== 'caption' && kind !== 'sfx';

/** An off-panel voice hugs an edge (its tail leaves the frame there), the top one first. */
function offPanelCost(box: Rect, area: Rect): number {
  const edge = Math.min(box.x - area.x, right(area) - right(box), bottom(area) - bottom(box));
  const top = box.y - area.y;
  return (3 * Math.min(top, edge + 0.05 * area.h)) / Math.min(area.w, area.h);
}

/** Covering bodies is allowed but mildly discouraged. */
function bodyCost(box: Rect, cast: MappedCast[]): number {
  const area = box.w * box.h;
  return cast.reduce((s, c) => s + (0.5 * overlapArea(box, c.region)) / area, 0);
}

/** The speaker's head in the cell: the union of their head zones, or the top of their region. */
export function speakerHead(speakerId: string | null, cast: MappedCast[]): Rect | null {
  const member = speakerId ? cast.find((c) => c.characterId === speakerId) : undefined;
  if (!member) return null;
  const zones = union(member.headZones);
  if (zones) return zones;
  const r = member.region;
  return r.w > 0 && r.h > 0 ? { x: r.x, y: r.y, w: r.w, h: r.h * 0.25 } : null;
}

/** Near the head, preferably above it (a tail root above its tip), beside it as second best. */
function speakerCost(box: Rect, head: Rect, diag: number): number {
  const gap = rectDistance(box, head) / diag;
  const c = centre(box);
  const hc = centre(head);
  let cost = 4 * gap + (0.5 * Math.abs(c.x - hc.x)) / diag;
  const belowBy = bottom(box) - (head.y + head.h * 0.3);
  if (belowBy > 0) cost += 0.8 + (1.5 * belowBy) / diag;
  return cost;
}

/** Balloon k+1 comes after balloon k: lower, or in the same band and further along the line. */
function readingCost(box: Rect, previous: Rect | null, direction: ReadingDirection, diag: number): number {
  if (!previous) return 0;
  const c = centre(box);
  const p = centre(previous);
  const band = 0.5 * Math.min(box.h, previous.h);
  if (c.y > p.y + band) return 0;
  const along = direction === 'rtl' ? p.x - c.x : c.x - p.x;
  if (Math.abs(c.y - p.y) <= band && along > 0) return 0;
  return 1.5 + (p.y - c.y + band) / diag;
}

/** Captions hug the top edge (the bottom as the fallback), at the side where reading starts. */
function captionCost(box: Rect, area: Rect, direction: ReadingDirection): number {
  const top = (box.y - area.y) / area.h;
  const bot = (bottom(area) - bottom(box)) / area.h + 0.15;
  const start = direction === 'rtl' ? right(area) - right(box) : box.x - area.x;
  return 3 * Math.min(top, bot) + (0.5 * start) / area.w;
}

/** Gap between two rectangles (0 when they touch or overlap). */
export function rectDistance(a: Rect, b: Rect): number {
  const dx = Math.max(0, b.x - right(a), a.x - right(b));
  const dy = Math.max(0, b.y - bottom(a), a.y - bottom(b));
  return Math.hypot(dx, dy);
}
