import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forge } from '../../models/forge/index.ts';
import { HELPER_GRAPHS } from '../../models/forge/helpers.ts';
import type { Pack, TensorSpec } from '../../src/lib/models/manifest.ts';
import {
  concrete,
  ensureForged,
  feeds,
  forgedPath,
  maxDiff,
  openSession,
  ort,
  PUBLIC_DIR,
  readPack,
  tensor,
} from '../helpers/forge.ts';

const packs: Pack[] = [];
beforeAll(async () => {
  await ensureForged();
  packs.push(await readPack('tiny-pack'), await readPack('bench-pack'));
}, 60_000);

function everyGraph() {
  return packs.flatMap((pack) =>
    pack.components.flatMap((component) =>
      component.graphs.flatMap((graph) =>
        graph.variants.map((variant) => ({ pack, component, graph, variant })),
      ),
    ),
  );
}

describe('forged twins', () => {
  test('every forged ONNX file opens in onnxruntime-web with the manifest contract', async () => {
    const all = everyGraph();
    expect(all.length).toBeGreaterThanOrEqual(9);
    for (const { pack, component, graph, variant } of all) {
      const session = await openSession(forgedPath(pack, component, variant.file));
      const shape = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
        m.map((v) => (v.isTensor ? { name: v.name, dtype: v.type, shape: v.shape } : { name: v.name }));
      expect(shape(session.inputMetadata), `${component.id}/${graph.id} inputs`).toEqual(graph.inputs);
      expect(shape(session.outputMetadata), `${component.id}/${graph.id} outputs`).toEqual(graph.outputs);
      await session.release();
    }
  }, 60_000);

  test('every output of every twin is finite and depends on every input', async () => {
    for (const { pack, component, graph, variant } of everyGraph()) {
      if (pack.id === 'bench' || component.role === 'vlm-judge' || component.role === 'planner-llm') continue;
      const session = await openSession(forgedPath(pack, component, variant.file));
      const base = await session.run(feeds(graph));
      for (const out of graph.outputs) {
        const t = base[out.name];
        expect(t?.dims, `${component.id} ${out.name}`).toEqual(concrete(graph, { ...out, shape: out.shape }));
        expect((t?.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
      const first = graph.outputs[0]?.name ?? '';
      const moved = new Set<string>();
      for (const input of graph.inputs) {
        const changed = await session.run(feeds(graph, input.name));
        const a = base[first];
        const b = changed[first];
        if (!a || !b) throw new Error('missing output');
        expect(maxDiff(a, b), `${component.id}/${graph.id}: ${first} ignores ${input.name}`).toBeGreaterThan(
          1e-6,
        );
        for (const out of graph.outputs) {
          const x = base[out.name];
          const y = changed[out.name];
          if (x && y && maxDiff(x, y) > 1e-6) moved.add(out.name);
        }
      }
      expect([...moved].sort(), `${component.id}/${graph.id}: outputs that no input moves`).toEqual(
        graph.outputs.map((o) => o.name).sort(),
      );
      await session.release();
    }
  }, 60_000);

  test('the UNet twin takes any conditioning length and gives the same noise for the same input', async () => {
    const pack = packs[0] as Pack;
    const unet = pack.components.find((c) => c.role === 'unet');
    const graph = unet?.graphs[0];
    if (!unet || !graph) throw new Error('no unet');
    const session = await openSession(forgedPath(pack, unet, 'unet/model.onnx'));
    const sample = () => tensor(graph, graph.inputs[0] as TensorSpec, 1);
    const text = (length: number) =>
      new ort.Tensor(
        'float32',
        Float32Array.from({ length: length * 1024 }, (_, i) => Math.sin(i)),
        [1, length, 1024],
      );
    const timestep = () => new ort.Tensor('int64', BigInt64Array.from([999n]), [1]);
    const run = (length: number) =>
      session.run({ sample: sample(), timestep: timestep(), encoder_hidden_states: text(length) });
    const a = await run(77);
    const b = await run(77);
    const c = await run(154);
    expect(a.out_sample?.data).toEqual(b.out_sample?.data);
    expect(c.out_sample?.dims).toEqual([1, 4, 8, 8]);
    await session.release();
  });

  test('the helper graphs compute an Euler step and a scale', async () => {
    const dir = join(PUBLIC_DIR, 'models/helpers');
    const euler = await openSession(join(dir, 'euler_step.onnx'));
    const dims = [1, 4, 2, 2];
    const sample = Float32Array.from({ length: 16 }, (_, i) => i / 4);
    const eps = Float32Array.from({ length: 16 }, (_, i) => 1 - i / 8);
    const out = await euler.run({
      sample: new ort.Tensor('float32', sample, dims),
      model_output: new ort.Tensor('float32', eps, dims),
      sigma: new ort.Tensor('float32', Float32Array.from([14.6146]), [1]),
      sigma_next: new ort.Tensor('float32', Float32Array.from([0]), [1]),
    });
    const expected = sample.map((s, i) => s + (0 - 14.6146) * (eps[i] ?? 0));
    Array.from(out.prev_sample?.data as Float32Array).forEach((v, i) =>
      expect(v).toBeCloseTo(expected[i] ?? 0, 4),
    );
    const scale = await openSession(join(dir, 'latent_scale.onnx'));
    const scaled = await scale.run({
      latent: new ort.Tensor('float32', sample, dims),
      scale: new ort.Tensor('float32', Float32Array.from([1 / 0.18215]), [1]),
    });
    expect((scaled.scaled?.data as Float32Array)[4]).toBeCloseTo(1 / 0.18215, 4);
    expect(HELPER_GRAPHS.map((h) => h.file)).toEqual(['euler_step.onnx', 'latent_scale.onnx']);
  });
});

describe('the forge', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('forging twice gives identical bytes, equal to the sizes and hashes in the manifests', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'forge-'));
      dirs.push(dir);
      runs.push(await forge({ publicDir: dir, updateManifests: false, force: true }));
    }
    const [a, b] = runs;
    expect(a?.files.length).toBeGreaterThan(10);
    // The replica of the default pack is forged (and compared) with the twins.
    expect(a?.files.some((f) => f.path === 'models/replica/default-pack.json')).toBe(true);
    expect(a?.files.filter((f) => f.path.startsWith('models/replica/')).length).toBeGreaterThan(30);
    expect(a?.files).toEqual(b?.files);
    for (const f of a?.files ?? []) {
      const x = await readFile(join(dirs[0] ?? '', f.path));
      const y = await readFile(join(dirs[1] ?? '', f.path));
      expect(Buffer.compare(x, y), f.path).toBe(0);
    }
    const byPath = new Map((a?.files ?? []).map((f) => [f.path, f]));
    for (const pack of packs)
      for (const c of pack.components)
        for (const f of c.files) {
          const forged = byPath.get(`${pack.localRoot}/${c.id}/${f.path}`);
          expect(forged, `${c.id}/${f.path}`).toBeDefined();
          expect({ bytes: f.bytes, sha256: f.sha256 }).toEqual({
            bytes: forged?.bytes,
            sha256: forged?.sha256,
          });
        }
  });

  test('a second run with nothing changed skips the work', async () => {
    const again = await forge();
    expect(again.skipped).toBe(true);
    expect(again.files.length).toBeGreaterThan(10);
  });

  // Half a megabyte at most: the largest is the planner twin (its tokenizer carries the words of the
  // planner's prompts, so the embedding has ≈2,900 rows).
  test('the twins stay small', async () => {
    for (const pack of packs)
      for (const c of pack.components)
        for (const f of c.files) expect(f.bytes, f.path).toBeLessThan(pack.id === 'bench' ? 8e6 : 500e3);
  });
});
