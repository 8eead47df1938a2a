/**
 * Installing a pack end to end under Node: the real downloader (fetch answered from memory in the
 * Hub's URL layout), the real verification, the real widening of an fp16 graph for a GPU without
 * shader-f16, and the real session opening (onnxruntime-web's WASM build) of exactly the stored
 * files. A 404 on an optional file leaves the pack ready and says what is missing; one on a required
 * file names it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, test } from 'vitest';
import { encodeModel, type GraphSpec } from '../../models/forge/onnx.ts';
import { deriveWidened, inProcessWidener } from '../../src/lib/models/derive';
import { PackDownloader } from '../../src/lib/models/downloader';
import { fileUrl, validatePack, type Pack } from '../../src/lib/models/manifest';
import { loadGraphFiles, openedPaths } from '../../src/lib/models/open';
import { packFiles } from '../../src/lib/models/pack-files';
import { INSTALL_FEATURES, planPack, preferredDevices, type PlanInput } from '../../src/lib/models/plan';
import { halfToFloat } from '../../src/lib/models/widen';
import { ensureForged } from '../helpers/forge';
import { MemoryStorage } from '../helpers/memory-storage';

ort.env.wasm.numThreads = 1;

const F16: PlanInput = { caps: { backend: 'webgpu', features: ['shader-f16'] } };
const NO_F16: PlanInput = { caps: { backend: 'webgpu', features: [] } };

/** x (float32) → Cast(fp16) → MatMul(W fp16) → Add(b fp16) → Cast(fp32) → y: a keep_io_types export. */
function fp16Model(w: number[], b: number[]): Uint8Array {
  const half = (v: number[]) => {
    const bits = Uint16Array.from(v.map((x) => toHalf(x)));
    return new Uint8Array(bits.buffer);
  };
  const graph: GraphSpec = {
    name: 'g',
    doc: '',
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
    inits: [
      { name: 'W', dtype: 'float16', dims: [4, 3], raw: half(w) },
      { name: 'B', dtype: 'float16', dims: [3], raw: half(b) },
    ],
    nodes: [
      { opType: 'Cast', inputs: ['x'], outputs: ['x16'], name: 'cast_in', attrs: { to: { int: 10 } } },
      { opType: 'MatMul', inputs: ['x16', 'W'], outputs: ['m'], name: 'mm' },
      { opType: 'Add', inputs: ['m', 'B'], outputs: ['y16'], name: 'add' },
      { opType: 'Cast', inputs: ['y16'], outputs: ['y'], name: 'cast_out', attrs: { to: { int: 1 } } },
    ],
  };
  return encodeModel(graph);
}

/** Exact float16 bits of values that are multiples of 1/8 in [-2, 2] (the test picks only those). */
function toHalf(v: number): number {
  for (let bits = 0; bits < 0x10000; bits++) if (halfToFloat(bits) === v && !Object.is(v, -0)) return bits;
  throw new Error(`${v} is not a float16 value`);
}

const W = [0.5, -1, 0.25, 1, 0.125, -0.5, -0.25, 2, 0.75, 1.5, -1.5, 0];
const B = [0.125, -0.25, 1];
const MODEL = fp16Model(W, B);
const CONFIG = new TextEncoder().encode('{"model":"unet"}');

function makePack(previewExists: boolean): { pack: Pack; served: Map<string, Uint8Array> } {
  const file = (path: string, bytes: number) => ({ path, bytes, bytesExact: false, sha256: null });
  const pack = validatePack({
    schemaVersion: 1,
    id: 'p',
    title: 'Pack',
    description: 'd',
    test: false,
    components: [
      {
        id: 'unet',
        role: 'unet',
        title: 'UNet',
        repo: 'o/sd',
        revision: 'main',
        revisionKind: 'branch',
        files: [file('unet/config.json', CONFIG.byteLength), file('unet/model.onnx', MODEL.byteLength)],
        graphs: [
          {
            id: 'unet',
            inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
            outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
            variants: [
              {
                dtype: 'fp16',
                file: 'unet/model.onnx',
                requiresFeatures: ['shader-f16'],
                devices: ['webgpu'],
              },
              { dtype: 'fp32', file: 'unet/model.onnx', derive: 'widen-fp16', devices: ['webgpu'] },
            ],
          },
        ],
        licence: { id: 'MIT', url: 'https://example.com/l' },
        verification: { level: 'verified' },
      },
      {
        id: 'preview',
        role: 'preview-decoder',
        title: 'Preview',
        repo: 'o/taesd',
        revision: 'main',
        revisionKind: 'branch',
        optional: true,
        files: [file('vae_decoder/model.onnx', MODEL.byteLength)],
        graphs: [
          {
            id: 'vae_decoder',
            inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
            outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3] }],
            variants: [{ dtype: 'fp32', file: 'vae_decoder/model.onnx' }],
          },
        ],
        licence: { id: 'MIT', url: 'https://example.com/l' },
        verification: { level: 'verified' },
      },
    ],
  });
  const served = new Map<string, Uint8Array>();
  const [unet, preview] = pack.components as [Pack['components'][0], Pack['components'][0]];
  served.set(fileUrl(unet, { path: 'unet/config.json' }), CONFIG);
  served.set(fileUrl(unet, { path: 'unet/model.onnx' }), MODEL);
  if (previewExists) served.set(fileUrl(preview, { path: 'vae_decoder/model.onnx' }), MODEL);
  return { pack, served };
}

