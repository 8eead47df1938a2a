/**
 * The engine as the worker runs it: ORT from ort-env (the `onnxruntime-web/webgpu` entry, WASM
 * from our origin), the graphs the pack's plan chose for this machine, read from the verified
 * store (OPFS / Cache API) — a test pack served by our own origin only when the test hooks allow
 * it — the pack's tokenizer through transformers.js, and PNG encoding with OffscreenCanvas.
 */
import * as transformers from '@huggingface/transformers';
import { StoryLoomError } from '../domain/errors';
import { loadGraphFiles, readPackFile, type FileReader } from '../models/open';
import { openedBytes, planComponent, type PlanInput } from '../models/plan';
import { modelStorage } from '../models/storage';
import type { Backend } from '../models/variants';
import type { PackComponent, TextEncoderContract } from '../pipeline/contracts';
import { DiffusionEngine, type ModelFiles, type PlannedGraph } from '../pipeline/engine';
import type { EngineTokenizer } from '../pipeline/types';
import { configureRuntime, ort } from './ort-env';
import { serial } from './session';
import { watchDevice } from './device';
import { OrtEngineRuntime } from './engine-ort';

export interface BrowserEngineOptions {
  backend: Backend;
  /** The page's plan input: the same variant decision the downloader made. */
  planInput: PlanInput;
  /** Test packs served by our own origin may be read from there (test hooks only). */
  allowOrigin: boolean;
  budgetBytes?: number;
}

export interface BrowserEngineInfo {
  backend: Backend;
  /** Why WebGPU was asked for but WASM runs, or null. */
  fallback: string | null;
  ortVersion: string;
  numThreads: number;
}

const origin = () => (typeof location !== 'undefined' ? location.origin : 'http://localhost');
const appUrl = (path: string) => new URL(`${import.meta.env.BASE_URL}${path}`, origin()).href;

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const response = await fetch(url).catch((e: unknown) => {
    throw new StoryLoomError('not-found', `${what} could not be fetched; check the connection.`, {
      cause: e,
    });
  });
  if (!response.ok) throw new StoryLoomError('not-found', `${what} was not found (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}

let current: FileReader | null = null;
const reader = (): FileReader => (current ??= { storage: modelStorage(), origin: null });

/** Who may serve files besides the store (set once by the worker's init; tests only). */
export function allowOriginFiles(allow: boolean): void {
  current = {
    storage: modelStorage(),
    origin: allow
      ? { url: (root, id, path) => appUrl(`${root}/${id}/${path}`), fetch: (u) => fetch(u) }
      : null,
  };
}

export const packRefOf = (pc: PackComponent) => ({ id: pc.packId, test: pc.test, localRoot: pc.localRoot });

/** Verified bytes of one file of a component: the store (a served test pack only when allowed). */
export function componentFile(pc: PackComponent, path: string): Promise<Uint8Array> {
  return readPackFile(reader(), packRefOf(pc), pc.component, path);
}

/** The graph the plan opens for a component on this machine: its files and their size. */
export async function plannedGraph(pc: PackComponent, input: PlanInput): Promise<PlannedGraph> {
  const cp = planComponent(pc.component, input);
  const g = cp.graphs[0];
  if (cp.unavailable || !g)
    throw new StoryLoomError('invalid-input', cp.unavailable ?? `${pc.component.title} lists no ONNX graph.`);
  return {
    key: `${pc.component.id}/${g.open.path}`,
    label: `${pc.component.id}/${g.open.path}`,
    bytes: openedBytes({ ...cp, graphs: [g] }),
    load: async () => {
      const files = await loadGraphFiles(reader(), packRefOf(pc), cp, g);
      return { model: files.model, externalData: files.externalData };
    },
  };
}

interface HfTokenizer {
  encode(text: string): number[];
}
type TokenizerClass = new (json: unknown, config: unknown) => HfTokenizer;

/** The pack's tokenizer, truncated and padded as the text encoder's contract says. */
export async function packTokenizer(source: PackComponent, c: TextEncoderContract): Promise<EngineTokenizer> {
  const path = (name: string) => {
    const f = source.component.files.find((x) => x.path === name || x.path.endsWith(`/${name}`));
    if (!f) throw new StoryLoomError('not-found', `${source.component.title} has no ${name}.`);
    return f.path;
  };
  const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;
  const json = decode(await componentFile(source, path('tokenizer.json')));
  const config = decode(await componentFile(source, path('tokenizer_config.json')));
  const className =
    typeof config.tokenizer_class === 'string' ? config.tokenizer_class : 'PreTrainedTokenizer';
  const exports = transformers as unknown as Record<string, TokenizerClass | undefined>;
  const Tokenizer = exports[className] ?? exports.PreTrainedTokenizer;
  if (!Tokenizer)
    throw new StoryLoomError('invalid-input', `transformers.js has no tokenizer class ${className}.`);
  const tokenizer = new Tokenizer(json, config);
  return {
    encode(text: string): Int32Array {
      let ids = tokenizer.encode(text);
      if (ids.length > c.maxLength) {
        // Keep the end token, as truncation with special tokens does.
        ids = ids.slice(0, c.maxLength);
        if (c.eosTokenId !== null) ids[c.maxLength - 1] = c.eosTokenId;
      }
      const out = new Int32Array(c.maxLength).fill(c.padTokenId);
      out.set(ids);
      return out;
    },
  };
}

async function encodePng(rgba: Uint8ClampedArray, width: number, height: number): Promise<Blob | null> {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) return null;
  context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

async function hasAdapter(): Promise<string | null> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this worker has no WebGPU (navigator.gpu is missing)';
  const adapter = await gpu.requestAdapter().catch(() => null);
  return adapter ? null : 'no WebGPU adapter is available in the worker';
}

export async function createBrowserEngine(
  options: BrowserEngineOptions,
): Promise<{ engine: DiffusionEngine; info: BrowserEngineInfo }> {
  const runtimeInfo = configureRuntime();
  let backend = options.backend;
  let fallback: string | null = null;
  if (backend === 'webgpu') {
    fallback = await hasAdapter();
    if (fallback) backend = 'wasm';
  }
  allowOriginFiles(options.allowOrigin);
  const runtime = new OrtEngineRuntime(ort, { backend, serial });
  if (backend === 'webgpu') {
    // ORT makes its GPU device with the first WebGPU session: watch it from then on.
    const create = runtime.createSession.bind(runtime);
    runtime.createSession = async (...args) => {
      const session = await create(...args);
      await watchDevice();
      return session;
    };
  }
  // The engine opens what the plan chose for the backend that really runs.
  const planInput: PlanInput = { ...options.planInput, caps: { ...options.planInput.caps, backend } };
  const files: ModelFiles = {
    graph: (pc) => plannedGraph(pc, planInput),
    file: componentFile,
    tokenizer: packTokenizer,
  };
  const engine = new DiffusionEngine({
    runtime,
    files,
    helper: (file) => fetchBytes(appUrl(`models/helpers/${file}`), `The helper graph ${file}`),
    ...(options.budgetBytes ? { budgetBytes: options.budgetBytes } : {}),
    encodeImage: encodePng,
  });
  return {
    engine,
    info: { backend, fallback, ortVersion: runtimeInfo.ortVersion, numThreads: runtimeInfo.numThreads },
  };
}
