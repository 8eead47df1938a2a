/**
 * Latent Consistency Model scheduler (Luo et al. 2023), mirroring diffusers' LCMScheduler.
 *
 * Timesteps: the distillation schedule t_j = j*k - 1 (k = numTrainTimesteps / originalInferenceSteps,
 * j = 1..originalInferenceSteps), reversed, then numInferenceSteps of them picked at evenly spaced
 * indices ("skipping"). Each step:
 *
 *   x0       = (sample - sqrt(1 - alphaBar_t) * eps) / sqrt(alphaBar_t)      (epsilon)
 *   denoised = c_out(t) * x0 + c_skip(t) * sample
 *   prev     = sqrt(alphaBar_prev) * denoised + sqrt(1 - alphaBar_prev) * noise   (not on the last step)
 *
 * with the boundary-condition scalings, s = t * timestepScaling and sigma_data = 0.5:
 *   c_skip = sigma_data^2 / (s^2 + sigma_data^2),  c_out = s / sqrt(s^2 + sigma_data^2).
 *
 * `predOriginalSample` is diffusers' `denoised`. The UNet input is not scaled (initNoiseSigma = 1).
 * Not supported: custom timesteps, strength (img2img schedule), clip_sample, thresholding.
 */
import { applyStep, resolveNoise, toStepCoefficients } from './affine';
import { alphasCumprod, betas, checkStepIndex, checkSteps, linspace } from './noise-schedule';
import {
  SchedulerError,
  type AddNoiseCoefficients,
  type BetaSchedule,
  type NoiseSource,
  type PredictionType,
  type Scheduler,
  type StepCoefficients,
  type StepOutput,
} from './types';

export interface LCMConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  predictionType: PredictionType;
  originalInferenceSteps: number;
  timestepScaling: number;
  /** Only matters if a step's previous timestep were negative, which the standard schedule never has. */
  setAlphaToOne: boolean;
}

export const LCM_DEFAULTS: LCMConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  originalInferenceSteps: 50,
  timestepScaling: 10,
  setAlphaToOne: true,
};

const SIGMA_DATA = 0.5;

export class LCMScheduler implements Scheduler {
  readonly className = 'LCMScheduler';
  readonly config: LCMConfig;
  readonly initNoiseSigma = 1;
  numInferenceSteps = 0;
  timesteps: Float32Array = new Float32Array(0);
  sigmas: Float32Array = new Float32Array(0);
  private readonly alphaBar: Float64Array;
  private readonly generator: NoiseSource | undefined;

  constructor(config: Partial<LCMConfig> = {}, generator?: NoiseSource) {
    this.config = { ...LCM_DEFAULTS, ...config };
    const c = this.config;
    this.alphaBar = alphasCumprod(betas(c.betaSchedule, c.betaStart, c.betaEnd, c.numTrainTimesteps));
    this.generator = generator;
  }

  setTimesteps(numInferenceSteps: number): void {
    const { numTrainTimesteps, originalInferenceSteps: original } = this.config;
    if (!Number.isInteger(original) || original < 1 || original > numTrainTimesteps) {
      throw new SchedulerError(
        `LCM original_inference_steps must be a whole number from 1 to ${numTrainTimesteps}, got ${original}`,
      );
    }
    checkSteps(numInferenceSteps, original);
    const k = Math.floor(numTrainTimesteps / original);
    const origin = Array.from({ length: original }, (_, j) => (original - j) * k - 1);
    const picks = linspace(0, original, numInferenceSteps + 1).slice(0, numInferenceSteps);
    this.timesteps = Float32Array.from(picks, (x) => origin[Math.floor(x)] ?? 0);
    this.sigmas = new Float32Array(numInferenceSteps + 1);
    this.timesteps.forEach((t, i) => {
      const a = this.alphaBar[t] ?? 1;
      this.sigmas[i] = Math.sqrt((1 - a) / a);
    });
    this.numInferenceSteps = numInferenceSteps;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    return sample.slice();
  }

  stepCoefficients(stepIndex: number): StepCoefficients {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    const t = this.timesteps[stepIndex] ?? 0;
    const last = stepIndex === this.numInferenceSteps - 1;
    const prevT = last ? t : (this.timesteps[stepIndex + 1] ?? 0);
    const alphaT = this.alphaBar[t] ?? 1;
    const alphaPrev =
      prevT >= 0 ? (this.alphaBar[prevT] ?? 1) : this.config.setAlphaToOne ? 1 : (this.alphaBar[0] ?? 1);

    const s = t * this.config.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (s * s + SIGMA_DATA ** 2);
    const cOut = s / Math.sqrt(s * s + SIGMA_DATA ** 2);

    // x0 = p * sample + q * modelOutput
    let p = 1 / Math.sqrt(alphaT);
    let q = -Math.sqrt(1 - alphaT) / Math.sqrt(alphaT);
    if (this.config.predictionType === 'v_prediction') {
      p = Math.sqrt(alphaT);
      q = -Math.sqrt(1 - alphaT);
    } else if (this.config.predictionType === 'sample') {
      p = 0;
      q = 1;
    }
    // denoised = cOut * x0 + cSkip * sample; the last step returns it, others re-noise to prevT.
    const dSample = cOut * p + cSkip;
    const dModel = cOut * q;
    const keep = last ? 1 : Math.sqrt(alphaPrev);
    return toStepCoefficients(stepIndex, t, {
      inputScale: 1,
      a: keep * dSample,
      b: keep * dModel,
      c: last ? 0 : Math.sqrt(1 - alphaPrev),
      x0FromSample: dSample,
      x0FromModelOutput: dModel,
    });
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): StepOutput {
    const k = this.stepCoefficients(stepIndex);
    return applyStep(
      k,
      modelOutput,
      sample,
      resolveNoise(k, sample.length, noise, this.generator, this.className),
    );
  }

  /** Image-to-image start, DDPM forward process: sqrt(alphaBar_t) * x + sqrt(1 - alphaBar_t) * noise. */
  addNoiseCoefficients(stepIndex: number): AddNoiseCoefficients {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    const a = this.alphaBar[this.timesteps[stepIndex] ?? 0] ?? 1;
    return { signal: Math.sqrt(a), noise: Math.sqrt(1 - a) };
  }
}
