/**
 * The one variant decision. For a pack, this machine's capabilities and the features the artist
 * uses, it says where each component runs, which variant (dtype) of each graph it opens, which
 * files are downloaded, which are made once at install (fp16 widened to fp32), and which files
 * every session opens. The downloader, the engine, the judge and the planner all ask this module,
 * so what is stored is exactly what is opened.
 */
import {
  FEATURES,
  ROLE_FEATURE,
  type Component,
  type Device,
  type Feature,
  type Graph,
  type Pack,
  type Variant,
} from './manifest';
import type { Capabilities } from './variants';

export type PlanCaps = Pick<Capabilities, 'backend' | 'features'>;

export interface PlanInput {
  caps: PlanCaps;
  /** Where a feature's components run; unset features run on the drawing backend (`caps.backend`). */
  devices?: Partial<Record<Feature, Device>>;
  /** The features to plan for; default every feature. */
  features?: readonly Feature[];
}

/** What a session of one graph opens: stored paths inside the component's folder. */
export interface OpenFiles {
  path: string;
  /** External-data files; for a derived variant they are named at install and read from the verified list. */
  dataFiles: string[] | 'named-at-install';
}

export interface GraphPlan {
  graphId: string;
  graph: Graph;
  variant: Variant;
  /** The component's files this graph downloads. */
  download: string[];
  open: OpenFiles;
}

export interface ComponentPlan {
  component: Component;
  feature: Feature;
  device: Device;
  optional: boolean;
  /** Why this component cannot run here (one sentence), or null. */
  unavailable: string | null;
  graphs: GraphPlan[];
  /** Every file of the component to download: config and tokenizer files plus the chosen variants. */
  download: string[];
}

export interface PackPlan {
  packId: string;
  features: Feature[];
  components: ComponentPlan[];
}

/** Features an install brings by default; the planner's model comes the first time planning is used. */
export const INSTALL_FEATURES: readonly Feature[] = ['draw', 'edit', 'preview', 'judge'];

const DEVICE_NAME: Record<Device, string> = { webgpu: 'WebGPU', wasm: 'the CPU (WASM)' };

/** The path a widened copy of `file` is stored under: `unet/model.onnx` → `unet/model.widened.onnx`. */
export function widenedPath(file: string): string {
  return file.endsWith('.onnx') ? `${file.slice(0, -'.onnx'.length)}.widened.onnx` : `${file}.widened.onnx`;
}

/** Name (no folder) of data file `index` of a widened model; it is the `location` inside the graph. */
export function widenedDataName(file: string, index: number): string {
  const base = widenedPath(file);
  return `${base.slice(base.lastIndexOf('/') + 1)}_data_${index}`;
}

export function featureOf(component: Pick<Component, 'role'>): Feature {
  return ROLE_FEATURE[component.role];
}

/**
 * Where the judge runs by default. With shader-f16 the GPU holds the fp16 drawing models (about 2.6 GB
 * for the default pack) and the fp16 judge (about 1 GB) together. Without it the drawing models are
 * widened to fp32 (about 5.2 GB of GPU memory): the judge then runs on the CPU with its 8-bit variants
 * (about 0.5 GB of the wasm heap) so that it never pushes the drawing models out between panels.
 * See memory.ts for the figures from the manifest.
 */
export function preferredDevices(caps: PlanCaps): Partial<Record<Feature, Device>> {
  if (caps.backend !== 'webgpu') return {};
  return caps.features.includes('shader-f16') ? {} : { judge: 'wasm' };
}

/** The device a feature runs on: drawing on the chosen backend, the others where the caller says. */
export function deviceFor(feature: Feature, input: Pick<PlanInput, 'caps' | 'devices'>): Device {
  const asked = input.devices?.[feature];
  // Nothing runs on WebGPU when the machine has no adapter.
  if (asked === 'webgpu' && input.caps.backend !== 'webgpu') return 'wasm';
  return asked ?? input.caps.backend;
}

/** The first variant, in the manifest's order of preference, that this device can run. */
export function variantOn(graph: Graph, device: Device, features: readonly string[]): Variant | undefined {
  const have = new Set(device === 'webgpu' ? features : []);
  return graph.variants.find(
    (v) => v.devices.includes(device) && v.requiresFeatures.every((f) => have.has(f)),
  );
}

