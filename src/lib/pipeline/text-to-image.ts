/**
 * Text-to-image: the shared stages (pipeline.ts) with seeded noise as the latents, one UNet call
 * per step (with classifier-free guidance when the scale is above 1) and nothing after each step.
 */
import { variant, type DiffusionResult } from './pipeline';
import type { DiffusionRequest, DiffusionTimings } from './stages';

export type { PipelineContext, PlainChunk } from './stages';

export type TextToImageRequest = Omit<DiffusionRequest, 'regions' | 'init' | 'pin'>;
export type TextToImageTimings = DiffusionTimings;
export type TextToImageResult = DiffusionResult;

export const textToImage = variant<TextToImageRequest>({ regions: null, init: null, pin: null });
