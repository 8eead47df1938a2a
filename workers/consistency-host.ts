/**
 * The engine worker's side of the consistency tools: decode images (OffscreenCanvas, no colour
 * conversion, so opaque PNG pixels come back byte-exact), build the reference collage, and route
 * a generate job to regional / image-to-image generation or a local edit.
 */
import {
  buildCollage,
  sceneTint,
  type DiffusionEngine,
  type EngineProgress,
  type GuidedResult,
  type TextToImageRequest,
  type TextToImageResult,
} from '../src/lib/pipeline';
import { EngineError } from '../src/lib/pipeline/types';
import type { EditBaseInput, EditJob, EditOutput, GenerateExtras, GuidedFacts } from './consistency-api';

export interface Rgba {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export async function decodeImage(blob: Blob): Promise<Rgba> {
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context)
      throw new EngineError('engine-failed', 'This browser cannot read images in the engine worker.');
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { rgba: new Uint8ClampedArray(data.buffer), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

async function baseImage(base: EditBaseInput): Promise<Rgba> {
  return 'image' in base
    ? decodeImage(base.image)
    : { rgba: base.rgba, width: base.width, height: base.height };
}

type Options = { signal?: AbortSignal; onProgress?: (e: EngineProgress) => void };

/** Text-to-image, or guided generation when the job asks for regions or a reference collage. */
export async function runGenerate(
  engine: DiffusionEngine,
  job: TextToImageRequest & GenerateExtras,
  options: Options,
): Promise<TextToImageResult & { guided?: GuidedFacts }> {
  const { regions, reference, ...request } = job;
  if (!regions?.length && !reference) return engine.generate(request, options);
  let init = null;
  if (reference) {
    const figures = [];
    for (const f of reference.figures) figures.push({ box: f.box, ...(await decodeImage(f.image)) });
    const rgba = buildCollage(request.width, request.height, sceneTint(reference.timeOfDay), figures);
    init = { rgba, width: request.width, height: request.height, strength: reference.strength };
  }
  const r: GuidedResult = await engine.generateGuided(
    { ...request, regions: regions ?? null, init },
    options,
  );
  return {
    ...r,
    guided: { regions: r.regions, batched: r.batched, startStep: r.startStep, stepsRun: r.stepsRun },
  };
}

export async function runEdit(engine: DiffusionEngine, job: EditJob, options: Options): Promise<EditOutput> {
  const { jobId: _jobId, base, ...request } = job;
  const r = await engine.edit({ ...request, base: await baseImage(base) }, options);
  if (!r.image) throw new EngineError('engine-failed', 'This browser could not encode the image as PNG.');
  const g = r.generation;
  return {
    image: r.image,
    width: r.width,
    height: r.height,
    seed: r.seed,
    crop: r.crop,
    feather: r.feather,
    supportPixels: r.supportPixels,
    stepsRun: g.stepsRun,
    backend: g.backend,
    ortRuns: g.ortRuns,
    readbacks: g.readbacks,
    timings: {
      totalMs: r.timings.totalMs,
      generateMs: r.timings.generateMs,
      ortMs: g.timings.ortMs,
      denoiseMs: g.timings.denoiseMs,
      vaeEncodeMs: g.timings.vaeEncodeMs,
    },
  };
}
