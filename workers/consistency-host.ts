/**
 * The engine worker's side of the consistency tools: decode images (OffscreenCanvas, no colour
 * conversion, so opaque PNG pixels come back byte-exact), build the reference collage, and route
 * a generate job to regional or image-to-image generation (local edits go straight to the engine).
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
import type { GenerateExtras, GuidedFacts } from './consistency-api';

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
