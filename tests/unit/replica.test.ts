/**
 * The replica of the default pack (models/forge/replica.ts): the default manifest with forged
 * sizes and hashes only, every file at the Hub URL layout, every ONNX file opening in
 * onnxruntime-web's WASM build with exactly its manifest contract and giving finite outputs that
 * depend on its inputs, each stored in the precision its variant names.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPLICATED_PACK, REPO_ROOT } from '../../models/forge/index.ts';
import { decodeModel, ELEM_TYPE, type DecodedModel } from '../../models/forge/onnx.ts';
import { REPLICA_MANIFEST, REPLICA_TITLE_SUFFIX, replicaPath } from '../../models/forge/replica.ts';
import { FLORENCE_TASKS } from '../../models/forge/vlm-twin.ts';
import {
  validatePack,
  type Component,
  type Graph,
  type Pack,
  type TensorSpec,
} from '../../src/lib/models/manifest.ts';
import {
  concrete,
  ensureForged,
  feeds,
  maxDiff,
  ort,
  PUBLIC_DIR,
  replicaFilePath,
} from '../helpers/forge.ts';

type Raw = {
  title: string;
  description: string;
  components: { id: string; files: Record<string, unknown>[] }[];
} & Record<string, unknown>;

let defaultRaw: Raw;
let replicaRaw: Raw;
let replica: Pack;

beforeAll(async () => {
  await ensureForged();
  defaultRaw = JSON.parse(await readFile(join(REPO_ROOT, REPLICATED_PACK), 'utf8')) as Raw;
  replicaRaw = JSON.parse(await readFile(join(PUBLIC_DIR, REPLICA_MANIFEST), 'utf8')) as Raw;
  replica = validatePack(replicaRaw);
}, 60_000);

const SD = new Set(['text-encoder', 'unet', 'vae-decoder', 'vae-encoder']);
const LM = new Set(['vlm-judge', 'planner-llm']);

/** Every downloaded (not derived) variant of the replica, with its file. */
function variants() {
  return replica.components.flatMap((component) =>
    component.graphs.flatMap((graph) =>
      graph.variants.filter((v) => !v.derive).map((variant) => ({ component, graph, variant })),
    ),
  );
}

async function open(c: Component, file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(await readFile(replicaFilePath(c, file))));
}

async function decode(c: Component, file: string): Promise<DecodedModel> {
  return decodeModel(new Uint8Array(await readFile(replicaFilePath(c, file))));
}

const metadata = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
  m.map((v) => (v.isTensor ? { name: v.name, dtype: v.type, shape: v.shape } : { name: v.name }));

describe('the replica manifest', () => {
  test('is the default manifest with only the files’ bytes/bytesExact/sha256, the title and the description changed', () => {
    expect(replicaRaw.title).toBe(`${defaultRaw.title}${REPLICA_TITLE_SUFFIX}`);
    expect(replicaRaw.description).toMatch(/replica/i);
    expect(replicaRaw.description).toMatch(/draws noise/);
    const back = structuredClone(replicaRaw);
    back.title = defaultRaw.title;
    back.description = defaultRaw.description;
    back.components.forEach((c, ci) =>
      c.files.forEach((f, fi) => {
        const real = defaultRaw.components[ci]?.files[fi] ?? {};
        expect(f.bytesExact).toBe(true);
        expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
        Object.assign(f, { bytes: real.bytes, bytesExact: real.bytesExact, sha256: real.sha256 });
      }),
    );
    expect(back).toEqual(defaultRaw);
    expect(replica.id).toBe('default');
  });

  test('every file exists at the Hub URL layout with the size and hash the manifest gives', async () => {
    for (const c of replica.components)
      for (const f of c.files) {
        expect(replicaPath(c, f.path)).toBe(`models/replica/${c.repo}/resolve/${c.revision}/${f.path}`);
        const data = await readFile(replicaFilePath(c, f.path));
        expect(data.byteLength, `${c.id}/${f.path}`).toBe(f.bytes);
        expect(createHash('sha256').update(data).digest('hex'), `${c.id}/${f.path}`).toBe(f.sha256);
      }
  });

  test('the forge stamp lists every replica file, so a missing one is forged again', async () => {
    const stamp = JSON.parse(await readFile(join(PUBLIC_DIR, 'models/tiny/.forge-stamp.json'), 'utf8')) as {
      files: { path: string }[];
    };
    const stamped = new Set(stamp.files.map((f) => f.path));
    expect(stamped.has(REPLICA_MANIFEST)).toBe(true);
    for (const c of replica.components)
      for (const f of c.files) expect(stamped.has(replicaPath(c, f.path)), f.path).toBe(true);
  });
});

