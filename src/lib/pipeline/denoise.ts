/**
 * Stage 5, the one denoise loop of every pipeline. What differs between pipelines comes in as
 * small blocks, the way diffusers' inpainting swaps only the block after each step:
 *  - a NoisePredictor: one UNet call (`unetPredictor`) or the regional batch with feathered masks
 *    (regional.ts), wrapped by `withGuidance` for classifier-free guidance;
 *  - an AfterStep block: nothing, or `pinOutsideMask` (the masked edit keeps the latents outside
 *    its mask on the re-noised original);
 *  - the step hook (PipelineContext.onStep), told about the end of every step.
 * Per step: abort check, scale the input, predict, optional preview, scheduler step on the device
 * (helper graphs fed with `stepCoefficients`), after-step block, progress event, step hook.
 * Latents are never read back.
 */
import type { Scheduler } from '../schedulers';
import { decoderContract, type PackComponent, type UnetContract } from './contracts';
import { toRgba } from './image';
import { checkAbort, single, type PipelineContext, type Scope, type StepHook } from './stages';
import type { EngineProgress, EngineRuntime, EngineSession, EngineTensor, StepPreview } from './types';

/** How the noise is predicted at one step. */
export interface NoisePredictor {
  /** The block's name, reported with the result (`unet`, `regional-batched`, …). */
  readonly name: string;
  predict(modelInput: EngineTensor, timestep: number): Promise<EngineTensor>;
}

/** What happens to the latents after each scheduler step; returns the latents to carry on with. */
export interface AfterStep {
  readonly name: string;
  /** `stepIndex` is the schedule index of the step just taken. */
  apply(latents: EngineTensor, stepIndex: number): Promise<EngineTensor>;
}

/** The preview decoder for `preview: 'decoder'` (else the linear latent-to-RGB helper runs). */
export interface PreviewDecoder {
  session: EngineSession;
  pc: PackComponent;
}

export interface DenoiseInput {
  scheduler: Scheduler;
  /** Draws the noise of stochastic steps, after the stages before drew theirs. */
  generator: { randn(n: number): Float32Array };
  latents: EngineTensor;
  shape: readonly number[];
  startStep: number;
  predictor: NoisePredictor;
  afterStep: AfterStep | null;
  /** null: no preview; else the decoder (or null for the latent-to-RGB approximation). */
  preview: { decoder: PreviewDecoder | null } | null;
  signal: AbortSignal | undefined;
  onProgress: ((e: EngineProgress) => void) | undefined;
}

export async function denoise(
  ctx: PipelineContext,
  scope: Scope,
  input: DenoiseInput,
): Promise<EngineTensor> {
  const { runtime, ops } = ctx;
  const { scheduler, generator, shape, startStep, predictor, afterStep, signal, onProgress } = input;
  const total = scheduler.timesteps.length;
  const stepsRun = total - startStep;
  const count = shape.reduce((a, b) => a * b, 1);
  let latents = input.latents;
  for (let i = startStep; i < total; i++) {
    checkAbort(signal, `after step ${i - startStep} of ${stepsRun}`);
    const k = scheduler.stepCoefficients(i);
    const modelInput = scope.own(await ops.scale(latents, k.inputScale));
    const eps = await predictor.predict(modelInput, k.timestep);
    scope.drop(modelInput);
    const preview = input.preview
      ? await stepPreview(ctx, scope, latents, eps, k, input.preview.decoder)
      : null;
    let next: EngineTensor;
    if (k.needsNoise) {
      const z = scope.own(runtime.tensor('float32', generator.randn(count), shape));
      next = scope.own(await ops.affine3(latents, eps, z, k.a, k.b, k.c));
      scope.drop(z);
    } else next = scope.own(await ops.affine2(latents, eps, k.a, k.b));
    scope.drop(eps);
    scope.drop(latents);
    latents = next;
    if (afterStep) {
      const after = await afterStep.apply(latents, i);
      if (after !== latents) scope.drop(latents);
      latents = after;
    }
    const step = i - startStep + 1;
    onProgress?.({ status: 'step', step, total: stepsRun, preview });
    await ctx.onStep?.({ step, total: stepsRun, timestep: k.timestep, signal });
  }
  checkAbort(signal, `after step ${stepsRun} of ${stepsRun}`);
  return latents;
}

// ───────────────────────────── noise predictors ─────────────────────────────

export function timestepTensor(runtime: EngineRuntime, unet: UnetContract, timestep: number): EngineTensor {
  const dims = unet.timestepRank === 0 ? [] : [1];
  if (unet.timestepType === 'float32') return runtime.tensor('float32', Float32Array.of(timestep), dims);
  const whole = Math.round(timestep);
  if (unet.timestepType === 'int32') return runtime.tensor('int32', Int32Array.of(whole), dims);
  return runtime.tensor('int64', BigInt64Array.of(BigInt(whole)), dims);
}

