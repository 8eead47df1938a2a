/**
 * The one place that imports onnxruntime-web and transformers.js. One runtime copy serves
 * both: transformers.js imports the same `onnxruntime-web/webgpu` entry, so its
 * `env.backends.onnx` is this `ort.env`. The WASM binary comes from our own origin.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { env as transformersEnv } from '@huggingface/transformers';
// Vite emits the binary as a hashed asset of our build: never a CDN, works offline.
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export { ort };

import type { RuntimeInfo } from '../models/check-protocol';

export type { RuntimeInfo };

let configured: RuntimeInfo | null = null;

/** Threads only help when cross-origin isolated (SharedArrayBuffer); ORT picks 1 on 2 cores otherwise. */
export function chooseThreads(isolated: boolean, cores: number): number {
  if (!isolated) return 1;
  return Math.max(1, Math.min(4, cores));
}

export function configureRuntime(): RuntimeInfo {
  if (configured) return configured;
  const isolated = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated;
  const cores = typeof navigator !== 'undefined' ? (navigator.hardwareConcurrency ?? 1) : 1;
  // transformers.js sets a CDN path when it loads if none is set: overwrite it with ours.
  // The object form overrides only the .wasm URL; the .mjs stays bundled.
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, import.meta.url).href };
  ort.env.wasm.numThreads = chooseThreads(isolated, cores);
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'warning';
  const onnxEnv = transformersEnv.backends.onnx as unknown;
  if (onnxEnv !== ort.env) {
    // Should never happen with one installed copy; keep both pointed at our files anyway.
    const other = onnxEnv as typeof ort.env | undefined;
    if (other?.wasm) {
      other.wasm.wasmPaths = ort.env.wasm.wasmPaths;
      other.wasm.numThreads = ort.env.wasm.numThreads;
    }
  }
  transformersEnv.allowRemoteModels = false;
  transformersEnv.allowLocalModels = true;
  configured = {
    ortVersion: ort.env.versions.web ?? ort.env.versions.common,
    wasmUrl: String(new URL(wasmUrl, import.meta.url).href),
    numThreads: ort.env.wasm.numThreads,
    sharedWithTransformers: onnxEnv === ort.env,
  };
  return configured;
}