describe('replica configs', () => {
  const json = async (id: string, path: string) => {
    const c = replica.components.find((x) => x.id === id);
    if (!c) throw new Error(`no ${id}`);
    return JSON.parse(await readFile(replicaFilePath(c, path), 'utf8')) as Record<string, unknown>;
  };

  test('Florence-2 carries the real task tables; no config pins a dtype the real repo may not have', async () => {
    const pre = await json('vlm-judge', 'preprocessor_config.json');
    expect(pre).toMatchObject(FLORENCE_TASKS);
    expect(Object.keys(pre.tasks_answer_post_processing_type as object)).toHaveLength(15);
    expect(pre).toMatchObject({ processor_class: 'Florence2Processor', size: { height: 768, width: 768 } });
    for (const id of ['vlm-judge', 'planner-llm', 'image-text-encoder', 'detector'])
      expect(await json(id, 'config.json'), id).not.toHaveProperty(['transformers.js_config']);
  });

  test('CLIP and OWL-ViT configs name the real model types and image sizes of the manifest', async () => {
    for (const [id, type, size] of [
      ['image-text-encoder', 'clip', 224],
      ['detector', 'owlvit', 768],
    ] as const) {
      expect((await json(id, 'config.json')).model_type, id).toBe(type);
      const pre = await json(id, 'preprocessor_config.json');
      expect(pre.crop_size, id).toEqual({ height: size, width: size });
      expect(replica.components.find((c) => c.id === id)?.image?.size).toBe(size);
    }
  });
});

describe('replica graphs', () => {
  test('every ONNX file opens in onnxruntime-web (WASM) with exactly its manifest contract', async () => {
    const all = variants();
    expect(all.length).toBe(22);
    for (const { component, graph, variant } of all) {
      const session = await open(component, variant.file);
      const at = `${component.id}/${variant.file}`;
      expect(metadata(session.inputMetadata), `${at} inputs`).toEqual(graph.inputs);
      expect(metadata(session.outputMetadata), `${at} outputs`).toEqual(graph.outputs);
      await session.release();
    }
  }, 120_000);

  test('SD, TAESD, CLIP and OWL-ViT files give finite outputs that depend on every input', async () => {
    for (const { component, graph, variant } of variants()) {
      if (LM.has(component.id)) continue;
      const at = `${component.id}/${variant.file}`;
      const session = await open(component, variant.file);
      const base = await session.run(feeds(graph));
      for (const out of graph.outputs) {
        const t = base[out.name];
        expect(t?.dims, `${at} ${out.name}`).toEqual(concrete(graph, out));
        expect((t?.data as Float32Array).every(Number.isFinite), `${at} ${out.name} finite`).toBe(true);
      }
      const first = graph.outputs[0]?.name ?? '';
      for (const input of graph.inputs) {
        const moved = await session.run(feeds(graph, input.name));
        const a = base[first];
        const b = moved[first];
        if (!a || !b) throw new Error('missing output');
        expect(maxDiff(a, b), `${at}: ${first} ignores ${input.name}`).toBeGreaterThan(1e-6);
      }
      await session.release();
    }
  }, 120_000);

  test('SD token ids from the manifest (CLIP 49406/49407) stay in range of the replica text encoder', async () => {
    const c = replica.components.find((x) => x.id === 'text-encoder');
    if (!c?.tokenizer) throw new Error('no text encoder');
    const session = await open(c, 'text_encoder/model.onnx');
    const ids = Int32Array.from({ length: 77 }, (_, i) =>
      i === 0 ? (c.tokenizer?.bosTokenId ?? 0) : i === 76 ? (c.tokenizer?.eosTokenId ?? 0) : 0,
    );
    const out = await session.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) });
    expect((out.last_hidden_state?.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });
});

