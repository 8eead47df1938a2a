import { describe, expect, it } from 'vitest';
import {
  castFocus,
  containsPoint,
  containsRect,
  coverCrop,
  letterCell,
  mapCast,
  OVERLAP_EPS,
  overlapArea,
  placementArea,
  type BalloonLayout,
  type LayoutPanel,
  type MappedCast,
  type Rect,
} from '../../../src/lib/layout';
import { fakeMeasure, member, panel, randomPanel, rng, text } from './helpers';

interface Scene {
  frame: Rect;
  panel: LayoutPanel;
  cast: MappedCast[];
  balloons: BalloonLayout[];
}

function scene(frame: Rect, p: LayoutPanel, direction: 'ltr' | 'rtl' = 'ltr'): Scene {
  const crop = coverCrop(p.imageAspect, frame.w / frame.h, castFocus(p.cast));
  const cast = mapCast(p.cast, crop, frame);
  return { frame, panel: p, cast, balloons: letterCell(p.texts, frame, cast, direction, fakeMeasure) };
}

/** 200 random cells of random sizes: the sweep every rule is checked over. */
function sweep(): Scene[] {
  const r = rng(2026);
  return Array.from({ length: 200 }, (_, i) => {
    const frame = { x: 20 + r() * 200, y: 20 + r() * 200, w: 240 + r() * 480, h: 220 + r() * 480 };
    return scene(frame, randomPanel(r, `s${i}`), i % 2 ? 'rtl' : 'ltr');
  });
}

const overlapsAny = (box: Rect, rects: Rect[]) => rects.some((o) => overlapArea(box, o) > OVERLAP_EPS);

/** Brute force: is there any position in the area for a box of this size clear of the obstacles? */
function freeSpotExists(size: Rect, area: Rect, obstacles: Rect[]): boolean {
  const n = 80;
  for (let i = 0; i <= n; i++)
    for (let j = 0; j <= n; j++) {
      const box = {
        x: area.x + ((area.w - size.w) * i) / n,
        y: area.y + ((area.h - size.h) * j) / n,
        w: size.w,
        h: size.h,
      };
      if (!overlapsAny(box, obstacles)) return true;
    }
  return false;
}