function hub(served: Map<string, Uint8Array>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const bytes = served.get(String(input));
    if (!bytes) return new Response('Entry not found', { status: 404 });
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { 'content-length': String(bytes.byteLength) },
    });
  }) as typeof fetch;
}

async function install(pack: Pack, served: Map<string, Uint8Array>, input: PlanInput) {
  const storage = new MemoryStorage();
  const plan = planPack(pack, input);
  const downloader = new PackDownloader(pack, packFiles(pack, plan), {
    storage,
    fetch: hub(served),
    estimate: async () => ({ usage: 0, quota: 1e12 }),
    prepare: (file, { signal, onProgress }) =>
      deriveWidened(storage, pack.id, file, { widen: inProcessWidener, signal, onProgress }).then(
        () => undefined,
      ),
  });
  const percents: number[] = [];
  downloader.onChange((s) => percents.push(Math.round((s.pack.loaded / Math.max(1, s.pack.total)) * 100)));
  const snapshot = await downloader.start();
  return { storage, plan, snapshot, percents };
}

async function run(model: Uint8Array, externalData: { path: string; data: Uint8Array }[], x: number[]) {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    ...(externalData.length ? { externalData } : {}),
  });
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
  await session.release();
  return Array.from(out.y!.data as Float32Array);
}

const X = [1, 0.5, -2, 0.25];
const reference = [0, 1, 2].map((j) => B[j]! + X.reduce((s, xi, i) => s + xi * W[i * 3 + j]!, 0));

describe('installing a pack', () => {
  test('without shader-f16: the fp16 UNet is widened at install; sessions open exactly what is stored', async () => {
    const { pack, served } = makePack(true);
    const { storage, plan, snapshot, percents } = await install(pack, served, NO_F16);
    expect(snapshot.status).toEqual({ kind: 'verified', missing: [] });
    const stored = storage.stored(pack.id);
    // The fp16 source is gone; the widened model and its data file are what is kept.
    expect(stored).toEqual([
      'preview/vae_decoder/model.onnx',
      'unet/unet/config.json',
      'unet/unet/model.widened.onnx',
      'unet/unet/model.widened.onnx_data_0',
    ]);
    const reader = { storage, origin: null };
    const opened: string[] = ['unet/unet/config.json'];
    for (const cp of plan.components)
      for (const g of cp.graphs)
        for (const p of await openedPaths(reader, pack, cp, g)) opened.push(`${cp.component.id}/${p}`);
    expect(opened.sort()).toEqual(stored);
    // The widened graph computes what the fp16 weights say, in fp32.
    const cp = plan.components.find((c) => c.component.id === 'unet')!;
    const files = await loadGraphFiles(reader, pack, cp, cp.graphs[0]!);
    expect(files.externalData.map((d) => d.path)).toEqual(['model.widened.onnx_data_0']);
    const y = await run(files.model, files.externalData, X);
    const diff = Math.max(...y.map((v, i) => Math.abs(v - reference[i]!)));
    console.log(`install: widened UNet vs fp32 reference, max abs diff ${diff}`);
    expect(diff).toBeLessThan(1e-6);
    // One bar for the pack: it only goes up and ends full.
    expect(percents.at(-1)).toBe(100);
    expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!)).toBe(true);
    // A second scan (a reload) sees the pack installed without the fp16 source.
    const again = new PackDownloader(pack, packFiles(pack, plan), { storage, fetch: hub(new Map()) });
    expect((await again.scan()).status.kind).toBe('verified');
  });

  test('with shader-f16 the fp16 file itself is stored and opened', async () => {
    const { pack, served } = makePack(true);
    const { storage, plan } = await install(pack, served, F16);
    const stored = storage.stored(pack.id);
    expect(stored).toContain('unet/unet/model.onnx');
    expect(stored.some((s) => s.includes('widened'))).toBe(false);
    const cp = plan.components.find((c) => c.component.id === 'unet')!;
    expect(await openedPaths({ storage, origin: null }, pack, cp, cp.graphs[0]!)).toEqual([
      'unet/model.onnx',
    ]);
  });

  test('a 404 on an optional file leaves the pack ready without it and says what is missing', async () => {
    const { pack, served } = makePack(false);
    const { snapshot } = await install(pack, served, NO_F16);
    expect(snapshot.status).toEqual({ kind: 'verified', missing: ['preview/vae_decoder/model.onnx'] });
    const fault = snapshot.faults.find((f) => f.label === 'preview/vae_decoder/model.onnx');
    expect(fault?.message).toMatch(
      /preview\/vae_decoder\/model\.onnx is not in its repository on the Hub \(HTTP 404/,
    );
  });

  test('a 404 on a required file fails the install and names the file', async () => {
    const { pack, served } = makePack(true);
    served.delete(fileUrl(pack.components[0]!, { path: 'unet/model.onnx' }));
    const { snapshot } = await install(pack, served, NO_F16);
    expect(snapshot.status.kind).toBe('failed');
    if (snapshot.status.kind === 'failed')
      expect(snapshot.status.message).toMatch(/unet\/unet\/model\.onnx is not in its repository on the Hub/);
  });
});