/** Concrete sizes of the language models' free dimensions: a prompt without a cache. */
const LM_SIZES: Record<string, number> = {
  batch_size: 1,
  sequence_length: 5,
  total_sequence_length: 5,
  past_sequence_length: 0,
  encoder_sequence_length: 7,
  encoder_sequence_length_out: 0,
  decoder_sequence_length: 3,
  past_decoder_sequence_length: 0,
  height: 768,
  width: 768,
};

function lmTensor(spec: TensorSpec, perturb: boolean): ort.Tensor {
  const dims = spec.shape.map((d) => (typeof d === 'number' ? d : (LM_SIZES[d] ?? NaN)));
  if (dims.some(Number.isNaN)) throw new Error(`no size for ${spec.name} ${spec.shape.join(',')}`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'bool') return new ort.Tensor('bool', Uint8Array.from([0]), dims);
  if (spec.dtype === 'float32') {
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
    if (perturb && n) data[Math.floor(n / 2)] = (data[Math.floor(n / 2)] ?? 0) + 1;
    return new ort.Tensor('float32', data, dims);
  }
  const mask = /attention_mask/.test(spec.name);
  const values = Array.from({ length: n }, (_, i) =>
    mask ? 1 : spec.name === 'position_ids' ? i : 4 + ((i * 13) % 200),
  );
  if (perturb && !mask) values[0] = (values[0] ?? 0) + 1;
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
}

const lmFeeds = (graph: Graph, perturbed?: string) =>
  Object.fromEntries(graph.inputs.map((t) => [t.name, lmTensor(t, t.name === perturbed)]));

describe('replica language models (Florence-2, Qwen2.5)', () => {
  /** The inputs a forward pass must react to (the cache is empty, use_cache_branch is false). */
  const MOVERS: Record<string, string[]> = {
    embed_tokens: ['input_ids'],
    vision_encoder: ['pixel_values'],
    encoder_model: ['inputs_embeds'],
    decoder_model_merged: ['inputs_embeds', 'encoder_hidden_states'],
    model: ['input_ids'],
  };

  test('every graph gives finite outputs of the contract’s sizes that depend on its inputs', async () => {
    for (const { component, graph, variant } of variants()) {
      if (!LM.has(component.id)) continue;
      const at = `${component.id}/${variant.file}`;
      const session = await open(component, variant.file);
      const base = await session.run(lmFeeds(graph));
      const first = graph.outputs[0];
      if (!first) throw new Error('no output');
      const out = base[first.name];
      // Fixed sizes as the contract says; free ones as fed (image_sequence_length and the like vary).
      expect(out?.dims.length, at).toBe(first.shape.length);
      first.shape.forEach((d, i) => {
        const want = typeof d === 'number' ? d : LM_SIZES[d];
        if (want !== undefined) expect(out?.dims[i], `${at} ${first.name} axis ${i}`).toBe(want);
      });
      expect((out?.data as Float32Array).every(Number.isFinite), `${at} finite`).toBe(true);
      for (const name of MOVERS[graph.id] ?? []) {
        const moved = await session.run(lmFeeds(graph, name));
        expect(
          maxDiff(out as ort.Tensor, moved[first.name] as ort.Tensor),
          `${at} ignores ${name}`,
        ).toBeGreaterThan(1e-6);
      }
      await session.release();
    }
  }, 120_000);
});

