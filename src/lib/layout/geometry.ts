/** Small rectangle and number helpers shared by the layout modules (page units unless noted). */
import type { Point, Rect } from './types';

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export const right = (r: Rect): number => r.x + r.w;
export const bottom = (r: Rect): number => r.y + r.h;
export const centre = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

export function inset(r: Rect, d: number): Rect {
  const dx = Math.min(d, r.w / 2);
  const dy = Math.min(d, r.h / 2);
  return { x: r.x + dx, y: r.y + dy, w: r.w - 2 * dx, h: r.h - 2 * dy };
}

/** Area of the intersection; 0 when the rectangles only touch. */
export function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(right(a), right(b)) - Math.max(a.x, b.x);
  const h = Math.min(bottom(a), bottom(b)) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

export function intersect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.max(0, Math.min(right(a), right(b)) - x);
  const h = Math.max(0, Math.min(bottom(a), bottom(b)) - y);
  return { x, y, w, h };
}

export function union(rects: Rect[]): Rect | null {
  if (rects.length === 0) return null;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, right(r));
    y1 = Math.max(y1, bottom(r));
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export function containsPoint(r: Rect, p: Point, eps = 1e-9): boolean {
  return p.x >= r.x - eps && p.x <= right(r) + eps && p.y >= r.y - eps && p.y <= bottom(r) + eps;
}

export function containsRect(outer: Rect, inner: Rect, eps = 1e-9): boolean {
  return (
    inner.x >= outer.x - eps &&
    inner.y >= outer.y - eps &&
    right(inner) <= right(outer) + eps &&
    bottom(inner) <= bottom(outer) + eps
  );
}

/** A cell-normalised rectangle (0…1) placed in a frame (page units). */
export function fromCell(frame: Rect, r: Rect): Rect {
  return { x: frame.x + r.x * frame.w, y: frame.y + r.y * frame.h, w: r.w * frame.w, h: r.h * frame.h };
}

export function pointFromCell(frame: Rect, p: Point): Point {
  return { x: frame.x + p.x * frame.w, y: frame.y + p.y * frame.h };
}

/** Numbers in SVG paths: two decimals are far below a printed dot and keep the strings short. */
export function fmt(n: number): string {
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}
