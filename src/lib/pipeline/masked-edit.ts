/**
 * Local image editing: regenerate only the masked part of an image with its own conditioning
 * (e.g. the corrected expression). Its cost grows with the region, not the image:
 *  1 the masks, once, on typed arrays (mask.ts editMask): rasterise the box and/or brush, feather
 *    it outwards in the window around it, and the crop: the feathered support plus one latent
 *    cell of context, grown to a multiple of the latent factor;
 *  2 the shared stages (pipeline.ts) on the crop alone: the init image's latents, and after each
 *    step the latents outside the mask pinned to the original's, re-noised to the step's level;
 *  3 paste back over the feathered support only: every pixel outside it keeps the original's
 *    bytes exactly; then the one PNG of the whole image.
 * Plain data in and out, so the artist's brush and the quality gate call the same function.
 */
import { editMask, featherRadius, pasteBack, cropRgba, type MaskSpec, type PixelRect } from './mask';
import { runDiffusion, type DiffusionResult } from './pipeline';
import { cropLatents, pictureKey } from './latent-memory';
import { need, resolveComponents, unetContract } from './contracts';
import type { Pack } from '../models/manifest';
import type { PipelineContext, PlainChunk, RunOptions } from './stages';
import { EngineError, type PreviewMode } from './types';

export interface EditBase {
  /** 8-bit RGBA of the image to edit. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface MaskedEditRequest {
  pack: Pack;
  overrides?: Pack[];
  base: EditBase;
  mask: MaskSpec;
  /** The region's own conditioning (e.g. identity + corrected transient + scene). */
  chunks: PlainChunk[];
  negative: PlainChunk | null;
  seed: number;
  /** 0 < strength ≤ 1: how far down the schedule the region is re-drawn. */
  strength: number;
  numInferenceSteps: number;
  guidanceScale: number;
  preview?: PreviewMode;
  /** Feather in pixels (default: featherRadius of the image). */
  feather?: number;
}

export interface MaskedEditResult {
  /** PNG of the whole edited image, or null where the runtime cannot encode (unit tests). */
  image: Blob | null;
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  seed: number;
  /** The crop the edit worked in (pixels of the base image). */
  crop: PixelRect;
  feather: number;
  /** Pixels inside the feathered support (the only ones that may change). */
  supportPixels: number;
  generation: Omit<DiffusionResult, 'image' | 'rgba'>;
  timings: { totalMs: number; maskMs: number; generateMs: number; pasteMs: number; encodeMs: number };
}

const now = () => performance.now();

export async function maskedEdit(
  ctx: PipelineContext,
  request: MaskedEditRequest,
  options: RunOptions = {},
): Promise<MaskedEditResult> {
  const started = now();
  const { base } = request;
  const { width, height } = base;
  if (base.rgba.length !== width * height * 4)
    throw new EngineError(
      'invalid-input',
      `The image to edit needs ${width * height * 4} RGBA bytes, got ${base.rgba.length}.`,
    );
  const unet = unetContract(need(resolveComponents(request.pack, request.overrides), 'unet').component);
  const f = unet.downscale;
  const multiple = unet.sizeMultiple;
  if (width % multiple !== 0 || height % multiple !== 0)
    throw new EngineError(
      'invalid-input',
      `The image to edit must have sides that are multiples of ${multiple}, got ${width}×${height}.`,
    );

  // 1. The masks and the crop.
  const feather = request.feather ?? featherRadius(width, height);
  const mask = editMask(request.mask, width, height, { feather, factor: f, multiple });
  if (!mask)
    throw new EngineError(
      'invalid-input',
      'The mask is empty: brush over the part to redraw, or draw a box.',
    );
  const { crop } = mask;
  // The picture's own latents when this engine drew it (latent-memory.ts), else the VAE encoder runs.
  const kept = ctx.memory?.find(await pictureKey(base.rgba, width, height));
  const keptLatents = kept && kept.width === width && kept.height === height ? cropLatents(kept, crop) : null;
  const maskMs = now() - started;

  // 2. The stages on the crop, the outside pinned; the PNG is made after the paste.
  const genStarted = now();
  const {
    image: _none,
    rgba: edited,
    ...generation
  } = await runDiffusion(
    ctx,
    {
      pack: request.pack,
      ...(request.overrides ? { overrides: request.overrides } : {}),
      chunks: request.chunks,
      negative: request.negative,
      seed: request.seed,
      width: crop.width,
      height: crop.height,
      numInferenceSteps: request.numInferenceSteps,
      guidanceScale: request.guidanceScale,
      preview: request.preview ?? 'none',
      regions: null,
      init: {
        rgba: cropRgba(base.rgba, width, crop),
        width: crop.width,
        height: crop.height,
        strength: request.strength,
        latents: keptLatents,
      },
      pin: mask.latent,
    },
    { ...options, png: false },
  );
  const generateMs = now() - genStarted;

  // 3. Paste back over the feathered support only, then the one PNG.
  const pasteStarted = now();
  const rgba = pasteBack(base.rgba, width, edited, crop, mask.alpha, mask.support);
  const pasteMs = now() - pasteStarted;
  const encStarted = now();
  const image = await ctx.encodeImage(rgba, width, height);
  const encodeMs = now() - encStarted;
  return {
    image,
    rgba,
    width,
    height,
    seed: request.seed,
    crop,
    feather,
    supportPixels: mask.supportPixels,
    generation,
    timings: { totalMs: now() - started, maskMs, generateMs, pasteMs, encodeMs },
  };
}
