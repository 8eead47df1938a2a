/**
 * The planner-LLM (Qwen2) and VLM-judge (Florence-2) twins: they open in
 * onnxruntime-web with the manifest's contract, every output depends on every
 * input that the real graph reads, the KV cache gives the same logits as a
 * full pass, and the same bytes give the same numbers.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { llmVocabulary } from '../../models/forge/llm-twin.ts';
import { NEVER } from '../../models/forge/lm-ops.ts';
import { VLM_SPECIALS, VLM_TWIN, vlmVocabulary } from '../../models/forge/vlm-twin.ts';
import type { Component, Graph, Pack } from '../../src/lib/models/manifest.ts';
import { ensureForged, forgedPath, openSession, ort, readPack } from '../helpers/forge.ts';

type Feeds = Record<string, ort.Tensor>;
type Session = ort.InferenceSession;

let pack: Pack;
beforeAll(async () => {
  await ensureForged();
  pack = await readPack('tiny-pack');
}, 60_000);

function component(role: 'planner-llm' | 'vlm-judge'): Component {
  const c = pack.components.find((x) => x.role === role);
  if (!c) throw new Error(`no ${role} in the tiny pack`);
  return c;
}

function graph(c: Component, id: string): Graph {
  const g = c.graphs.find((x) => x.id === id);
  if (!g) throw new Error(`no graph ${id}`);
  return g;
}

async function open(c: Component, id: string): Promise<Session> {
  const file = graph(c, id).variants[0]?.file;
  if (!file) throw new Error(`no variant for ${id}`);
  return openSession(forgedPath(pack, c, file));
}

const f32 = (dims: number[], fill: (i: number) => number) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
    dims,
  );
const i64 = (dims: number[], values: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
const floats = (t: ort.Tensor | undefined) => {
  if (!t) throw new Error('missing output');
  return t.data as Float32Array;
};

function maxDiff(a: ort.Tensor | undefined, b: ort.Tensor | undefined): number {
  const x = floats(a);
  const y = floats(b);
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] ?? 0) - (y[i] ?? 0)));
  return m;
}

/** Logits of the last position over the first `n` ids: [n]. */
function lastLogits(t: ort.Tensor | undefined, n: number): Float32Array {
  if (!t) throw new Error('missing logits');
  const [, seq, vocab] = t.dims as [number, number, number];
  return floats(t).slice((seq - 1) * vocab, (seq - 1) * vocab + n);
}

function expectContract(session: Session, g: Graph) {
  const shape = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
    m.map((v) => (v.isTensor ? { name: v.name, dtype: v.type, shape: v.shape } : { name: v.name }));
  expect(shape(session.inputMetadata), `${g.id} inputs`).toEqual(g.inputs);
  expect(shape(session.outputMetadata), `${g.id} outputs`).toEqual(g.outputs);
}

