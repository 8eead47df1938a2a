import { describe, expect, it } from 'vitest';
import { newCastMember, newDialogueLine, newPanel, newStory } from '../../../src/lib/domain';
import type { JudgeReport, Panel } from '../../../src/lib/domain';
import {
  UNITS_PER_MM,
  WEBTOON_WIDTH,
  headZoneOf,
  layoutInputFor,
  pageSpecFor,
  textsOf,
} from '../../../src/lib/layout/from-story';
import {
  boxInCell,
  liveLettering,
  pinAt,
  pointInCell,
  retyped,
  spreadViews,
  unpin,
  withBalloon,
} from '../../../src/lib/layout/lettering-edit';

const measure = (text: string, _font: string, size: number) => text.length * size * 0.55;

function panelWith(): Panel {
  const p = newPanel('s', 1);
  p.cast = [newCastMember('mira', 0, 2), newCastMember('bo', 1, 2)];
  p.caption = '  Night fell.  ';
  p.dialogue = [
    { ...newDialogueLine('mira', 'Hold the lantern.'), id: 'a' },
    { ...newDialogueLine('bo', '   '), id: 'b' },
    { ...newDialogueLine('ghost', 'Who goes there?'), id: 'c' },
    { ...newDialogueLine('bo', 'CRASH'), id: 'd', kind: 'sfx' },
  ];
  return p;
}

describe('page settings to page units', () => {
  it('A4 with 10 mm margins and 4 mm gutters, 1 unit = 1/96 inch', () => {
    const spec = pageSpecFor(newStory(1).layout);
    expect(spec.width).toBeCloseTo(793.7, 1);
    expect(spec.height).toBeCloseTo(1122.5, 1);
    expect(spec.margin).toBeCloseTo(10 * UNITS_PER_MM, 6);
    expect(spec.gutter).toBeCloseTo(4 * UNITS_PER_MM, 6);
  });
  it('a webtoon is a fixed-width strip without margins', () => {
    const spec = pageSpecFor({ ...newStory(1).layout, direction: 'webtoon' });
    expect(spec.width).toBe(WEBTOON_WIDTH);
    expect(spec.margin).toBe(0);
  });
});

describe('texts of a panel', () => {
  it('caption first, then the non-empty lines in order; an undrawn speaker speaks from off panel; sfx has none', () => {
    const texts = textsOf(panelWith());
    expect(texts.map((t) => [t.balloonId, t.kind, t.text, t.speakerId, t.font])).toEqual([
      ['caption', 'caption', 'Night fell.', null, 'dialogue'],
      ['a', 'speech', 'Hold the lantern.', 'mira', 'dialogue'],
      ['c', 'speech', 'Who goes there?', null, 'dialogue'],
      ['d', 'sfx', 'CRASH', null, 'display'],
    ]);
    expect(texts.every((t) => !t.pinned && t.box === null && t.tail === null)).toBe(true);
  });

  it("the artist's choices apply: kind (and its font), and a pinned box and tail", () => {
    const p = panelWith();
    p.lettering = pinAt(
      withBalloon([], 'a', { kind: 'shout' }),
      'a',
      { x: 0.1, y: 0.1, w: 0.3, h: 0.2 },
      { x: 0.5, y: 0.5 },
    );
    const a = textsOf(p).find((t) => t.balloonId === 'a')!;
    expect([a.kind, a.font, a.pinned, a.box, a.tail]).toEqual([
      'shout',
      'display',
      true,
      { x: 0.1, y: 0.1, w: 0.3, h: 0.2 },
      { x: 0.5, y: 0.5 },
    ]);
    p.lettering = unpin(p.lettering, 'a');
    const b = textsOf(p).find((t) => t.balloonId === 'a')!;
    expect([b.kind, b.pinned, b.box, b.tail]).toEqual(['shout', false, null, null]);
  });
});

describe('head zones', () => {
  it('the top of the box, narrowed to its middle', () => {
    const z = headZoneOf({ x: 0.2, y: 0.1, w: 0.4, h: 0.8 });
    expect(z.x).toBeCloseTo(0.26, 9);
    expect(z.w).toBeCloseTo(0.28, 9);
    expect(z.y).toBeCloseTo(0.1, 9);
    expect(z.h).toBeCloseTo(0.224, 9);
  });
  it("also from the judge's detection of the character, not from failed or other characters' checks", () => {
    const p = panelWith();
    const check = (characterId: string, passed: boolean) => ({
      kind: 'cast' as const,
      id: `cast@${characterId}`,
      label: '',
      characterId,
      score: 1,
      threshold: 0.5,
      passed,
      hard: true,
      box: { x: 0.05, y: 0.3, w: 0.3, h: 0.6 },
      detail: '',
    });
    const report = {
      checks: [check('mira', true), check('bo', false)],
      verdict: 'pass',
      weightedScore: 1,
      judgedAt: 1,
      artistDecision: null,
    } as unknown as JudgeReport;
    const input = layoutInputFor(newStory(1), [p], { [p.id]: { width: 640, height: 480, report } }, measure);
    const [mira, bo] = input.panels[0]!.cast;
    expect(mira!.headZones).toHaveLength(2);
    expect(mira!.headZones[1]!.y).toBeCloseTo(0.3, 9);
    expect(bo!.headZones).toHaveLength(1);
    expect(input.panels[0]!.imageAspect).toBeCloseTo(640 / 480, 9);
  });
});

describe('lettering edits', () => {
  const frame = { x: 100, y: 200, w: 400, h: 300 };
  it('boxes and points go to cell coordinates and stay inside the cell', () => {
    expect(boxInCell(frame, { x: 200, y: 260, w: 100, h: 60 })).toEqual({ x: 0.25, y: 0.2, w: 0.25, h: 0.2 });
    const out = boxInCell(frame, { x: 450, y: 480, w: 100, h: 60 });
    expect(out.x + out.w).toBeLessThanOrEqual(1);
    expect(out.y + out.h).toBeLessThanOrEqual(1);
    expect(pointInCell(frame, { x: 50, y: 350 })).toEqual({ x: 0, y: 0.5 });
  });
  it('retyping changes the line or the caption only; lettering of deleted lines is dropped', () => {
    const p = panelWith();
    expect(retyped(p, 'a', 'Higher!').dialogue.map((d) => d.text)[0]).toBe('Higher!');
    expect(retyped(p, 'caption', 'Dawn.').caption).toBe('Dawn.');
    p.lettering = withBalloon(withBalloon([], 'a', { kind: 'shout' }), 'zz', { kind: 'thought' });
    expect(liveLettering(p).map((b) => b.id)).toEqual(['a']);
  });
  it('spreads: the cover alone, then pairs; one page per view without spreads', () => {
    expect(spreadViews(5, true)).toEqual([[0], [1, 2], [3, 4]]);
    expect(spreadViews(4, true)).toEqual([[0], [1, 2], [3]]);
    expect(spreadViews(3, false)).toEqual([[0], [1], [2]]);
    expect(spreadViews(0, true)).toEqual([]);
  });
});
