/**
 * The reader's edits as pure functions: page-unit boxes and points from the screen into the cell's
 * 0…1 coordinates the panel stores, and a panel's lettering list with one balloon changed. A
 * balloon the artist moves, resizes or re-aims is pinned: the layout keeps it where it was put.
 */
import { CAPTION_BALLOON_ID } from '../domain/schema';
import type { Balloon, BalloonKind, Panel } from '../domain/schema';
import type { Point, Rect, Rect01 } from './types';

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** A page-unit box inside `frame` as a cell-normalised box, clamped so it stays inside the cell. */
export function boxInCell(frame: Rect, box: Rect): Rect01 {
  const w = Math.min(1, Math.max(0.02, box.w / frame.w));
  const h = Math.min(1, Math.max(0.02, box.h / frame.h));
  const x = Math.min(1 - w, clamp01((box.x - frame.x) / frame.w));
  const y = Math.min(1 - h, clamp01((box.y - frame.y) / frame.h));
  return { x, y, w, h };
}

export function pointInCell(frame: Rect, p: Point): Point {
  return { x: clamp01((p.x - frame.x) / frame.w), y: clamp01((p.y - frame.y) / frame.h) };
}

export function blankBalloon(id: string): Balloon {
  return { id, kind: null, font: null, fontSize: null, pinned: false, box: null, tail: null };
}

/** The lettering with balloon `id` changed by `patch` (added when it had no entry yet). */
export function withBalloon(
  lettering: readonly Balloon[],
  id: string,
  patch: Partial<Omit<Balloon, 'id'>>,
): Balloon[] {
  const at = lettering.findIndex((b) => b.id === id);
  const next = { ...(at >= 0 ? lettering[at]! : blankBalloon(id)), ...patch, id };
  return at >= 0 ? lettering.map((b, i) => (i === at ? next : b)) : [...lettering, next];
}

/** Pin a balloon where the artist put it (its current box and tail in cell coordinates). */
export function pinAt(lettering: readonly Balloon[], id: string, box: Rect01, tail: Point | null): Balloon[] {
  return withBalloon(lettering, id, { pinned: true, box, tail });
}

/** Let the layout place the balloon again: its box and tail are forgotten, its kind and font kept. */
export function unpin(lettering: readonly Balloon[], id: string): Balloon[] {
  return withBalloon(lettering, id, { pinned: false, box: null, tail: null });
}

/** The balloon's words changed: a dialogue line's text, or the caption. */
export function retyped(panel: Panel, balloonId: string, text: string): Pick<Panel, 'caption' | 'dialogue'> {
  if (balloonId === CAPTION_BALLOON_ID) return { caption: text, dialogue: panel.dialogue };
  return {
    caption: panel.caption,
    dialogue: panel.dialogue.map((d) => (d.id === balloonId ? { ...d, text } : d)),
  };
}

/** A new shape for the balloon; the font follows the shape unless the artist chose one. */
export function rekinded(lettering: readonly Balloon[], id: string, kind: BalloonKind): Balloon[] {
  return withBalloon(lettering, id, { kind });
}

/** Lettering entries whose text is gone (a deleted line, an emptied caption) are dropped. */
export function liveLettering(panel: Panel): Balloon[] {
  const ids = new Set(panel.dialogue.map((d) => d.id));
  if (panel.caption.trim()) ids.add(CAPTION_BALLOON_ID);
  return panel.lettering.filter((b) => ids.has(b.id));
}

/**
 * The views of a paged reader: one page each, or on a wide screen two-page spreads with the first
 * page (the cover, a right-hand page) alone, as printed comics open.
 */
export function spreadViews(pageCount: number, spreads: boolean): number[][] {
  const views: number[][] = [];
  if (!spreads) {
    for (let i = 0; i < pageCount; i++) views.push([i]);
    return views;
  }
  if (pageCount > 0) views.push([0]);
  for (let i = 1; i < pageCount; i += 2) views.push(i + 1 < pageCount ? [i, i + 1] : [i]);
  return views;
}
