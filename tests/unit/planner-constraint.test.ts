/**
 * Constrained decoding of the planner's schemas (src/lib/runtime/planner-constraint.ts over
 * @huggingface/transformers-structured-output 4.3.0) with a synthetic tokenizer and logits that no
 * model wrote: random ones for many seeds, and adversarial ones that push towards EOS, whitespace,
 * backslashes, quotes, digits and the longest tokens. Whatever the logits, the masked greedy loop
 * must end in text that parses and passes the zod schema the JSON schema came from.
 */
import '../helpers/transformers-node';
import { Tensor } from '@huggingface/transformers';
import { describe, expect, test } from 'vitest';
import {
  outlineJsonSchema,
  panelPlanJsonSchema,
  panelPlanToPanel,
  planRequest,
  validateOutline,
  validatePanelPlan,
  type JsonSchema,
} from '../../src/lib/planner';
import { Panel } from '../../src/lib/domain';
import { isConstraintDeadEnd, planConstraint } from '../../src/lib/runtime/planner-constraint';
import { Xoshiro128 } from '../../src/lib/schedulers/random';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const REQUEST = planRequest({
  premise: 'Ada and Bo find a door in the old oak. They open it at night.',
  cast: [
    { id: 'char-ada-0001', name: 'Ada' },
    { id: 'char-bo-0002', name: 'Bo' },
    { id: 'char-cy-0003', name: 'Cy' },
  ],
  panelCount: 3,
});

/** A byte-token vocabulary like a small BPE's: every printable ASCII character, some words, EOS last. */
function syntheticTokenizer() {
  const pieces = new Set<string>();
  for (let c = 0x20; c < 0x7f; c++) pieces.add(String.fromCharCode(c));
  for (const w of [
    '{"',
    '"}',
    '":',
    '":"',
    '","',
    '",',
    '"',
    '\n',
    '  ',
    'the',
    ' the',
    'and',
    ' a',
    'cast',
    'scene',
    'standing',
    'close',
    '-up',
    'eye',
    '-level',
    'night',
    'char',
    '-ada',
    'ada',
    '0001',
    'é',
    '—',
    '\\n',
    '\\"',
    'null',
    'true',
    '[]',
    '[{"',
    '}]',
    '},{"',
    'speech',
    'summary',
    'importance',
    'beats',
    'title',
  ])
    pieces.add(w);
  const tokens = [...pieces].map((p) => encoder.encode(p));
  tokens.push(encoder.encode('</s>'));
  return { tokenizer: { tokens, eos_token_id: tokens.length - 1 }, tokens, eos: tokens.length - 1 };
}

type Logits = (step: number, vocab: number) => Float32Array;

function seededLogits(seed: number): Logits {
  const rng = new Xoshiro128(seed);
  return (_step, vocab) => Float32Array.from({ length: vocab }, () => rng.nextUint32() / 2 ** 32);
}

/** Favour one family of tokens above all others, with a seeded tie-break. */
function biasedLogits(
  seed: number,
  favoured: (bytes: Uint8Array, id: number) => number,
  tokens: Uint8Array[],
): Logits {
  const rng = new Xoshiro128(seed);
  return (_step, vocab) =>
    Float32Array.from(
      { length: vocab },
      (_, id) => favoured(tokens[id]!, id) * 10 + rng.nextUint32() / 2 ** 32,
    );
}

/** Greedy decoding under the constraint: the best allowed token each step, until EOS. */
function decode(schema: JsonSchema, logitsFor: Logits, maxSteps = 4000): string {
  const { tokenizer, tokens, eos } = syntheticTokenizer();
  const processor = planConstraint(tokenizer, schema);
  const prompt = [7n, 8n, 9n];
  const ids: bigint[] = [...prompt];
  const out: number[] = [];
  for (let step = 0; step < maxSteps; step++) {
    const logits = new Tensor('float32', logitsFor(step, tokens.length), [1, tokens.length]);
    const masked = processor([ids], logits) as Tensor;
    const data = masked.data as Float32Array;
    let best = -1;
    for (let i = 0; i < data.length; i++)
      if (data[i]! > -Infinity && (best < 0 || data[i]! > data[best]!)) best = i;
    expect(best, 'the constraint left no token').toBeGreaterThanOrEqual(0);
    if (best === eos) return decoder.decode(Uint8Array.from(out.flatMap((id) => [...tokens[id]!])));
    out.push(best);
    ids.push(BigInt(best));
  }
  throw new Error(`no EOS after ${maxSteps} steps`);
}

