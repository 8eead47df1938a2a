/**
 * The planner's JSON schemas as the constraint engine receives them: vocabulary enums present, every
 * string and list bounded, no pattern/format, objects closed, the cast limited to the chosen ids; and
 * validation that answers bad text with one sentence.
 */
import { describe, expect, test } from 'vitest';
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  TIMES_OF_DAY,
  ids,
} from '../../src/lib/domain';
import {
  PLAN_LIMITS,
  dropTrailingCommas,
  outlineJsonSchema,
  panelPlanJsonSchema,
  parsePlanRequest,
  planRequest,
  validateOutline,
  validatePanelPlan,
} from '../../src/lib/planner';

const REQUEST = planRequest({
  premise: 'Two friends find a door.',
  cast: [
    { id: 'c-ada', name: 'Ada' },
    { id: 'c-bo', name: 'Bo' },
  ],
  panelCount: 4,
});

type Node = Record<string, unknown>;
const walk = (node: unknown, visit: (n: Node) => void): void => {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Node);
    Object.values(node).forEach((v) => walk(v, visit));
  }
};
const at = (schema: unknown, ...path: string[]): Node =>
  path.reduce((n: unknown, key) => (n as Node)[key], schema) as Node;

describe('plan JSON schemas', () => {
  test('the panel schema carries the vocabularies as enums and the cast as the beat’s chosen ids', () => {
    const s = panelPlanJsonSchema(REQUEST, { cast: ['c-bo', 'c-ada'] });
    const member = at(s, 'properties', 'cast', 'prefixItems') as unknown as Node[];
    expect(member.map((m) => at(m, 'properties', 'characterId').enum)).toEqual([['c-bo'], ['c-ada']]);
    const props = at(member[0], 'properties');
    expect(at(props, 'pose').enum).toEqual(ids(POSES));
    expect(at(props, 'expression').enum).toEqual(ids(EXPRESSIONS));
    expect(at(props, 'facing').enum).toEqual(ids(FACINGS));
    expect(at(props, 'gaze').enum).toEqual(ids(GAZES));
    expect(at(s, 'properties', 'composition', 'properties', 'shotSize').enum).toEqual(ids(SHOT_SIZES));
    expect(at(s, 'properties', 'composition', 'properties', 'cameraAngle').enum).toEqual(ids(CAMERA_ANGLES));
    expect(at(s, 'properties', 'scene', 'properties', 'timeOfDay').enum).toEqual([...TIMES_OF_DAY]);
    expect(at(s, 'properties', 'cast').items).toBe(false);
    const speaker = at(s, 'properties', 'dialogue', 'items', 'properties', 'speakerId');
    expect(speaker).toEqual({ type: ['string', 'null'], enum: ['c-bo', 'c-ada', null] });
    expect(at(s, 'properties', 'dialogue').maxItems).toBe(PLAN_LIMITS.dialogueLines);
    expect(at(s, 'properties', 'caption').maxLength).toBe(PLAN_LIMITS.caption);
  });

  test('the outline schema: exactly panelCount beats, cast enum = the chosen ids, importance 1..3', () => {
    const s = outlineJsonSchema(REQUEST);
    const beats = at(s, 'properties', 'beats');
    expect([beats.minItems, beats.maxItems]).toEqual([4, 4]);
    const beat = at(beats, 'items', 'properties');
    expect(at(beat, 'cast', 'items').enum).toEqual(['c-ada', 'c-bo']);
    expect(at(beat, 'cast').maxItems).toBe(2);
    expect(at(beat, 'importance')).toMatchObject({ type: 'integer', minimum: 1, maximum: 3 });
    expect(at(beat, 'summary').maxLength).toBe(PLAN_LIMITS.beat);
  });

  test('every string bounded, every array bounded, every object closed, no pattern or format', () => {
    for (const s of [outlineJsonSchema(REQUEST), panelPlanJsonSchema(REQUEST, { cast: ['c-ada'] })]) {
      walk(s, (n) => {
        expect(n).not.toHaveProperty('pattern');
        expect(n).not.toHaveProperty('format');
        if (n.type === 'string' && !n.enum) expect(typeof n.maxLength).toBe('number');
        if (n.type === 'array') expect(typeof n.maxItems).toBe('number');
        if (n.type === 'object') expect(n.additionalProperties).toBe(false);
      });
    }
  });
});

describe('validation', () => {
  test('bad requests get one sentence', () => {
    expect(parsePlanRequest({ premise: '', cast: [{ id: 'a', name: 'A' }], panelCount: 3 })).toEqual({
      ok: false,
      error: expect.stringMatching(/^A plan needs a premise/),
    });
    const many = Array.from({ length: 9 }, (_, i) => ({ id: `c${i}`, name: `N${i}` }));
    expect(parsePlanRequest({ premise: 'x', cast: many, panelCount: 3 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('1 to 8'),
    });
    expect(parsePlanRequest({ premise: 'x', cast: [{ id: 'a', name: 'A' }], panelCount: 41 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('1 to 40'),
    });
  });

  test('not JSON, an invented character, an unknown pose: each a sentence', () => {
    expect(validatePanelPlan('{"cast": [', REQUEST, { cast: [] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('not valid JSON'),
    });
    const outline = {
      title: 't',
      beats: Array.from({ length: 4 }, () => ({ summary: 's', cast: ['c-zed'], importance: 1 })),
    };
    expect(validateOutline(JSON.stringify(outline), REQUEST)).toMatchObject({
      ok: false,
      error: expect.stringContaining('c-ada, c-bo'),
    });
  });

  test('a trailing comma the engine let through is dropped; commas inside strings are kept', () => {
    expect(dropTrailingCommas('{"a": ["x, ]", "y", ], "b": {"c": 1, }}')).toBe(
      '{"a": ["x, ]", "y" ], "b": {"c": 1 }}',
    );
  });

  test('a beat that names a character twice has them once', () => {
    const outline = {
      title: 't',
      beats: Array.from({ length: 4 }, () => ({ summary: 's', cast: ['c-ada', 'c-ada'], importance: 2 })),
    };
    const r = validateOutline(JSON.stringify(outline), REQUEST);
    expect(r.ok && r.value.beats[0]!.cast).toEqual(['c-ada']);
  });
});