describe('balloon placement', () => {
  const scenes = sweep();

  it('keeps every balloon inside its cell, off every face and off the balloons before it', () => {
    let checked = 0;
    let crowded = 0;
    for (const s of scenes) {
      const heads = s.cast.flatMap((c) => c.headZones);
      const area = placementArea(s.frame);
      s.balloons.forEach((b, i) => {
        expect(containsRect(area, b.box, 1e-6)).toBe(true);
        const before = s.balloons.slice(0, i).map((o) => o.box);
        if (!overlapsAny(b.box, [...heads, ...before])) {
          checked++;
          return;
        }
        // Allowed only when the cell really has no free spot for a body of that size.
        crowded++;
        expect(freeSpotExists(b.box, area, [...heads, ...before])).toBe(false);
      });
    }
    expect(checked).toBeGreaterThan(300);
    expect(crowded).toBeLessThan(checked / 10);
  });

  it('never lets two balloons of a cell overlap when there was room', () => {
    for (const s of scenes)
      for (let i = 0; i < s.balloons.length; i++)
        for (let j = i + 1; j < s.balloons.length; j++) {
          const a = s.balloons[i]!.box;
          const b = s.balloons[j]!.box;
          if (overlapArea(a, b) <= OVERLAP_EPS) continue;
          const heads = s.cast.flatMap((c) => c.headZones);
          const before = s.balloons.slice(0, j).map((o) => o.box);
          expect(freeSpotExists(b, placementArea(s.frame), [...heads, ...before])).toBe(false);
        }
  });

  it('points every tail into its speaker’s head zone; captions and sound effects have none', () => {
    let tails = 0;
    for (const s of scenes)
      for (const b of s.balloons) {
        if (b.kind === 'caption' || b.kind === 'sfx') {
          expect(b.tailPath).toBe('');
          expect(b.tailTip).toBeNull();
          continue;
        }
        expect(b.tailTip).not.toBeNull();
        expect(b.tailPath).toMatch(/^M/);
        const zones = s.cast.find((c) => c.characterId === b.speakerId)?.headZones ?? [];
        if (zones.length === 0) {
          // An off-panel voice points out through the frame's edge.
          const t = b.tailTip!;
          const f = s.frame;
          const onEdge = [t.x - f.x, f.x + f.w - t.x, t.y - f.y, f.y + f.h - t.y].some(
            (d) => Math.abs(d) < 1e-9,
          );
          expect(onEdge).toBe(true);
          continue;
        }
        tails++;
        expect(zones.some((z) => containsPoint(z, b.tailTip!))).toBe(true);
      }
    expect(tails).toBeGreaterThan(200);
  });

  it('mostly sits above the speaker when there is room, so the tail points down to the head', () => {
    let down = 0;
    let all = 0;
    for (const s of scenes)
      for (const b of s.balloons) {
        const zones = s.cast.find((c) => c.characterId === b.speakerId)?.headZones ?? [];
        if (!b.tailTip || zones.length === 0) continue;
        const top = Math.min(...zones.map((z) => z.y));
        if (top - placementArea(s.frame).y < b.box.h) continue;
        all++;
        if (b.tailTip.y > b.box.y + b.box.h / 2) down++;
      }
    // Not always: the reading order (a later balloon lower) and other heads can outweigh it.
    expect(down / all).toBeGreaterThan(0.65);
  });

  it('reads right to left in rtl: the second balloon of a band comes to the left', () => {
    const frame = { x: 0, y: 0, w: 600, h: 300 };
    const p = panel('p', {
      imageAspect: 2,
      cast: [member('a', 0.4, 0.45, 0.2, 0.55)],
      texts: [text('one', 'First words.', 'a'), text('two', 'Second words.', 'a')],
    });
    const [ltr1, ltr2] = scene(frame, p, 'ltr').balloons.map((b) => b.box);
    const [rtl1, rtl2] = scene(frame, p, 'rtl').balloons.map((b) => b.box);
    const sameBand = (a: Rect, b: Rect) =>
      Math.abs(a.y + a.h / 2 - (b.y + b.h / 2)) <= 0.5 * Math.min(a.h, b.h);
    if (sameBand(ltr1!, ltr2!)) expect(ltr2!.x).toBeGreaterThan(ltr1!.x);
    else expect(ltr2!.y).toBeGreaterThan(ltr1!.y);
    if (sameBand(rtl1!, rtl2!)) expect(rtl2!.x).toBeLessThan(rtl1!.x);
    else expect(rtl2!.y).toBeGreaterThan(rtl1!.y);
  });

  it('puts balloons in reading order most of the time and near the speaker', () => {
    let inOrder = 0;
    let pairs = 0;
    for (const s of scenes)
      for (let i = 1; i < s.balloons.length; i++) {
        pairs++;
        const a = s.balloons[i - 1]!.box;
        const b = s.balloons[i]!.box;
        if (b.y + b.h / 2 >= a.y + a.h / 2 - 0.5 * Math.min(a.h, b.h)) inOrder++;
      }
    expect(inOrder / pairs).toBeGreaterThan(0.8);
  });

  it('keeps a pinned balloon’s box and tail, and places the others around it', () => {
    const frame = { x: 0, y: 0, w: 400, h: 300 };
    const p = panel('p', {
      cast: [member('a', 0.1, 0.3, 0.3, 0.7), member('b', 0.6, 0.3, 0.3, 0.7)],
      texts: [
        text('one', 'Hello there, you.', 'a'),
        text('pin', 'I stay here.', 'b', {
          pinned: true,
          box: { x: 0.3, y: 0.02, w: 0.4, h: 0.2 },
          tail: { x: 0.5, y: 0.5 },
        }),
      ],
    });
    const s = scene(frame, p);
    const pin = s.balloons[1]!;
    expect(pin.box).toEqual({ x: 120, y: 6, w: 160, h: 60 });
    expect(pin.tailTip).toEqual({ x: 200, y: 150 });
    expect(pin.pinned).toBe(true);
    expect(overlapArea(s.balloons[0]!.box, pin.box)).toBe(0);
  });

  it('puts a caption at the top edge, at the reading start', () => {
    const frame = { x: 0, y: 0, w: 400, h: 300 };
    const p = panel('p', {
      cast: [member('a', 0.5, 0.4, 0.3, 0.6)],
      texts: [text('caption', 'Meanwhile.', null, { kind: 'caption' })],
    });
    const ltr = scene(frame, p).balloons[0]!.box;
    const rtl = scene(frame, p, 'rtl').balloons[0]!.box;
    expect(ltr.y).toBeCloseTo(8, 6);
    expect(ltr.x).toBeCloseTo(8, 6);
    expect(rtl.x + rtl.w).toBeCloseTo(392, 6);
  });

  it('is deterministic', () => {
    expect(sweep().slice(0, 20)).toEqual(scenes.slice(0, 20));
  });
});