// Opening the 24-layer graph takes 1–4 s in ORT's WASM build.
describe('planner-llm twin (Qwen2ForCausalLM)', { timeout: 30_000 }, () => {
  const prompt = [5, 17, 42, 99, 7, 123];

  /** Feeds for `ids` at positions past..past+n, with a cache (or an empty one). */
  function llmFeeds(g: Graph, ids: number[], past?: Record<string, ort.Tensor>, mask?: number[]): Feeds {
    const pastLength = past ? (past['past_key_values.0.key']?.dims[2] ?? 0) : 0;
    const feeds: Feeds = {
      input_ids: i64([1, ids.length], ids),
      attention_mask: i64([1, pastLength + ids.length], mask ?? Array(pastLength + ids.length).fill(1)),
      position_ids: i64(
        [1, ids.length],
        ids.map((_, i) => pastLength + i),
      ),
    };
    for (const t of g.inputs.filter((x) => x.name.startsWith('past_key_values.')))
      feeds[t.name] = past?.[t.name] ?? f32([1, 2, 0, 64], () => 0);
    return feeds;
  }

  const asPast = (out: ort.InferenceSession.OnnxValueMapType) =>
    Object.fromEntries(
      Object.entries(out)
        .filter(([k]) => k.startsWith('present.'))
        .map(([k, v]) => [k.replace('present.', 'past_key_values.'), v as ort.Tensor]),
    );

  test('opens with the manifest contract: 24 layers of 2 KV heads × 64, logits over 151936 ids', async () => {
    const c = component('planner-llm');
    const g = graph(c, 'model');
    const session = await open(c, 'model');
    expectContract(session, g);
    expect(g.inputs.filter((t) => t.name.startsWith('past_key_values.')).length).toBe(48);
    const out = await session.run(llmFeeds(g, prompt));
    expect(out.logits?.dims).toEqual([1, prompt.length, 151936]);
    expect(out['present.23.value']?.dims).toEqual([1, 2, prompt.length, 64]);
    const logits = floats(out.logits);
    expect(logits.every(Number.isFinite)).toBe(true);
    // Ids past the twin tokenizer's vocabulary are padding and never win.
    const vocab = llmVocabulary().length;
    expect(logits[vocab]).toBe(NEVER);
    expect(logits[151935]).toBe(NEVER);
    await session.release();
  });

  test('logits depend on input_ids, attention_mask, position_ids and every layer of the cache', async () => {
    const c = component('planner-llm');
    const g = graph(c, 'model');
    const session = await open(c, 'model');
    const prefill = await session.run(llmFeeds(g, prompt.slice(0, 5)));
    const past = asPast(prefill);
    const step = (p = past, ids = [prompt[5] ?? 0], mask?: number[]) =>
      session.run(llmFeeds(g, ids, p, mask));
    const base = await step();
    const changed = async (feeds: Feeds) => maxDiff(base.logits, (await session.run(feeds)).logits);

    expect(maxDiff(base.logits, (await step(past, [8])).logits), 'input_ids').toBeGreaterThan(1e-4);
    expect(
      maxDiff(base.logits, (await step(past, undefined, [1, 0, 1, 1, 1, 1])).logits),
      'mask',
    ).toBeGreaterThan(1e-4);
    const moved = llmFeeds(g, [prompt[5] ?? 0], past);
    moved.position_ids = i64([1, 1], [9]);
    expect(await changed(moved), 'position_ids').toBeGreaterThan(1e-4);
    for (const name of ['past_key_values.0.key', 'past_key_values.11.value', 'past_key_values.23.key']) {
      const bumped = {
        ...past,
        [name]: f32(past[name]?.dims as number[], (i) => (floats(past[name])[i] ?? 0) + (i % 7) * 0.2),
      };
      expect(maxDiff(base.logits, (await step(bumped)).logits), name).toBeGreaterThan(1e-5);
    }
    await session.release();
  });

  test('the KV cache gives the logits of a full pass (prefill 5 + 1 step = 6 at once)', async () => {
    const c = component('planner-llm');
    const g = graph(c, 'model');
    const session = await open(c, 'model');
    const n = llmVocabulary().length;
    const full = lastLogits((await session.run(llmFeeds(g, prompt))).logits, n);
    const prefill = await session.run(llmFeeds(g, prompt.slice(0, 5)));
    const stepped = await session.run(llmFeeds(g, [prompt[5] ?? 0], asPast(prefill)));
    const cached = lastLogits(stepped.logits, n);
    cached.forEach((v, i) => expect(v).toBeCloseTo(full[i] ?? 0, 3));
    expect(stepped['present.0.key']?.dims).toEqual([1, 2, 6, 64]);
    // A future token never leaks into an earlier position (causal mask).
    const a = (await session.run(llmFeeds(g, prompt))).logits;
    const b = (await session.run(llmFeeds(g, [...prompt.slice(0, 5), 77]))).logits;
    expect(floats(a).slice(0, 4 * 151936)).toEqual(floats(b).slice(0, 4 * 151936));
    await session.release();
  });

  test('two sessions of the same file give identical logits', async () => {
    const c = component('planner-llm');
    const g = graph(c, 'model');
    const [s1, s2] = [await open(c, 'model'), await open(c, 'model')];
    const a = await s1.run(llmFeeds(g, prompt));
    const b = await s2.run(llmFeeds(g, prompt));
    expect(floats(a.logits)).toEqual(floats(b.logits));
    await Promise.all([s1.release(), s2.release()]);
  });
});

