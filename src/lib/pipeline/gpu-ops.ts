/**
 * The engine's arithmetic on tensors that stay where they are (the GPU on WebGPU): each op is a
 * tiny helper graph written by the forge (models/forge/engine-helpers.ts) whose per-step numbers
 * are [1]-shaped float32 inputs. Outputs are new tensors; the caller disposes them.
 */
import type { EngineRuntime, EngineSession, EngineTensor } from './types';

export const HELPER_FILES = {
  scale: 'engine_scale.onnx',
  affine2: 'engine_affine2.onnx',
  affine3: 'engine_affine3.onnx',
  cfg: 'engine_cfg.onnx',
  concat: 'engine_concat.onnx',
  weight: 'engine_weight.onnx',
  latentRgb: 'engine_latent_rgb.onnx',
  pin: 'engine_pin.onnx',
  regionSum: 'engine_region_sum.onnx',
  expand: 'engine_expand.onnx',
  catStates: 'engine_cat_states.onnx',
  catLatents: 'engine_cat_latents.onnx',
} as const;
export type HelperName = keyof typeof HELPER_FILES;

export type HelperLoader = (file: string) => Promise<Uint8Array>;

export class GpuOps {
  readonly #runtime: EngineRuntime;
  readonly #load: HelperLoader;
  readonly #sessions = new Map<HelperName, Promise<EngineSession>>();

  constructor(runtime: EngineRuntime, load: HelperLoader) {
    this.#runtime = runtime;
    this.#load = load;
  }

  #session(name: HelperName): Promise<EngineSession> {
    let s = this.#sessions.get(name);
    if (!s) {
      const file = HELPER_FILES[name];
      s = this.#load(file).then((bytes) => this.#runtime.createSession(bytes, `helpers/${file}`));
      s.catch(() => this.#sessions.delete(name));
      this.#sessions.set(name, s);
    }
    return s;
  }

  #scalar(v: number): EngineTensor {
    return this.#runtime.tensor('float32', Float32Array.of(v), [1]);
  }

  async #run(name: HelperName, feeds: Record<string, EngineTensor>, scalars: Record<string, number>) {
    const session = await this.#session(name);
    const made = Object.fromEntries(Object.entries(scalars).map(([k, v]) => [k, this.#scalar(v)]));
    try {
      const out = await session.run({ ...feeds, ...made });
      const y = Object.values(out)[0];
      if (!y) throw new Error(`helper ${name} returned nothing`);
      return y;
    } finally {
      for (const t of Object.values(made)) t.dispose();
    }
  }

  scale(x: EngineTensor, s: number): Promise<EngineTensor> {
    return this.#run('scale', { x }, { s });
  }

  /** a·x + b·m */
  affine2(x: EngineTensor, m: EngineTensor, a: number, b: number): Promise<EngineTensor> {
    return this.#run('affine2', { x, m }, { a, b });
  }

  /** a·x + b·m + c·z */
  affine3(x: EngineTensor, m: EngineTensor, z: EngineTensor, a: number, b: number, c: number) {
    return this.#run('affine3', { x, m, z }, { a, b, c });
  }

  /** u + g·(c − u) */
  cfg(u: EngineTensor, c: EngineTensor, g: number): Promise<EngineTensor> {
    return this.#run('cfg', { u, c }, { g });
  }

  /** concat(wa·a, wb·b) along the sequence axis. */
  concat(a: EngineTensor, b: EngineTensor, wa: number, wb: number): Promise<EngineTensor> {
    return this.#run('concat', { a, b }, { wa, wb });
  }

  weight(x: EngineTensor, w: number): Promise<EngineTensor> {
    return this.#run('weight', { x }, { w });
  }

  latentRgb(latent: EngineTensor): Promise<EngineTensor> {
    return this.#run('latentRgb', { latent }, {});
  }

  /** m·x + (1 − m)·(sa·o + sb·z): pin latents outside the mask `m` to the re-noised original `o`. */
  pin(x: EngineTensor, m: EngineTensor, o: EngineTensor, z: EngineTensor, sa: number, sb: number) {
    return this.#run('pin', { x, m, o, z }, { sa, sb });
  }

  /** Σ over the batch of x·w: the soft-mask blend of per-region predictions. */
  regionSum(x: EngineTensor, w: EngineTensor): Promise<EngineTensor> {
    return this.#run('regionSum', { x, w }, {});
  }

  /** x repeated `count` times along the batch axis. */
  async expand(x: EngineTensor, count: number): Promise<EngineTensor> {
    const shape = this.#runtime.tensor('int64', BigInt64Array.from([count, ...x.dims.slice(1)], BigInt), [4]);
    try {
      return await this.#run('expand', { x, shape }, {});
    } finally {
      shape.dispose();
    }
  }

  /** concat(a, b) along the batch axis of encoder states. */
  catStates(a: EngineTensor, b: EngineTensor): Promise<EngineTensor> {
    return this.#run('catStates', { a, b }, {});
  }

  /** concat(a, b) along the batch axis of latents. */
  catLatents(a: EngineTensor, b: EngineTensor): Promise<EngineTensor> {
    return this.#run('catLatents', { a, b }, {});
  }

  async dispose(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await s.then((x) => x.dispose()).catch(() => undefined);
  }
}
