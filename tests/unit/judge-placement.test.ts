import { describe, expect, it } from 'vitest';
import {
  CENTRE_SCALE,
  bestPlacement,
  cornersToBox,
  describeCharacter,
  groundingPhrases,
  placement,
} from '../../src/lib/judge';
import { newCastMember, newCharacter } from '../../src/lib/domain';
import type { Character, RegionBox } from '../../src/lib/domain';

const LEFT: RegionBox = { x: 0, y: 0.1, w: 0.5, h: 0.9 };

describe('grounded boxes in pixels → normalised boxes', () => {
  it('divides by the image size passed to post_process_generation (width, height)', () => {
    // A 200×100 image: Florence-2's bins give pixel corners [x0, y0, x1, y1].
    expect(cornersToBox([20, 10, 120, 90], 200, 100)).toEqual({
      x: 0.1,
      y: 0.1,
      w: 0.5,
      h: expect.closeTo(0.8, 9),
    });
    // The last bin's centre lands half a bin inside; anything past the edge is clamped.
    expect(cornersToBox([0, 0, 200.1, 100], 200, 100)).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    expect(cornersToBox([50, 50, 50, 80], 200, 100)).toBeNull();
  });
});

describe('placement', () => {
  it('scores ½·IoU + ½·centre closeness', () => {
    expect(placement(LEFT, LEFT)).toEqual({ score: 1, iou: 1, distance: 0 });
    // A figure inside its column: IoU 0.21 / 0.45, centres 0.05 apart.
    const inside = { x: 0.15, y: 0.2, w: 0.3, h: 0.7 };
    const p = placement(LEFT, inside);
    expect(p.iou).toBeCloseTo(0.21 / 0.45);
    expect(p.distance).toBeCloseTo(0.05);
    expect(p.score).toBeCloseTo(0.5 * (0.21 / 0.45) + 0.5 * (1 - 0.05 / CENTRE_SCALE));
    // The other column: no overlap and centres half a panel apart.
    expect(placement(LEFT, { x: 0.5, y: 0.1, w: 0.5, h: 0.9 }).score).toBe(0);
  });

  it('picks the best-placed box, the earliest on ties, and null when nothing was found', () => {
    const right = { x: 0.55, y: 0.2, w: 0.3, h: 0.7 };
    const left = { x: 0.1, y: 0.2, w: 0.3, h: 0.7 };
    expect(bestPlacement(LEFT, [right, left])).toMatchObject({ index: 1 });
    expect(bestPlacement(LEFT, [left, left])).toMatchObject({ index: 0 });
    expect(bestPlacement(LEFT, [])).toBeNull();
  });
});

describe('grounding phrases', () => {
  const mira: Character = { ...newCharacter(1, 'Mira'), id: 'mira', species: 'girl', hair: 'copper bob' };
  const tomas: Character = {
    ...newCharacter(1, 'Tomas'),
    id: 'tomas',
    wardrobe: [{ item: 'coat', color: 'green' }],
  };

  it('describes each character by species, hair or first wardrobe item', () => {
    expect(describeCharacter(mira)).toBe('the girl with copper bob hair');
    expect(describeCharacter({ ...mira, hair: 'long black hair' })).toBe('the girl with long black hair');
    expect(describeCharacter(tomas)).toBe('the person wearing green coat');
    expect(describeCharacter({ ...newCharacter(1, 'Fox'), species: 'red fox' })).toBe('the red fox');
  });

  it('tells look-alikes apart by position', () => {
    const twin = { ...mira, id: 'twin' };
    const cast = [newCastMember('mira', 0, 2), newCastMember('twin', 1, 2), newCastMember('tomas', 1, 2)];
    const characters = new Map([
      ['mira', mira],
      ['twin', twin],
      ['tomas', tomas],
    ]);
    expect(groundingPhrases(cast, characters)).toEqual([
      'the girl with copper bob hair on the left',
      'the girl with copper bob hair on the right',
      'the person wearing green coat',
    ]);
    expect(groundingPhrases([newCastMember('ghost')], characters)).toEqual(['the person']);
  });
});
