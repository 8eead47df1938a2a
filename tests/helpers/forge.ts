/**
 * Test helpers for the forged twins: make sure they exist (cheap when the
 * forge's stamp is current), and open them with onnxruntime-web (its Node
 * build with WASM under vitest).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { forge, REPO_ROOT } from '../../models/forge/index.ts';
import { replicaPath } from '../../models/forge/replica.ts';
import { vocabulary } from '../../models/forge/tokenizer.ts';
import {
  validatePack,
  type Component,
  type Graph,
  type Pack,
  type TensorSpec,
} from '../../src/lib/models/manifest.ts';

export const PUBLIC_DIR = join(REPO_ROOT, 'public');

let forged: Promise<unknown> | undefined;

/** Runs the forge once per test process; skips quickly when its output is current. */
export function ensureForged(): Promise<unknown> {
  forged ??= forge();
  return forged;
}

export async function readPack(name: 'tiny-pack' | 'bench-pack' | 'default-pack'): Promise<Pack> {
  return validatePack(JSON.parse(await readFile(join(REPO_ROOT, 'models', `${name}.json`), 'utf8')));
}

/** Absolute path of a forged file of a pack with a localRoot. */
export function forgedPath(pack: Pack, component: Component, path: string): string {
  if (!pack.localRoot) throw new Error(`${pack.id} has no localRoot`);
  return join(PUBLIC_DIR, pack.localRoot, component.id, path);
}

/** Absolute path of the replica of one file of a default-pack component. */
export function replicaFilePath(component: Pick<Component, 'repo' | 'revision'>, path: string): string {
  return join(PUBLIC_DIR, replicaPath(component, path));
}

ort.env.wasm.numThreads = 1;

export async function openSession(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(await readFile(path)));
}

export { ort };

/** Concrete sizes for the free dimensions, small enough to run fast. */
export function concrete(graph: Graph, spec: TensorSpec): number[] {
  const pixels = spec.name === 'pixel_values' || (graph.id.startsWith('vae_') && spec.name === 'sample');
  const image = graph.id === 'model' ? 768 : graph.id === 'vision_model' ? 224 : 64;
  const sizes: Record<string, number> = {
    batch_size: 1,
    image_batch_size: 1,
    text_batch_size: 2,
    sequence_length: graph.id === 'model' ? 16 : 77,
    steps: 1,
    num_channels: pixels ? 3 : 4,
    num_channels_latent: 4,
    height: pixels ? image : 8,
    width: pixels ? image : 8,
    height_latent: 8,
    width_latent: 8,
  };
  return spec.shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = sizes[d];
    if (v === undefined) throw new Error(`no test size for ${d}`);
    return v;
  });
}

function random(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function tensor(graph: Graph, spec: TensorSpec, seed: number, perturb = false): ort.Tensor {
  const dims = concrete(graph, spec);
  const n = dims.reduce((a, b) => a * b, 1);
  const r = random(seed);
  const vocab = vocabulary().length;
  if (spec.dtype === 'float32') {
    const data = Float32Array.from({ length: n }, () => r() * 2 - 1);
    if (perturb) data[Math.floor(n / 3)] = (data[Math.floor(n / 3)] ?? 0) + 0.75;
    return new ort.Tensor('float32', data, dims);
  }
  if (spec.name === 'timestep')
    return new ort.Tensor('int64', BigInt64Array.from([perturb ? 500n : 999n]), dims);
  if (spec.name === 'attention_mask') {
    const data = BigInt64Array.from({ length: n }, (_, i) => (i % (dims[1] ?? 1) < 6 ? 1n : 0n));
    if (perturb) data[3] = 0n;
    return new ort.Tensor('int64', data, dims);
  }
  const ids = Array.from({ length: n }, () => Math.floor(r() * vocab));
  if (perturb) ids[1] = ((ids[1] ?? 0) + 1) % vocab;
  if (spec.dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(ids), dims);
  return new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), dims);
}

export function feeds(graph: Graph, perturbed?: string): Record<string, ort.Tensor> {
  return Object.fromEntries(
    graph.inputs.map((spec, i) => [spec.name, tensor(graph, spec, 17 + i, spec.name === perturbed)]),
  );
}

export const maxDiff = (a: ort.Tensor, b: ort.Tensor) => {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] ?? 0) - (y[i] ?? 0)));
  return m;
};
