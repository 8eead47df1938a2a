import {
  chooseVariant,
  componentFiles,
  type Component,
  type Graph,
  type Pack,
  type Variant,
} from './manifest';

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

/** The features variant choice may rely on: GPU features only count on the GPU backend. */
export function usableFeatures(caps: Pick<Capabilities, 'backend' | 'features'>): string[] {
  return caps.backend === 'webgpu' ? caps.features : [];
}

/** WebGPU when an adapter exists, unless the caller forces WASM. */
export function chooseBackend(caps: Pick<Capabilities, 'webgpu'>, prefer?: Backend): Backend {
  if (prefer === 'wasm') return 'wasm';
  return caps.webgpu ? 'webgpu' : 'wasm';
}

/** The variant of a graph for these capabilities (fp16 only with shader-f16 on WebGPU). */
export function variantFor(
  graph: Graph,
  caps: Pick<Capabilities, 'backend' | 'features'>,
): Variant | undefined {
  return chooseVariant(graph, usableFeatures(caps));
}

export interface ChosenGraph {
  componentId: string;
  graphId: string;
  variant: Variant;
}

/** One variant per graph of the pack, for the report in the Models view and for the runtime. */
export function chosenGraphs(pack: Pack, caps: Pick<Capabilities, 'backend' | 'features'>): ChosenGraph[] {
  return pack.components.flatMap((c) =>
    c.graphs.flatMap((g) => {
      const variant = variantFor(g, caps);
      return variant ? [{ componentId: c.id, graphId: g.id, variant }] : [];
    }),
  );
}

/** The files this machine needs from a component. */
export function neededFiles(component: Component, caps: Pick<Capabilities, 'backend' | 'features'>) {
  return componentFiles(component, usableFeatures(caps));
}
