/**
 * Guided generation: the shared stages (pipeline.ts) with up to two blocks swapped in, which compose:
 *  - image-to-image (`init`): the latents are the pack's VAE encoding of an init image (the
 *    reference collage), noised to the level of the first step that runs (`strength` 1 runs every
 *    step, 0.5 the second half);
 *  - regional guidance (`regions`): the noise block is the per-character prediction blended with
 *    feathered masks, batched into one UNet call per step where the UNet's batch axis is free.
 */
import { variant, type DiffusionResult } from './pipeline';
import type { DiffusionRequest } from './stages';

export type { ImageInit, RegionSpec } from './stages';
export { stepsForStrength } from './stages';

export type GuidedRequest = Omit<DiffusionRequest, 'pin'>;
export type GuidedResult = DiffusionResult;

/** Regional guidance and/or image-to-image (text-to-image when the request asks for neither). */
export const guidedGenerate = variant<GuidedRequest>({ pin: null });

/** Image-to-image (optionally regional) as the pipeline's public name. */
export const imageToImage = guidedGenerate;