describe('vlm-judge twin (Florence2ForConditionalGeneration)', { timeout: 30_000 }, () => {
  interface Vlm {
    c: Component;
    embed: Session;
    vision: Session;
    encoder: Session;
    decoder: Session;
    dec: Graph;
  }
  let vlm: Vlm;
  beforeAll(async () => {
    const c = component('vlm-judge');
    vlm = {
      c,
      embed: await open(c, 'embed_tokens'),
      vision: await open(c, 'vision_encoder'),
      encoder: await open(c, 'encoder_model'),
      decoder: await open(c, 'decoder_model_merged'),
      dec: graph(c, 'decoder_model_merged'),
    };
  }, 60_000);

  const image = (bump = 0) =>
    f32([1, 3, 768, 768], (i) => Math.sin(i / 977) * 0.8 + (i === 5000 ? bump : 0) + (i < 1000 ? bump : 0));
  const question = [0, 10, 20, 30, 2];

  /** The chain transformers.js runs: image features ++ prompt embeddings → encoder. */
  async function encode(pixels: ort.Tensor, ids: number[]) {
    const features = (await vlm.vision.run({ pixel_values: pixels })).image_features as ort.Tensor;
    const text = (await vlm.embed.run({ input_ids: i64([1, ids.length], ids) })).inputs_embeds as ort.Tensor;
    const [, n, d] = features.dims as [number, number, number];
    const joined = new Float32Array((n + ids.length) * d);
    joined.set(floats(features));
    joined.set(floats(text), n * d);
    const embeds = new ort.Tensor('float32', joined, [1, n + ids.length, d]);
    const mask = i64([1, n + ids.length], Array(n + ids.length).fill(1));
    const out = await vlm.encoder.run({ inputs_embeds: embeds, attention_mask: mask });
    return { hidden: out.last_hidden_state as ort.Tensor, mask };
  }

  async function decode(
    enc: { hidden: ort.Tensor; mask: ort.Tensor },
    ids: number[],
    past?: Record<string, ort.Tensor>,
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    const embeds = (await vlm.embed.run({ input_ids: i64([1, ids.length], ids) }))
      .inputs_embeds as ort.Tensor;
    const feeds: Feeds = {
      encoder_attention_mask: enc.mask,
      encoder_hidden_states: enc.hidden,
      inputs_embeds: embeds,
      use_cache_branch: new ort.Tensor('bool', Uint8Array.from([past ? 1 : 0]), [1]),
    };
    for (const t of vlm.dec.inputs.filter((x) => x.name.startsWith('past_key_values.')))
      feeds[t.name] = past?.[t.name] ?? f32([1, 12, 0, 64], () => 0);
    return vlm.decoder.run(feeds);
  }

  const asPast = (out: ort.InferenceSession.OnnxValueMapType) =>
    Object.fromEntries(
      Object.entries(out)
        .filter(([k]) => k.startsWith('present.'))
        .map(([k, v]) => [k.replace('present.', 'past_key_values.'), v as ort.Tensor]),
    );

  test('the four graphs open with the manifest contract; 577 image tokens, 6 cached layers, 51289 logits', async () => {
    for (const [id, s] of [
      ['embed_tokens', vlm.embed],
      ['vision_encoder', vlm.vision],
      ['encoder_model', vlm.encoder],
      ['decoder_model_merged', vlm.decoder],
    ] as const)
      expectContract(s, graph(vlm.c, id));
    const enc = await encode(image(), question);
    expect(enc.hidden.dims).toEqual([1, 577 + question.length, 768]);
    const out = await decode(enc, [2]);
    expect(out.logits?.dims).toEqual([1, 1, 51289]);
    expect(out['present.5.decoder.key']?.dims).toEqual([1, 12, 1, 64]);
    expect(out['present.5.encoder.value']?.dims).toEqual([1, 12, 577 + question.length, 64]);
    expect(floats(out.logits as ort.Tensor).every(Number.isFinite)).toBe(true);
    expect(floats(out.logits as ort.Tensor)[vlmVocabulary().length]).toBe(NEVER);
  });

  test('the answer logits depend on the image, the question and the encoder mask', async () => {
    const base = await decode(await encode(image(), question), [2]);
    const otherImage = await decode(await encode(image(0.3), question), [2]);
    const otherQuestion = await decode(await encode(image(), [0, 10, 21, 30, 2]), [2]);
    expect(maxDiff(base.logits as ort.Tensor, otherImage.logits as ort.Tensor), 'image').toBeGreaterThan(
      1e-5,
    );
    expect(
      maxDiff(base.logits as ort.Tensor, otherQuestion.logits as ort.Tensor),
      'question',
    ).toBeGreaterThan(1e-5);
    const enc = await encode(image(), question);
    const masked = { ...enc, mask: i64([1, 582], [...Array(580).fill(1), 0, 0]) };
    expect(
      maxDiff(base.logits as ort.Tensor, (await decode(masked, [2])).logits as ort.Tensor),
    ).toBeGreaterThan(1e-5);
  });

  test('use_cache_branch: the cache branch reads the cached cross keys, the first pass computes them', async () => {
    const enc = await encode(image(), question);
    const first = await decode(enc, [2]);
    const past = asPast(first);
    const base = await decode(enc, [7], past);
    const bump = (name: string) => ({
      ...past,
      [name]: f32(past[name]?.dims as number[], (i) => (floats(past[name])[i] ?? 0) + (i % 7) * 0.2),
    });
    for (const name of [
      'past_key_values.0.decoder.key',
      'past_key_values.3.encoder.value',
      'past_key_values.5.encoder.key',
    ])
      expect(
        maxDiff(base.logits as ort.Tensor, (await decode(enc, [7], bump(name))).logits as ort.Tensor),
        name,
      ).toBeGreaterThan(1e-5);
    // On the cache branch the encoder output is not read again (optimum's merged decoder does the same)…
    const otherHidden = { ...enc, hidden: f32(enc.hidden.dims as number[], (i) => Math.cos(i)) };
    expect(
      maxDiff(base.logits as ort.Tensor, (await decode(otherHidden, [7], past)).logits as ort.Tensor),
    ).toBe(0);
    // …and the cached encoder keys are passed through.
    expect(floats(base['present.2.encoder.key'] as ort.Tensor)).toEqual(
      floats(past['past_key_values.2.encoder.key']),
    );
  });

  test('decoding with the cache gives the logits of a full pass, deterministically', async () => {
    const enc = await encode(image(), question);
    const n = vlmVocabulary().length;
    const full = lastLogits((await decode(enc, [2, 0, 7])).logits as ort.Tensor, n);
    const one = await decode(enc, [2]);
    const two = await decode(enc, [0], asPast(one));
    const three = await decode(enc, [7], asPast(two));
    const cached = lastLogits(three.logits as ort.Tensor, n);
    cached.forEach((v, i) => expect(v).toBeCloseTo(full[i] ?? 0, 3));
    expect(three['present.0.decoder.key']?.dims).toEqual([1, 12, 3, 64]);
    const again = lastLogits((await decode(enc, [2, 0, 7])).logits as ort.Tensor, n);
    expect(again).toEqual(full);
  });

  test('greedy decoding ends the answer with </s> after exactly answerTokens tokens, as the real model stops', async () => {
    const enc = await encode(image(), question);
    const words = vlmVocabulary();
    const eos = words.indexOf(VLM_SPECIALS.eos);
    const answer: number[] = [];
    // The decoder starts from </s> (decoder_start_token_id), then feeds back its own argmax.
    let step = await decode(enc, [eos]);
    for (let i = 0; i < 40; i++) {
      const logits = lastLogits(step.logits as ort.Tensor, words.length);
      const next = logits.indexOf(Math.max(...logits));
      if (next === eos) break;
      answer.push(next);
      step = await decode(enc, [next], asPast(step));
    }
    expect(answer).toHaveLength(VLM_TWIN.answerTokens);
    expect(answer.every((id) => words[id] !== undefined && !/^<.*>$/.test(words[id] ?? ''))).toBe(true);
  });
});