const BEAT = { cast: ['char-bo-0002', 'char-ada-0001'] };

describe('constrained decoding with a synthetic tokenizer', () => {
  test('random logits: every panel plan parses, validates and makes a domain Panel (30 seeds)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const text = decode(panelPlanJsonSchema(REQUEST, BEAT), seededLogits(seed));
      const checked = validatePanelPlan(text, REQUEST, BEAT);
      expect(checked, `seed ${seed}: ${text}`).toMatchObject({ ok: true });
      if (!checked.ok) continue;
      expect(checked.value.cast.map((c) => c.characterId)).toEqual(BEAT.cast);
      const panel = panelPlanToPanel(
        { beat: { summary: 'x', cast: BEAT.cast, importance: 2 }, plan: checked.value },
        { storyId: 's', now: 1 },
      );
      expect(Panel.safeParse(panel).success, `seed ${seed}`).toBe(true);
    }
  }, 120_000);

  test('random logits: every outline parses and validates, with exactly panelCount beats (15 seeds)', () => {
    for (let seed = 100; seed < 115; seed++) {
      const text = decode(outlineJsonSchema(REQUEST), seededLogits(seed));
      const checked = validateOutline(text, REQUEST);
      expect(checked, `seed ${seed}: ${text}`).toMatchObject({ ok: true });
      if (checked.ok) expect(checked.value.beats).toHaveLength(REQUEST.panelCount);
    }
  }, 120_000);

  test('adversarial logits (EOS, whitespace, escapes, quotes, digits, long tokens) still give valid JSON', () => {
    const { tokens, eos } = syntheticTokenizer();
    const has = (b: Uint8Array, ...chars: string[]) => chars.some((c) => b.includes(c.charCodeAt(0)));
    const adversaries: Record<string, (b: Uint8Array, id: number) => number> = {
      eos: (_b, id) => (id === eos ? 1 : 0),
      whitespace: (b) => (b.some((x) => x === 0x20 || x === 0x0a) ? 1 : 0),
      backslash: (b) => (has(b, '\\') ? 1 : 0),
      quote: (b) => (has(b, '"') ? 1 : 0),
      digits: (b) => (b.every((x) => x >= 0x30 && x <= 0x39) ? 1 : 0),
      longest: (b) => b.length,
      brackets: (b) => (has(b, '[', '{', '}', ']') ? 1 : 0),
    };
    for (const [name, favoured] of Object.entries(adversaries)) {
      for (const [what, schema, check] of [
        ['panel', panelPlanJsonSchema(REQUEST, BEAT), (t: string) => validatePanelPlan(t, REQUEST, BEAT)],
        ['outline', outlineJsonSchema(REQUEST), (t: string) => validateOutline(t, REQUEST)],
      ] as const) {
        const text = decode(schema, biasedLogits(name.length, favoured, tokens));
        expect(check(text), `${name} / ${what}: ${text}`).toMatchObject({ ok: true });
      }
    }
  }, 120_000);

  test('a panel with nobody in it (scenery) has an empty cast and null speakers only', () => {
    const empty = { cast: [] as string[] };
    for (let seed = 200; seed < 210; seed++) {
      const text = decode(panelPlanJsonSchema(REQUEST, empty), seededLogits(seed));
      const checked = validatePanelPlan(text, REQUEST, empty);
      expect(checked, text).toMatchObject({ ok: true });
      if (checked.ok) {
        expect(checked.value.cast).toEqual([]);
        expect(checked.value.dialogue.every((d) => d.speakerId === null)).toBe(true);
      }
    }
  }, 120_000);

  test('a tokenizer that cannot spell the schema is a dead end, reported as such', () => {
    // Only "{" and EOS: after "{" no token can start a property name.
    const tokens = [encoder.encode('{'), encoder.encode('x'), encoder.encode('</s>')];
    const processor = planConstraint({ tokens, eos_token_id: 2 }, panelPlanJsonSchema(REQUEST, BEAT));
    const first = processor([[1n]], new Tensor('float32', new Float32Array(3), [1, 3])) as Tensor;
    expect(Array.from(first.data as Float32Array).map((v) => v > -Infinity)).toEqual([true, false, false]);
    let thrown: unknown;
    try {
      processor([[1n, 0n]], new Tensor('float32', new Float32Array(3), [1, 3]));
    } catch (e) {
      thrown = e;
    }
    expect(isConstraintDeadEnd(thrown)).toBe(true);
  });
});
