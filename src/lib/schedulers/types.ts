/**
 * What every scheduler offers the pipeline. Names mirror diffusers (`setTimesteps`, `scaleModelInput`,
 * `step`, `initNoiseSigma`, `prevSample`) so our code can be read beside the reference.
 *
 * Unlike diffusers, `step` and `scaleModelInput` take the step *index*, not the timestep value:
 * looking a timestep up in the schedule is ambiguous when a schedule repeats a value, and the
 * engine always knows the index.
 */

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';
export type BetaSchedule = 'linear' | 'scaled_linear';

export interface StepOutput {
  /** x_{t-1}: the latents for the next step (or the final latents after the last one). */
  prevSample: Float32Array;
  /** The model's estimate of the clean latents (for LCM this is diffusers' `denoised`). */
  predOriginalSample: Float32Array;
}

/**
 * One denoising step reduced to scalars, so an engine can keep latents on the GPU and run the
 * arithmetic as a small ONNX helper graph whose only per-step inputs are these numbers:
 *
 *   modelInput         = inputScale * sample                       (what the UNet receives)
 *   predOriginalSample = x0FromSample * sample + x0FromModelOutput * modelOutput
 *   prevSample         = a * sample + b * modelOutput + c * noise
 *
 * `sample` is the unscaled latent (the one passed to `step`, not the UNet input) and `modelOutput`
 * is the UNet output after classifier-free guidance has been applied. Every scheduler we support
 * is affine in (sample, modelOutput, noise) with step-dependent scalars; options that are not
 * (clip_sample, thresholding) are rejected by the factory.
 *
 * All scalars are already rounded to float32, exactly the values a GPU graph would receive, and
 * `step` itself is computed from them: the CPU path and the helper graph share one definition.
 */
export interface StepCoefficients {
  stepIndex: number;
  /** The value to feed the UNet's `timestep` input. */
  timestep: number;
  inputScale: number;
  a: number;
  b: number;
  c: number;
  x0FromSample: number;
  x0FromModelOutput: number;
  /** False when c is 0: the step is deterministic and needs no noise tensor. */
  needsNoise: boolean;
}

/** For image-to-image: noisy = signal * original + noise * noise, at a given step index. */
export interface AddNoiseCoefficients {
  signal: number;
  noise: number;
}

/** A seeded stream of standard-normal numbers (see random.ts). */
export interface NoiseSource {
  randn(length: number): Float32Array;
}

export interface Scheduler {
  /** The diffusers class this mirrors, e.g. 'EulerDiscreteScheduler'. */
  readonly className: string;
  readonly numInferenceSteps: number;
  /** One per inference step, in the order they are run. Empty until `setTimesteps`. */
  readonly timesteps: Float32Array;
  /**
   * Noise level per step, then the final level (length numInferenceSteps + 1). For LCM these are the
   * equivalent sigmas sqrt((1 - alphaBar) / alphaBar) and are informational only.
   */
  readonly sigmas: Float32Array;
  /** Multiply standard-normal noise by this to get the initial latents. */
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** `noise` is used only by stochastic steps; when omitted the scheduler draws from its injected source. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): StepOutput;
  stepCoefficients(stepIndex: number): StepCoefficients;
  addNoiseCoefficients(stepIndex: number): AddNoiseCoefficients;
}

/**
 * Schedulers may import nothing, so this mirrors the shape of the domain's StoryLoomError
 * (name, code 'invalid-input', a sentence) and `userMessage` shows it as is.
 */
export class SchedulerError extends Error {
  readonly code = 'invalid-input' as const;
  constructor(message: string) {
    super(message);
    this.name = 'StoryLoomError';
  }
}
