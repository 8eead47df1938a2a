import { describe, expect, it } from 'vitest';
import { BALLOON_KINDS, bodyPath, strokeDash, type Rect } from '../../../src/lib/layout';

/** End points of every command in a path (the last two numbers of each command). */
function endPoints(d: string): [number, number][] {
  return (d.match(/[MLAHV][^MLAHVZ]*/g) ?? [])
    .filter((c) => /^[MLA]/.test(c))
    .map((c) => c.slice(1).trim().split(/[ ,]+/).map(Number).slice(-2) as [number, number]);
}

describe('balloon shapes', () => {
  const box: Rect = { x: 100, y: 50, w: 200, h: 120 };

  it('draws a closed outline for every kind but sound effects, inside the body box', () => {
    for (const kind of BALLOON_KINDS) {
      const d = bodyPath(kind, box);
      if (kind === 'sfx') {
        expect(d).toBe('');
        continue;
      }
      expect(d).toMatch(/^M.*Z$/);
      for (const [x, y] of endPoints(d)) {
        expect(x).toBeGreaterThanOrEqual(box.x - 0.01);
        expect(x).toBeLessThanOrEqual(box.x + box.w + 0.01);
        expect(y).toBeGreaterThanOrEqual(box.y - 0.01);
        expect(y).toBeLessThanOrEqual(box.y + box.h + 0.01);
      }
    }
  });

  it('uses the right primitives: arcs for ellipses and clouds, straight spikes for a shout', () => {
    expect(bodyPath('speech', box)).toBe('M100 110A100 60 0 1 1 300 110A100 60 0 1 1 100 110Z');
    expect(bodyPath('whisper', box)).toBe(bodyPath('speech', box));
    expect((bodyPath('thought', box).match(/A/g) ?? []).length).toBeGreaterThanOrEqual(9);
    expect(bodyPath('shout', box)).not.toMatch(/A/);
    expect((bodyPath('shout', box).match(/L/g) ?? []).length).toBeGreaterThanOrEqual(19);
    expect(bodyPath('caption', box)).toMatch(/^M106 50H294A6 6 0 0 1 300 56/);
  });

  it('dashes only whispers', () => {
    for (const kind of BALLOON_KINDS) expect(strokeDash(kind) !== null).toBe(kind === 'whisper');
  });
});