describe('replica precision', () => {
  const FLOAT = ELEM_TYPE.float32;
  const FLOAT16 = ELEM_TYPE.float16;
  const floatIo = (m: DecodedModel) =>
    [...m.graph.input, ...m.graph.output]
      .map((v) => v.type.tensor_type.elem_type)
      .filter((t) => t === FLOAT || t === FLOAT16);
  const initTypes = (m: DecodedModel) => new Set(m.graph.initializer.map((t) => t.data_type));
  const ops = (m: DecodedModel, type: string) => m.graph.node.filter((n) => n.op_type === type);

  test('fp16 SD graphs hold float16 initializers and values, with float32 graph IO and integer ids', async () => {
    for (const c of replica.components) {
      if (!SD.has(c.id)) continue;
      const file = c.graphs[0]?.variants[0]?.file ?? '';
      const m = await decode(c, file);
      const types = initTypes(m);
      expect(types.has(FLOAT16), `${c.id} float16 weights`).toBe(true);
      expect(types.has(FLOAT), `${c.id} no float32 initializer`).toBe(false);
      expect(
        floatIo(m).every((t) => t === FLOAT),
        `${c.id} float32 IO`,
      ).toBe(true);
      for (const input of m.graph.input) {
        const elem = input.type.tensor_type.elem_type;
        if (input.name === 'input_ids') expect(elem).toBe(ELEM_TYPE.int32);
        if (input.name === 'timestep') expect(elem).toBe(ELEM_TYPE.int64);
        if (elem !== FLOAT) continue;
        const cast = m.graph.node.find((n) => n.op_type === 'Cast' && n.input[0] === input.name);
        expect(cast?.attribute?.find((a) => a.name === 'to')?.i, `${c.id}: Cast after ${input.name}`).toBe(
          FLOAT16,
        );
      }
      for (const output of m.graph.output) {
        const cast = m.graph.node.find((n) => n.op_type === 'Cast' && n.output[0] === output.name);
        expect(cast?.attribute?.find((a) => a.name === 'to')?.i, `${c.id}: Cast before ${output.name}`).toBe(
          FLOAT,
        );
      }
      // No float32 value is made inside: every Cast but the output casts targets float16 or an integer.
      const inner = ops(m, 'Cast').filter((n) => !m.graph.output.some((o) => o.name === n.output[0]));
      expect(
        inner.every((n) => n.attribute?.find((a) => a.name === 'to')?.i !== FLOAT),
        c.id,
      ).toBe(true);
    }
  });

  test('CLIP/OWL-ViT: _fp16 float16 weights with float32 IO, _quantized int8 weights through DequantizeLinear', async () => {
    for (const c of replica.components) {
      if (c.id !== 'image-text-encoder' && c.id !== 'detector') continue;
      for (const g of c.graphs) {
        const [fp16, fp32, q8] = await Promise.all(g.variants.map((v) => decode(c, v.file)));
        if (!fp16 || !fp32 || !q8) throw new Error('three variants');
        expect(initTypes(fp16).has(FLOAT), g.id).toBe(false);
        expect(
          floatIo(fp16).every((t) => t === FLOAT),
          g.id,
        ).toBe(true);
        expect(initTypes(fp32).has(FLOAT16), g.id).toBe(false);
        expect(initTypes(q8).has(ELEM_TYPE.int8), g.id).toBe(true);
        expect(ops(q8, 'DequantizeLinear').length, g.id).toBeGreaterThan(0);
        expect(
          floatIo(q8).every((t) => t === FLOAT),
          g.id,
        ).toBe(true);
      }
    }
  });

  test('q4 files use com.microsoft MatMulNBits (4 bits, block 32, uint8 weights, float32 scales); q4f16 has float16 scales', async () => {
    const checked: string[] = [];
    for (const { component, variant } of variants()) {
      if (variant.dtype !== 'q4' && variant.dtype !== 'q4f16') continue;
      const m = await decode(component, variant.file);
      expect(m.opset_import.some((o) => o.domain === 'com.microsoft')).toBe(true);
      const nbits = ops(m, 'MatMulNBits');
      expect(nbits.length, variant.file).toBeGreaterThan(0);
      expect(
        ops(m, 'MatMul').some((n) => m.graph.initializer.some((t) => t.name === n.input[1])),
        variant.file,
      ).toBe(false);
      const init = (name: string | undefined) => m.graph.initializer.find((t) => t.name === name);
      for (const n of nbits) {
        expect(n.domain).toBe('com.microsoft');
        const attr = (name: string) => n.attribute?.find((a) => a.name === name)?.i;
        expect([attr('bits'), attr('block_size')]).toEqual([4, 32]);
        expect(init(n.input[1])?.data_type).toBe(ELEM_TYPE.uint8);
        expect(init(n.input[2])?.data_type).toBe(variant.dtype === 'q4' ? FLOAT : FLOAT16);
      }
      expect(
        floatIo(m).every((t) => t === FLOAT),
        `${variant.file} float32 IO`,
      ).toBe(true);
      checked.push(variant.file);
    }
    expect(checked.sort()).toEqual([
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/encoder_model_q4.onnx',
      'onnx/model_q4.onnx',
      'onnx/model_q4f16.onnx',
    ]);
  });
});
