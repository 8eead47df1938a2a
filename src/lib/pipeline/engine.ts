/**
 * The diffusion engine the worker owns: sessions loaded lazily under a memory budget and released
 * least-recently-used first, one encoder cache of conditioning chunks, the helper graphs, and a
 * queue so that generations run one at a time. Every run goes through the injected runtime, so
 * the same engine runs on WebGPU in the browser and on WASM under vitest.
 */
import { EncoderCache } from '../prompt/encoder-cache';
import type { PackComponent, TextEncoderContract } from './contracts';
import { GpuOps, type HelperLoader } from './gpu-ops';
import { adaptNames } from './session-names';
import { chainHooks } from './denoise';
import { LatentMemory } from './latent-memory';
import { guidedGenerate, type GuidedRequest, type GuidedResult } from './image-to-image';
import { maskedEdit, type MaskedEditRequest, type MaskedEditResult } from './masked-edit';
import type { PipelineContext, RunOptions, StepHook } from './stages';
import { textToImage, type TextToImageRequest, type TextToImageResult } from './text-to-image';
import {
  EngineError,
  type EngineRuntime,
  type EngineSession,
  type EngineTensor,
  type EngineTokenizer,
  type ExternalData,
} from './types';

/** The graph a component's session opens, as the pack's plan chose it for this machine. */
export interface PlannedGraph {
  /** Stable per file opened: sessions are cached under it. */
  key: string;
  label: string;
  /** Bytes the session holds once open (for the memory budget). */
  bytes: number;
  load(): Promise<{ model: Uint8Array; externalData: ExternalData[] }>;
}

export interface ModelFiles {
  /** The planned graph of a component (its first graph), or a sentence why it cannot run here. */
  graph(pc: PackComponent): Promise<PlannedGraph>;
  /** The verified bytes of one file of a component. */
  file(pc: PackComponent, path: string): Promise<Uint8Array>;
  /** A tokenizer built from the files of `source`, truncating and padding as the contract says. */
  tokenizer(source: PackComponent, contract: TextEncoderContract): Promise<EngineTokenizer>;
}

export interface EngineDeps {
  runtime: EngineRuntime;
  files: ModelFiles;
  helper: HelperLoader;
  /** Bytes of model files that may be loaded at once (default 3 GiB). */
  budgetBytes?: number;
  /** Cached chunk states (default 64). */
  cacheLimit?: number;
  encodeImage?: (rgba: Uint8ClampedArray, width: number, height: number) => Promise<Blob | null>;
}

/** Options of one job: its abort signal, progress events and a step hook of its own. */
export interface JobOptions extends RunOptions {
  /** Runs after the engine's installed hook at the end of every step of this job. */
  onStep?: StepHook;
}

interface Loaded {
  key: string;
  bytes: number;
  session: Promise<EngineSession>;
  lastUsed: number;
}

export interface EngineStats {
  backend: EngineRuntime['backend'];
  loaded: { key: string; bytes: number }[];
  loadedBytes: number;
  budgetBytes: number;
  /** Sessions created since start (a released and reloaded component counts again). */
  sessionLoads: number;
  /** Text-encoder runs since start: every cache miss. */
  encoderRuns: number;
  cachedChunks: number;
  ortMs: number;
  ortRuns: number;
  readbacks: EngineRuntime['ledger']['readbacks'];
}

const DEFAULT_BUDGET = 3 * 1024 ** 3;

