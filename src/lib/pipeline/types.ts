/**
 * What the pipeline needs from a runtime, as structural interfaces: the pipeline never imports
 * onnxruntime-web. The runtime (src/lib/runtime/engine-ort.ts) implements them over ORT; the
 * worker wires them together.
 */
import type { Backend } from '../models/variants';
import type { Progress } from '../domain/progress';

export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** An ORT tensor as the pipeline sees it: opaque data that may live on the GPU. */
export interface EngineTensor {
  readonly type: string;
  readonly dims: readonly number[];
  /** 'cpu' or 'gpu-buffer' (or another ORT location). */
  readonly location: string;
  dispose(): void;
}

export interface SessionMeta {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface EngineSession {
  readonly label: string;
  readonly inputs: SessionMeta[];
  readonly outputs: SessionMeta[];
  /** One run; outputs stay where the session puts them (the GPU on WebGPU). Inputs are not consumed. */
  run(feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>>;
  dispose(): Promise<void>;
}

/** Why a GPU→CPU copy happened: the bench asserts that `latent` stays 0. */
/**
 * `latent`: intermediate latents (never, by design); `kept`: a generation's final latents, once, for the
 * latent memory of local edits (latent-memory.ts); `preview`, `image`: what the artist sees.
 */
export type ReadbackKind = 'latent' | 'kept' | 'preview' | 'image' | 'other';

export interface ReadbackCounts {
  latent: number;
  kept: number;
  preview: number;
  image: number;
  other: number;
}

export interface RunLedger {
  /** Sum of ORT run times (and of GPU readback waits), ms. */
  ortMs: number;
  runs: number;
  readbacks: ReadbackCounts;
}

export interface ExternalData {
  path: string;
  data: Uint8Array;
}

export interface EngineRuntime {
  readonly backend: Backend;
  /** A session from a model's bytes and its external-data files (named as the graph refers to them). */
  createSession(bytes: Uint8Array, label: string, externalData?: ExternalData[]): Promise<EngineSession>;
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): EngineTensor;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): EngineTensor;
  tensor(type: 'int32', data: Int32Array, dims: readonly number[]): EngineTensor;
  tensor(
    type: TensorType,
    data: Float32Array | BigInt64Array | Int32Array,
    dims: readonly number[],
  ): EngineTensor;
  /** Copy a float tensor to the CPU. Every copy from the GPU is counted under `kind`. */
  read(tensor: EngineTensor, kind: ReadbackKind): Promise<Float32Array>;
  /** Totals since the runtime was made (a debug counter). */
  readonly ledger: RunLedger;
}

/** Text to token ids, already truncated and padded as the manifest says. */
export interface EngineTokenizer {
  encode(text: string): Int32Array;
}

export type PreviewMode = 'none' | 'approx' | 'decoder';

export interface StepPreview {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8ClampedArray;
}

/** Progress of one generation: the `load` and `step` members of the studio's one union (a step with its preview). */
export type EngineProgress =
  | Extract<Progress, { status: 'load' }>
  | (Extract<Progress, { status: 'step' }> & { preview: StepPreview | null });

/** The engine's coded failures (the worker adds `device-lost` and `stopped` when it ends a job). */
export type EngineErrorCode =
  'cancelled' | 'device-lost' | 'engine-failed' | 'invalid-input' | 'not-found' | 'stopped';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

export const isCancelled = (e: unknown): boolean =>
  e instanceof Error && (e as { code?: string }).code === 'cancelled';
