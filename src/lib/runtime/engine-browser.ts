/**
 * The engine as the worker runs it: ORT from ort-env (the `onnxruntime-web/webgpu` entry, WASM
 * from our origin), model files from the verified store (OPFS / Cache API) — or, for test packs
 * that are served by our own origin (`localRoot`), fetched and hash-checked — the pack's
 * tokenizer through transformers.js, and PNG encoding with OffscreenCanvas.
 */
import * as transformers from '@huggingface/transformers';
import { StoryLoomError } from '../domain/errors';
import { sha256Hex } from '../models/hash';
import { fileUrl } from '../models/manifest';
import type { PackFile } from '../models/pack-files';
import { modelStorage } from '../models/storage';
import type { Backend } from '../models/variants';
import { loadVerifiedFile } from '../models/verified';
import type { PackComponent, TextEncoderContract } from '../pipeline/contracts';
import { DiffusionEngine, type ModelFiles } from '../pipeline/engine';
import type { EngineTokenizer } from '../pipeline/types';
import { configureRuntime, ort } from './ort-env';
import { serial } from './session';
import { OrtEngineRuntime } from './engine-ort';

export interface BrowserEngineOptions {
  backend: Backend;
  features: string[];
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

function packFile(pc: PackComponent, path: string): PackFile {
  const f = pc.component.files.find((x) => x.path === path);
  if (!f) throw new StoryLoomError('not-found', `${pc.component.id}/${path} is not a file of the pack.`);
  const c = pc.component;
  return {
    componentId: c.id,
    repo: c.repo,
    revision: c.revision,
    path,
    label: `${c.id}/${path}`,
    bytes: f.bytes,
    bytesExact: f.bytesExact,
    sha256: f.sha256,
    url: fileUrl(c, f),
    key: `${pc.packId}/files/${c.id}/${path}`,
  };
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const response = await fetch(url).catch((e: unknown) => {
    throw new StoryLoomError('not-found', `${what} could not be fetched; check the connection.`, {
      cause: e,
    });
  });
  if (!response.ok) throw new StoryLoomError('not-found', `${what} was not found (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Verified bytes: the store first; a pack served by our origin (test packs) as the fallback. */
export async function componentFile(pc: PackComponent, path: string): Promise<Uint8Array> {
  const file = packFile(pc, path);
  try {
    return await loadVerifiedFile(modelStorage(), pc.packId, file);
  } catch (stored) {
    if (!pc.localRoot) throw stored;
  }
  const bytes = await fetchBytes(appUrl(`${pc.localRoot}/${pc.component.id}/${path}`), file.label);
  if (file.bytesExact && bytes.byteLength !== file.bytes)
    throw new StoryLoomError(
      'not-found',
      `${file.label} has ${bytes.byteLength} bytes but the pack says ${file.bytes}.`,
    );
  if (file.sha256 && (await sha256Hex(bytes)) !== file.sha256)
    throw new StoryLoomError(
      'not-found',
      `${file.label} does not match the hash in the pack; it was not used.`,
    );
  return bytes;
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
  const runtime = new OrtEngineRuntime(ort, { backend, serial });
  const files: ModelFiles = { file: componentFile, tokenizer: packTokenizer };
  const engine = new DiffusionEngine({
    runtime,
    files,
    helper: (file) => fetchBytes(appUrl(`models/helpers/${file}`), `The helper graph ${file}`),
    features: options.features,
    ...(options.budgetBytes ? { budgetBytes: options.budgetBytes } : {}),
    encodeImage: encodePng,
  });
  return {
    engine,
    info: { backend, fallback, ortVersion: runtimeInfo.ortVersion, numThreads: runtimeInfo.numThreads },
  };
}
