/** What the capability probe found; plain data so it can cross a worker boundary. */
export interface Capabilities {
  webgpu: boolean;
  /** Why there is no WebGPU (shown with the WASM fallback), or null. */
  webgpuUnavailable: string | null;
  isFallbackAdapter: boolean;
  features: string[];
  adapter: { vendor: string; architecture: string; device: string; description: string } | null;
  /** The limits a device got when we asked for the adapter's maxima. */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number } | null;
  backend: Backend;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

export type Backend = 'webgpu' | 'wasm';

/** WebGPU when an adapter exists, unless the caller forces WASM. */
export function chooseBackend(caps: Pick<Capabilities, 'webgpu'>, prefer?: Backend): Backend {
  if (prefer === 'wasm') return 'wasm';
  return caps.webgpu ? 'webgpu' : 'wasm';
}