function unavailableSentence(c: Component, graph: Graph, device: Device): string {
  const needs = new Set<string>();
  for (const v of graph.variants) {
    if (!v.devices.includes(device))
      needs.add(`${v.dtype} runs on ${v.devices.map((d) => DEVICE_NAME[d]).join(' or ')} only`);
    else if (v.requiresFeatures.length)
      needs.add(`${v.dtype} needs the GPU feature ${v.requiresFeatures.join(', ')}`);
  }
  return `${c.title} cannot run on ${DEVICE_NAME[device]} here (${[...needs].join('; ')}).`;
}

/** Paths of the files that belong to no variant: config, tokenizer and processor files. */
function plainFiles(c: Component): string[] {
  const graphFiles = new Set(c.graphs.flatMap((g) => g.variants.flatMap((v) => [v.file, ...v.dataFiles])));
  return c.files.filter((f) => !graphFiles.has(f.path)).map((f) => f.path);
}

export function planComponent(c: Component, input: PlanInput): ComponentPlan {
  const feature = featureOf(c);
  const device = deviceFor(feature, input);
  const graphs: GraphPlan[] = [];
  let unavailable: string | null = null;
  for (const graph of c.graphs) {
    const variant = variantOn(graph, device, input.caps.features);
    if (!variant) {
      unavailable ??= unavailableSentence(c, graph, device);
      continue;
    }
    const download = [variant.file, ...variant.dataFiles];
    const open: OpenFiles = variant.derive
      ? { path: widenedPath(variant.file), dataFiles: 'named-at-install' }
      : { path: variant.file, dataFiles: [...variant.dataFiles] };
    graphs.push({ graphId: graph.id, graph, variant, download, open });
  }
  const download = unavailable ? [] : [...new Set([...plainFiles(c), ...graphs.flatMap((g) => g.download)])];
  return { component: c, feature, device, optional: c.optional, unavailable, graphs, download };
}

export function planPack(pack: Pack, input: PlanInput): PackPlan {
  const features = [...(input.features ?? FEATURES)];
  return {
    packId: pack.id,
    features,
    components: pack.components
      .filter((c) => features.includes(featureOf(c)))
      .map((c) => planComponent(c, input)),
  };
}

/** The plan of one component, or undefined when the pack has none with this id. */
export function componentPlanOf(plan: PackPlan, componentId: string): ComponentPlan | undefined {
  return plan.components.find((c) => c.component.id === componentId);
}

/**
 * Why the pack cannot do `feature` here, or null when it can: a required component of that
 * feature is missing from the pack or cannot run on this machine.
 */
export function featureBlocker(pack: Pack, plan: PackPlan, feature: Feature): string | null {
  const needed: Record<Feature, string[]> = {
    draw: ['text-encoder', 'unet', 'vae-decoder'],
    edit: ['vae-encoder'],
    preview: ['preview-decoder'],
    judge: ['detector', 'image-text-encoder'],
    plan: ['planner-llm'],
  };
  for (const role of needed[feature]) {
    const c = pack.components.find((x) => x.role === role);
    if (!c) return `${pack.title} has no ${role} component.`;
    const p = componentPlanOf(plan, c.id);
    if (p?.unavailable) return p.unavailable;
  }
  return null;
}

/** Stored bytes a component's sessions hold once open: its chosen graph files, widened ones doubled. */
export function openedBytes(cp: ComponentPlan): number {
  const size = (path: string) => cp.component.files.find((f) => f.path === path)?.bytes ?? 0;
  return cp.graphs.reduce((sum, g) => {
    const source = size(g.variant.file) + g.variant.dataFiles.reduce((s, p) => s + size(p), 0);
    // Widening doubles every weight; the graph without its weights is small.
    return sum + (g.variant.derive === 'widen-fp16' ? 2 * source : source);
  }, 0);
}

/** Bytes this machine downloads for the plan (optional components included). */
export function downloadBytes(plan: PackPlan): number {
  return plan.components.reduce(
    (sum, cp) =>
      sum + cp.download.reduce((s, p) => s + (cp.component.files.find((f) => f.path === p)?.bytes ?? 0), 0),
    0,
  );
}