describe('the default pack (its replica) on each kind of machine', () => {
  const root = join(import.meta.dirname, '../../public/models/replica');
  const replica = () => validatePack(JSON.parse(readFileSync(join(root, 'default-pack.json'), 'utf8')));
  const servedReplica = (pack: Pack) => {
    const served = new Map<string, Uint8Array>();
    for (const c of pack.components)
      for (const f of c.files)
        served.set(
          fileUrl(c, f),
          new Uint8Array(readFileSync(join(root, c.repo, 'resolve', c.revision, f.path))),
        );
    return served;
  };

  test.each([
    ['WebGPU with shader-f16', F16],
    ['WebGPU without shader-f16', NO_F16],
    ['WASM only', { caps: { backend: 'wasm', features: [] } } as PlanInput],
  ])(
    '%s: the files stored are exactly the files every session opens',
    async (_name, caps) => {
      await ensureForged();
      const pack = replica();
      const input: PlanInput = { ...caps, devices: preferredDevices(caps.caps), features: INSTALL_FEATURES };
      const { storage, plan, snapshot } = await install(pack, servedReplica(pack), input);
      expect(snapshot.status.kind).toBe('verified');
      const reader = { storage, origin: null };
      const opened = new Set<string>();
      for (const cp of plan.components) {
        if (cp.unavailable) continue;
        // Config, tokenizer and processor files are read by the tokenizer and transformers.js.
        for (const p of cp.download)
          if (!cp.graphs.some((g) => g.download.includes(p))) opened.add(`${cp.component.id}/${p}`);
        for (const g of cp.graphs)
          for (const p of await openedPaths(reader, pack, cp, g)) opened.add(`${cp.component.id}/${p}`);
      }
      expect(storage.stored(pack.id)).toEqual([...opened].sort());
      expect(snapshot.files.some((f) => f.label.startsWith('planner-llm/'))).toBe(false);
    },
    120_000,
  );
});

describe('installing offline', () => {
  const offlineDownloader = (pack: Pack, fetcher: typeof fetch, online: () => boolean) => {
    const storage = new MemoryStorage();
    const plan = planPack(pack, F16);
    return new PackDownloader(pack, packFiles(pack, plan), {
      storage,
      fetch: fetcher,
      online,
      concurrency: 1,
      estimate: async () => ({ usage: 0, quota: 1e12 }),
    });
  };

  test('started offline: no file is tried, the run says offline once, and it completes once online', async () => {
    const { pack, served } = makePack(true);
    let online = false;
    let fetches = 0;
    const serve = hub(served);
    const downloader = offlineDownloader(
      pack,
      ((...a: Parameters<typeof fetch>) => (fetches++, serve(...a))) as typeof fetch,
      () => online,
    );
    const stopped = await downloader.start();
    expect(stopped.offline).toBe(true);
    expect(fetches).toBe(0);
    expect(stopped.faults).toEqual([]);
    expect(stopped.status.kind).toBe('not-downloaded');
    online = true;
    const done = await downloader.start();
    expect(done.offline).toBe(false);
    expect(done.status).toEqual({ kind: 'verified', missing: [] });
    expect(fetches).toBe(3);
  });

  test('the network goes during the run: the queued files are not tried, one fault is kept', async () => {
    const { pack, served } = makePack(true);
    let online = true;
    let fetches = 0;
    const serve = hub(served);
    const downloader = offlineDownloader(
      pack,
      (async (...a: Parameters<typeof fetch>) => {
        fetches++;
        if (fetches === 2) {
          online = false;
          throw new TypeError('Failed to fetch');
        }
        return serve(...a);
      }) as typeof fetch,
      () => online,
    );
    const stopped = await downloader.start();
    expect(stopped.offline).toBe(true);
    expect(fetches).toBe(2);
    expect(stopped.faults).toHaveLength(1);
    expect(stopped.files.filter((f) => f.state.kind === 'verified')).toHaveLength(1);
    expect(stopped.files.filter((f) => f.state.kind === 'interrupted')).toHaveLength(1);
    online = true;
    expect((await downloader.start()).status).toEqual({ kind: 'verified', missing: [] });
  });
});
