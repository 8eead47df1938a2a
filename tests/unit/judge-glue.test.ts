import { describe, expect, it } from 'vitest';
import {
  characterBox,
  cornersToBox,
  decidedReports,
  earlierCrops,
  l2normalize,
  rgbOf,
  templateKey,
  withDecision,
} from '../../src/lib/judge/glue';
import { parsePackPath, PACK_PREFIX } from '../../src/lib/runtime/judge-paths';
import type { JudgeCheck, JudgeReport } from '../../src/lib/domain';

const check = (over: Partial<JudgeCheck>): JudgeCheck => ({
  id: 'identity@a',
  kind: 'identity',
  label: 'A',
  characterId: 'a',
  score: 0.9,
  threshold: 0.8,
  passed: true,
  hard: true,
  box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 },
  detail: '',
  ...over,
});
const report = (checks: JudgeCheck[]): JudgeReport => ({
  checks,
  verdict: 'pass',
  weightedScore: 0.8,
  judgedAt: 1,
  artistDecision: null,
});

describe('judge glue', () => {
  it('turns OWL-ViT corners into clamped boxes and refuses broken ones', () => {
    expect(cornersToBox([0.1, 0.2, 0.5, 0.6])).toEqual({ x: 0.1, y: 0.2, w: 0.4, h: expect.closeTo(0.4, 9) });
    expect(cornersToBox([-0.2, 0, 0.5, 1.3])).toEqual({ x: 0, y: 0, w: expect.closeTo(0.5, 9), h: 1 });
    expect(cornersToBox([0.5, 0.5, 0.4, 0.9])).toBeNull();
    expect(cornersToBox([Number.NaN, 0, 1, 1])).toBeNull();
    expect(cornersToBox([0, 0, 1])).toBeNull();
  });

  it('normalises embeddings to unit length and leaves zero vectors alone', () => {
    const v = l2normalize(Float32Array.from([3, 4]));
    expect([...v]).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect([...l2normalize(new Float32Array(3))]).toEqual([0, 0, 0]);
  });

  it('drops alpha onto white', () => {
    const rgb = rgbOf({ width: 2, height: 1, data: Uint8ClampedArray.from([10, 20, 30, 255, 0, 0, 0, 0]) });
    expect([...rgb]).toEqual([10, 20, 30, 255, 255, 255]);
  });

  it('keys templates by character and version', () => {
    expect(templateKey('c1', 3)).toBe('c1@3');
    expect(templateKey('c1', 4)).not.toBe(templateKey('c1', 3));
  });

  it('finds a character box from the identity check, not from a skipped one', () => {
    const r = report([
      check({ detail: 'not run: x', box: { x: 0, y: 0, w: 1, h: 1 } }),
      check({ id: 'cast@a', kind: 'cast', box: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 } }),
    ]);
    expect(characterBox(r, 'a')).toEqual({ x: 0.5, y: 0.5, w: 0.2, h: 0.2 });
    expect(characterBox(report([check({})]), 'a')).toEqual({ x: 0.1, y: 0.2, w: 0.3, h: 0.4 });
    expect(characterBox(report([check({})]), 'b')).toBeNull();
    expect(characterBox(null, 'a')).toBeNull();
  });

  it('collects earlier accepted crops of the cast, newest first, capped per character', () => {
    const cast = (...ids: string[]) => ids.map((characterId) => ({ characterId }) as never);
    const panels = [
      { id: 'p1', acceptedAttemptId: 't1', cast: cast('a', 'b') },
      { id: 'p2', acceptedAttemptId: null, cast: cast('a') },
      { id: 'p3', acceptedAttemptId: 't3', cast: cast('a') },
      { id: 'p4', acceptedAttemptId: null, cast: cast('a', 'b') },
      { id: 'p5', acceptedAttemptId: 't5', cast: cast('a') },
    ];
    const rep = (id: string) => report([check({ characterId: id, id: `identity@${id}` })]);
    const attempts = new Map([
      ['t1', { id: 't1', imageId: 'i1', report: report([...rep('a').checks, ...rep('b').checks]) }],
      ['t3', { id: 't3', imageId: 'i3', report: rep('a') }],
      ['t5', { id: 't5', imageId: 'i5', report: rep('a') }],
    ]);
    const crops = earlierCrops(panels, 'p4', attempts);
    expect(crops.map((c) => `${c.attemptId}:${c.characterId}`)).toEqual(['t3:a', 't1:a', 't1:b']);
    expect(earlierCrops(panels, 'p4', attempts, 1).map((c) => c.attemptId)).toEqual(['t3', 't1']);
    expect(earlierCrops(panels, 'p1', attempts)).toEqual([]);
    expect(earlierCrops(panels, 'nope', attempts)).toEqual([]);
  });

  it('records a decision on a copy and lists only decided reports', () => {
    const r = report([check({})]);
    const d = withDecision(r, 'override', 12.7);
    expect(d.artistDecision).toEqual({ decision: 'override', at: 12 });
    expect(r.artistDecision).toBeNull();
    expect(decidedReports([{ report: r }, { report: d }, { report: null }])).toEqual([d]);
  });
});

describe('pack paths for transformers.js', () => {
  it('splits model id and file path', () => {
    expect(parsePackPath(`${PACK_PREFIX}tiny/detector/onnx/model.onnx`)).toEqual({
      modelId: 'tiny/detector',
      path: 'onnx/model.onnx',
    });
    expect(parsePackPath(`http://127.0.0.1:4173${PACK_PREFIX}tiny/vlm-judge/config.json?x=1`)).toEqual({
      modelId: 'tiny/vlm-judge',
      path: 'config.json',
    });
  });

  it('refuses other paths and escapes', () => {
    expect(parsePackPath('/models/tiny/detector/config.json')).toBeNull();
    expect(parsePackPath(`${PACK_PREFIX}tiny/detector`)).toBeNull();
    expect(parsePackPath(`${PACK_PREFIX}tiny/detector/../../x`)).toBeNull();
    expect(parsePackPath(`https://evil.example/a${PACK_PREFIX}tiny/detector/config.json`)).toBeNull();
    expect(parsePackPath(`${PACK_PREFIX}tiny/detector/%E0%A4%A`)).toBeNull();
  });
});
