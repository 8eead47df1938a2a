/**
 * The judge inside the engine worker: real ports (lazy, kept between panels), template references
 * cached per character and templateVersion, earlier accepted crops cached per attempt and
 * character, and vocabulary text embeddings shared by every panel.
 */
import {
  crop,
  judgePanelDetailed,
  resolveThresholds,
  templateHistogram,
  templateKey,
  type CharacterReferences,
  type ImageLike,
} from '../src/lib/judge';
import type { Character } from '../src/lib/domain';
import { createJudgePorts, type LoadedJudgePorts } from '../src/lib/runtime/judge-ports';
import { deviceFor, type PlanInput } from '../src/lib/models/plan';
import type { Backend } from '../src/lib/models/variants';
import type { JudgeOutput, JudgeProgress, JudgeSpec } from './judge-api';

interface TemplateRefs {
  embeddings: Float32Array[];
  images: ImageLike[];
  /** Histograms by bin count (a settings change re-bins from the kept pixels). */
  histograms: Map<number, Float32Array[]>;
}

let ports: { key: string; ports: LoadedJudgePorts } | null = null;
const templates = new Map<string, TemplateRefs>();
const earlier = new Map<string, Float32Array>();
const textEmbeddings = new Map<string, Float32Array>();

/** A Blob (PNG, JPEG, WebP) to RGBA pixels, in the worker. */
export async function decodeImage(blob: Blob): Promise<ImageLike> {
  const bitmap = await createImageBitmap(blob);
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser cannot read images in a worker (no 2D canvas).');
    context.drawImage(bitmap, 0, 0);
    const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width, height };
  } finally {
    bitmap.close();
  }
}

let planInput: PlanInput = { caps: { backend: 'wasm', features: [] } };

/** The engine worker's init hands over the page's plan input: the judge opens what it planned. */
export function configureJudge(input: PlanInput): void {
  planInput = input;
}

function portsFor(spec: JudgeSpec, device: Backend): LoadedJudgePorts {
  const key = `${spec.pack.id}:${device}`;
  if (ports?.key === key) return ports.ports;
  const old = ports;
  if (old) {
    // Embeddings of another encoder are not comparable with the new one.
    void old.ports.dispose();
    templates.clear();
    earlier.clear();
    textEmbeddings.clear();
  }
  ports = { key, ports: createJudgePorts(spec.pack, { planInput }) };
  return ports.ports;
}

async function references(
  spec: JudgeSpec,
  p: LoadedJudgePorts,
  bins: number,
  signal?: AbortSignal,
): Promise<Map<string, CharacterReferences>> {
  const out = new Map<string, CharacterReferences>();
  for (const set of spec.templates) {
    const key = templateKey(set.characterId, set.templateVersion);
    let refs = templates.get(key);
    if (!refs) {
      const images: ImageLike[] = [];
      const embeddings: Float32Array[] = [];
      for (const blob of set.images) {
        signal?.throwIfAborted();
        const image = await decodeImage(blob);
        images.push(image);
        if (p.imageEmbedder) embeddings.push(await p.imageEmbedder.embedImage(image));
      }
      refs = { images, embeddings, histograms: new Map() };
      // Older versions of this character's templates are never asked for again.
      for (const k of templates.keys()) if (k.startsWith(`${set.characterId}@`)) templates.delete(k);
      templates.set(key, refs);
    }
    let hist = refs.histograms.get(bins);
    if (!hist) {
      hist = refs.images.map((image) => templateHistogram(image, bins));
      refs.histograms.set(bins, hist);
    }
    out.set(set.characterId, {
      templateEmbeddings: refs.embeddings,
      templateImages: refs.images,
      wardrobeHistograms: hist,
      earlierEmbeddings: [],
    });
  }
  if (p.imageEmbedder) {
    for (const e of spec.earlier) {
      const key = `${e.attemptId}:${e.characterId}`;
      let embedding = earlier.get(key);
      if (!embedding) {
        signal?.throwIfAborted();
        embedding = await p.imageEmbedder.embedImage(crop(await decodeImage(e.image), e.box));
        earlier.set(key, embedding);
      }
      const refs = out.get(e.characterId) ?? { templateEmbeddings: [], earlierEmbeddings: [] };
      refs.earlierEmbeddings = [...(refs.earlierEmbeddings ?? []), embedding];
      out.set(e.characterId, refs);
    }
  }
  return out;
}

/** Judge one picture of the engine against its panel spec. */
export async function judgeImage(
  image: ImageLike,
  spec: JudgeSpec,
  options: { signal?: AbortSignal; onProgress?: (e: JudgeProgress) => void } = {},
): Promise<JudgeOutput> {
  const started = performance.now();
  const { signal, onProgress } = options;
  const device = deviceFor('judge', planInput);
  onProgress?.({ status: 'judge', stage: 'load' });
  const p = portsFor(spec, device);
  const thresholds = resolveThresholds(spec.thresholds);
  onProgress?.({ status: 'judge', stage: 'references' });
  const refs = await references(spec, p, thresholds.params['wardrobe.bins'], signal);
  const loadMs = performance.now() - started;
  onProgress?.({ status: 'judge', stage: 'checks' });
  const characters = new Map<string, Character>(spec.characters.map((c) => [c.id, c]));
  const { report } = await judgePanelDetailed({
    image,
    panel: spec.panel,
    characters,
    references: refs,
    ports: p,
    thresholds,
    textEmbeddingCache: textEmbeddings,
    ...(signal ? { signal } : {}),
  });
  onProgress?.({ status: 'judge', stage: 'done' });
  return { report, judgeMs: performance.now() - started, loadMs, device };
}

export async function disposeJudge(): Promise<void> {
  const old = ports;
  ports = null;
  templates.clear();
  earlier.clear();
  textEmbeddings.clear();
  await old?.ports.dispose();
}