export class DiffusionEngine {
  readonly #deps: EngineDeps;
  readonly #ops: GpuOps;
  readonly #loaded = new Map<string, Loaded>();
  readonly #tokenizers = new Map<string, Promise<EngineTokenizer>>();
  readonly #cache: EncoderCache<EngineTensor>;
  readonly #memory = new LatentMemory();
  #encode: ((text: string) => Promise<EngineTensor>) | null = null;
  #stepHook: StepHook | null = null;
  #pinned = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #sessionLoads = 0;
  #clock = 0;
  #disposed = false;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#ops = new GpuOps(deps.runtime, deps.helper);
    this.#cache = new EncoderCache<EngineTensor>(
      {
        encode: (text) => {
          if (!this.#encode)
            return Promise.reject(new EngineError('engine-failed', 'No text encoder is bound.'));
          return this.#encode(text);
        },
      },
      { limit: deps.cacheLimit ?? 64, dispose: (t) => t.dispose() },
    );
  }

  get budgetBytes(): number {
    return this.#deps.budgetBytes ?? DEFAULT_BUDGET;
  }

  /**
   * The hook told about the end of every step of every job (like diffusers'
   * `callback_on_step_end`); the worker installs its test slowdown here. null removes it.
   */
  setStepHook(hook: StepHook | null): void {
    this.#stepHook = hook;
  }

  /** Run one text-to-image generation after every earlier one has finished. */
  generate(request: TextToImageRequest, options: JobOptions = {}): Promise<TextToImageResult> {
    return this.run((ctx) => textToImage(ctx, request, options), options);
  }

  /** Guided generation (regional guidance and/or image-to-image), queued like `generate`. */
  generateGuided(request: GuidedRequest, options: JobOptions = {}): Promise<GuidedResult> {
    return this.run((ctx) => guidedGenerate(ctx, request, options), options);
  }

  /** A local edit of a masked region (masked-edit.ts), queued like `generate`. */
  edit(request: MaskedEditRequest, options: JobOptions = {}): Promise<MaskedEditResult> {
    return this.run((ctx) => maskedEdit(ctx, request, options), options);
  }

  /** Run a pipeline function on this engine's context after every earlier job has finished. */
  run<T>(
    work: (ctx: PipelineContext) => Promise<T>,
    options: { signal?: AbortSignal; onStep?: StepHook } = {},
  ): Promise<T> {
    const run = this.#chain.then(() => this.#withContext(work, options));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #withContext<T>(
    work: (ctx: PipelineContext) => Promise<T>,
    options: { signal?: AbortSignal; onStep?: StepHook },
  ): Promise<T> {
    if (this.#disposed) throw new EngineError('engine-failed', 'The engine was disposed; start a new one.');
    if (options.signal?.aborted)
      throw new EngineError('cancelled', 'Generation was cancelled before it started.');
    const ctx: PipelineContext = {
      runtime: this.#deps.runtime,
      ops: this.#ops,
      session: (pc) => this.#session(pc),
      tokenizer: (source, contract) => this.#tokenizer(source, contract),
      encoderCache: this.#cache,
      bindEncoder: (encode) => (this.#encode = encode),
      encodeImage: this.#deps.encodeImage ?? (() => Promise.resolve(null)),
      onStep: chainHooks(this.#stepHook, options.onStep),
      memory: this.#memory,
    };
    try {
      return await work(ctx);
    } finally {
      this.#pinned.clear();
    }
  }

  async #session(pc: PackComponent): Promise<EngineSession> {
    const graph = pc.component.graphs[0];
    if (!graph) throw new EngineError('invalid-input', `${pc.component.title} lists no ONNX graph.`);
    const planned = await this.#deps.files.graph(pc);
    const key = `${pc.packId}/${planned.key}`;
    this.#pinned.add(key);
    const hit = this.#loaded.get(key);
    if (hit) {
      hit.lastUsed = ++this.#clock;
      return hit.session;
    }
    const bytes = planned.bytes;
    await this.#makeRoom(bytes);
    this.#sessionLoads++;
    const session = planned
      .load()
      .then(({ model, externalData }) => this.#deps.runtime.createSession(model, planned.label, externalData))
      .then((s) => adaptNames(s, graph));
    const entry: Loaded = { key, bytes, session, lastUsed: ++this.#clock };
    this.#loaded.set(key, entry);
    session.catch(() => this.#loaded.delete(key));
    return session;
  }

  /** Release least-recently-used sessions that this generation does not use until `bytes` fit. */
  async #makeRoom(bytes: number): Promise<void> {
    const used = () => [...this.#loaded.values()].reduce((s, l) => s + l.bytes, 0);
    while (used() + bytes > this.budgetBytes) {
      const victim = [...this.#loaded.values()]
        .filter((l) => !this.#pinned.has(l.key))
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      // What one generation needs is loaded even over the budget: refusing would help nobody.
      if (!victim) break;
      this.#loaded.delete(victim.key);
      await victim.session.then((s) => s.dispose()).catch(() => undefined);
    }
  }

  #tokenizer(source: PackComponent, contract: TextEncoderContract): Promise<EngineTokenizer> {
    const key = `${source.packId}/${source.component.id}/${contract.maxLength}/${contract.padTokenId}`;
    let t = this.#tokenizers.get(key);
    if (!t) {
      t = this.#deps.files.tokenizer(source, contract);
      t.catch(() => this.#tokenizers.delete(key));
      this.#tokenizers.set(key, t);
    }
    return t;
  }

  stats(): EngineStats {
    const ledger = this.#deps.runtime.ledger;
    const loaded = [...this.#loaded.values()].map((l) => ({ key: l.key, bytes: l.bytes }));
    return {
      backend: this.#deps.runtime.backend,
      loaded,
      loadedBytes: loaded.reduce((s, l) => s + l.bytes, 0),
      budgetBytes: this.budgetBytes,
      sessionLoads: this.#sessionLoads,
      encoderRuns: this.#cache.encodeCount,
      cachedChunks: this.#cache.size,
      ortMs: ledger.ortMs,
      ortRuns: ledger.runs,
      readbacks: { ...ledger.readbacks },
    };
  }

  /** Release every model session and cached state (after the current generation). */
  release(): Promise<void> {
    const run = this.#chain.then(async () => {
      const all = [...this.#loaded.values()];
      this.#loaded.clear();
      this.#cache.clear();
      for (const l of all) await l.session.then((s) => s.dispose()).catch(() => undefined);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.release();
    this.#disposed = true;
    this.#tokenizers.clear();
    await this.#ops.dispose();
  }
}
