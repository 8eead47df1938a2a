import { describe, expect, it } from 'vitest';
import {
  MIN_SIZE,
  boxIssue,
  clampBox,
  keyStep,
  moveBox,
  resizeBox,
  setBoxField,
  toPanelUnits,
} from '../../src/lib/components/region-math';
import { RegionBox } from '../../src/lib/domain';

const inside = (b: { x: number; y: number; w: number; h: number }) => RegionBox.safeParse(b).success;

describe('region math', () => {
  it('moves a box and keeps it inside the panel', () => {
    expect(moveBox({ x: 0.1, y: 0.1, w: 0.3, h: 0.5 }, 0.2, 0.1)).toEqual({ x: 0.3, y: 0.2, w: 0.3, h: 0.5 });
    expect(moveBox({ x: 0.5, y: 0.4, w: 0.3, h: 0.5 }, 0.9, 0.9)).toEqual({ x: 0.7, y: 0.5, w: 0.3, h: 0.5 });
    expect(moveBox({ x: 0.2, y: 0.2, w: 0.3, h: 0.5 }, -1, -1)).toEqual({ x: 0, y: 0, w: 0.3, h: 0.5 });
  });

  it('resizes from the corner, never past the panel or below the minimum', () => {
    expect(resizeBox({ x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, 0.1, 0.05)).toEqual({
      x: 0.5,
      y: 0.5,
      w: 0.3,
      h: 0.25,
    });
    expect(resizeBox({ x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, 2, 2)).toEqual({ x: 0.5, y: 0.5, w: 0.5, h: 0.5 });
    expect(resizeBox({ x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, -1, -1)).toEqual({
      x: 0.5,
      y: 0.5,
      w: MIN_SIZE,
      h: MIN_SIZE,
    });
  });

  it('clamps to three decimals without leaving the panel (the schema accepts every result)', () => {
    for (let i = 0; i < 500; i++) {
      const b = {
        x: Math.random() * 1.4 - 0.2,
        y: Math.random() * 1.4 - 0.2,
        w: Math.random() * 1.2,
        h: Math.random(),
      };
      const c = clampBox(b);
      expect(inside(c)).toBe(true);
      expect(Math.round(c.x * 1000)).toBeCloseTo(c.x * 1000, 6);
    }
    expect(inside(clampBox({ x: 0.0005, y: 0, w: 0.9995, h: 1 }))).toBe(true);
  });

  it('keeps typed numbers as typed so the service can refuse them', () => {
    const b = { x: 0.1, y: 0.1, w: 0.3, h: 0.5 };
    expect(setBoxField(b, 'x', '0.25')).toEqual({ ...b, x: 0.25 });
    expect(setBoxField(b, 'x', '1.2')).toEqual({ ...b, x: 1.2 });
    expect(setBoxField(b, 'w', '-0.1')).toEqual({ ...b, w: -0.1 });
    expect(setBoxField(b, 'x', '')).toBeNull();
    expect(setBoxField(b, 'x', 'abc')).toBeNull();
  });

  it('explains a box outside the panel, agreeing with the schema', () => {
    const cases = [
      { x: 1.2, y: 0, w: 0.3, h: 0.5 },
      { x: -0.1, y: 0, w: 0.3, h: 0.5 },
      { x: 0, y: 0, w: 0, h: 0.5 },
      { x: 0.5, y: 0.6, w: 0.5, h: 0.5 },
      { x: 0.5, y: 0.5, w: 0.5, h: 0.5 },
    ];
    for (const b of cases) expect(boxIssue(b) === null).toBe(inside(b));
    expect(boxIssue({ x: 1.2, y: 0, w: 0.3, h: 0.5 })).toMatch(/inside the panel/);
  });

  it('converts pixels and keys to panel units', () => {
    expect(toPanelUnits(40, 25, 400, 250)).toEqual({ dx: 0.1, dy: 0.1 });
    expect(toPanelUnits(40, 25, 0, 0)).toEqual({ dx: 0, dy: 0 });
    expect(keyStep('ArrowLeft', false)).toEqual({ dx: -0.01, dy: 0 });
    expect(keyStep('ArrowDown', true)).toEqual({ dx: 0, dy: 0.1 });
    expect(keyStep('a', false)).toBeNull();
  });
});