/** One UNet call (a single item or a batch), returning the noise prediction. */
export async function runUnet(
  ctx: PipelineContext,
  scope: Scope,
  unet: UnetContract,
  session: EngineSession,
  sample: EngineTensor,
  timestep: number,
  states: EngineTensor,
): Promise<EngineTensor> {
  const ts = timestepTensor(ctx.runtime, unet, timestep);
  try {
    const out = await session.run({
      [unet.sampleName]: sample,
      [unet.timestepName]: ts,
      [unet.statesName]: states,
    });
    return scope.own(single(out, unet.outputName, session, unet.outputName));
  } finally {
    ts.dispose();
  }
}

/** The UNet conditioned on one state. */
export function unetPredictor(
  ctx: PipelineContext,
  scope: Scope,
  unet: UnetContract,
  session: EngineSession,
  states: EngineTensor,
): NoisePredictor {
  return {
    name: 'unet',
    predict: (modelInput, timestep) => runUnet(ctx, scope, unet, session, modelInput, timestep, states),
  };
}

/**
 * Classifier-free guidance around any conditional predictor: u + g·(c − u). A regional blend
 * shares the one unconditional prediction: since its weights sum to 1,
 * blend(u + g(cᵢ − u)) = u + g(blend(c) − u).
 */
export function withGuidance(
  ctx: PipelineContext,
  scope: Scope,
  conditional: NoisePredictor,
  unconditional: NoisePredictor | null,
  guidanceScale: number,
): NoisePredictor {
  if (!unconditional) return conditional;
  return {
    name: `${conditional.name}+cfg`,
    async predict(modelInput, timestep) {
      const cond = await conditional.predict(modelInput, timestep);
      const uncond = await unconditional.predict(modelInput, timestep);
      const guided = scope.own(await ctx.ops.cfg(uncond, cond, guidanceScale));
      scope.drop(uncond);
      scope.drop(cond);
      return guided;
    },
  };
}

// ───────────────────────────── after-step blocks ─────────────────────────────

/**
 * The masked edit's block: outside the latent mask the latents become the original's again, at
 * the noise level the next step expects (none after the last step), so only masked cells change.
 */
export function pinOutsideMask(
  ctx: PipelineContext,
  scope: Scope,
  mask: EngineTensor,
  original: { latents: EngineTensor; noise: EngineTensor },
  scheduler: Scheduler,
): AfterStep {
  const total = scheduler.timesteps.length;
  return {
    name: 'pin-outside-mask',
    async apply(latents, stepIndex) {
      const level =
        stepIndex + 1 < total ? scheduler.addNoiseCoefficients(stepIndex + 1) : { signal: 1, noise: 0 };
      return scope.own(
        await ctx.ops.pin(latents, mask, original.latents, original.noise, level.signal, level.noise),
      );
    },
  };
}

// ───────────────────────────── step hooks and previews ─────────────────────────────

/** A step hook that waits `ms` after every step but the last (tests cancel the fast twins between steps). */
export function stepDelay(
  ms: number,
  sleep: (ms: number) => Promise<void> = (t) => new Promise((resolve) => setTimeout(resolve, t)),
): StepHook | null {
  if (!(ms > 0)) return null;
  return ({ step, total }) => (step < total ? sleep(ms) : undefined);
}

/** Hooks run one after another (the engine's installed hook first, then the caller's). */
export function chainHooks(...hooks: (StepHook | null | undefined)[]): StepHook | null {
  const list = hooks.filter((h): h is StepHook => !!h);
  if (list.length <= 1) return list[0] ?? null;
  return async (end) => {
    for (const h of list) await h(end);
  };
}

/** A small picture of the current estimate of the clean image (x0), read back for the UI. */
export async function stepPreview(
  ctx: PipelineContext,
  scope: Scope,
  latents: EngineTensor,
  eps: EngineTensor,
  k: ReturnType<Scheduler['stepCoefficients']>,
  decoder: PreviewDecoder | null,
): Promise<StepPreview> {
  const x0 = scope.own(await ctx.ops.affine2(latents, eps, k.x0FromSample, k.x0FromModelOutput));
  let rgb: EngineTensor;
  if (decoder) {
    const contract = decoderContract(decoder.pc.component);
    const input = scope.own(await ctx.ops.scale(x0, 1 / contract.scalingFactor));
    const out = await decoder.session.run({ [contract.inputName]: input });
    scope.drop(input);
    rgb = scope.own(single(out, contract.outputName, decoder.session, 'image'));
  } else {
    // The linear latent-to-RGB fit works on the model's own (scaled) latent space.
    rgb = scope.own(await ctx.ops.latentRgb(x0));
  }
  scope.drop(x0);
  const [, , h, w] = rgb.dims as [number, number, number, number];
  const data = await ctx.runtime.read(rgb, 'preview');
  scope.drop(rgb);
  return { width: w, height: h, rgba: toRgba(data, w, h) };
}
