/**
 * Euler scheduler (Karras et al. 2022, Algorithm 2 without churn), mirroring diffusers'
 * EulerDiscreteScheduler: sigmas interpolated on the training schedule at the spaced timesteps,
 * the UNet input divided by sqrt(sigma^2 + 1), and one Euler step of the probability-flow ODE:
 *
 *   x0   = sample - sigma * eps                       (epsilon; v and sample below)
 *   prev = sample + (sample - x0) / sigma * (sigmaNext - sigma)
 *
 * Not supported (the factory rejects them): Karras/exponential/beta sigmas, log-linear
 * interpolation, zero-terminal-SNR rescaling, trained betas, s_churn.
 */
import { applyStep, scaleBy, toStepCoefficients, type AffineStep } from './affine';
import {
  alphasCumprod,
  betas,
  checkStepIndex,
  checkSteps,
  interpAtIndex,
  spacedTimesteps,
  trainingSigmas,
} from './noise-schedule';
import type {
  AddNoiseCoefficients,
  BetaSchedule,
  PredictionType,
  Scheduler,
  StepCoefficients,
  StepOutput,
  TimestepSpacing,
} from './types';

export interface EulerDiscreteConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  predictionType: PredictionType;
  timestepSpacing: TimestepSpacing;
  stepsOffset: number;
  timestepType: 'discrete' | 'continuous';
  finalSigmasType: 'zero' | 'sigma_min';
}

/** The Stable Diffusion 1.x/2.x family's values (diffusers' class defaults are the DDPM ones). */
export const EULER_DISCRETE_DEFAULTS: EulerDiscreteConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  timestepSpacing: 'linspace',
  stepsOffset: 0,
  timestepType: 'discrete',
  finalSigmasType: 'zero',
};

/**
 * One Euler step from sigma towards sigmaTarget, written as scalars. `c` is the noise weight
 * (0 for the deterministic sampler, sigma_up for the ancestral one).
 */
export function eulerAffine(
  sigma: number,
  sigmaTarget: number,
  predictionType: PredictionType,
  c: number,
): AffineStep {
  const inputScale = 1 / Math.sqrt(sigma * sigma + 1);
  // x0 = x0FromSample * sample + x0FromModelOutput * modelOutput
  let x0FromSample = 1;
  let x0FromModelOutput = -sigma;
  if (predictionType === 'v_prediction') {
    x0FromSample = 1 / (sigma * sigma + 1);
    x0FromModelOutput = -sigma * inputScale;
  } else if (predictionType === 'sample') {
    x0FromSample = 0;
    x0FromModelOutput = 1;
  }
  // prev = sample + (sample - x0) * dt / sigma
  const ratio = (sigmaTarget - sigma) / sigma;
  return {
    inputScale,
    a: 1 + ratio * (1 - x0FromSample),
    b: -ratio * x0FromModelOutput,
    c,
    x0FromSample,
    x0FromModelOutput,
  };
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly className: string = 'EulerDiscreteScheduler';
  readonly config: EulerDiscreteConfig;
  numInferenceSteps = 0;
  timesteps: Float32Array = new Float32Array(0);
  sigmas: Float32Array = new Float32Array(0);
  /** The training schedule's sigmas, indexed by timestep (float32, as diffusers keeps them). */
  protected readonly trainSigmas: Float32Array;

  constructor(config: Partial<EulerDiscreteConfig> = {}) {
    this.config = { ...EULER_DISCRETE_DEFAULTS, ...config };
    const c = this.config;
    this.trainSigmas = trainingSigmas(
      alphasCumprod(betas(c.betaSchedule, c.betaStart, c.betaEnd, c.numTrainTimesteps)),
    );
  }

  get initNoiseSigma(): number {
    const max = this.sigmas.reduce((m, s) => Math.max(m, s), 0);
    return this.config.timestepSpacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  setTimesteps(numInferenceSteps: number): void {
    const c = this.config;
    checkSteps(numInferenceSteps, c.numTrainTimesteps);
    const timesteps = spacedTimesteps(
      c.timestepSpacing,
      c.numTrainTimesteps,
      numInferenceSteps,
      c.stepsOffset,
    );
    const sigmas = new Float32Array(numInferenceSteps + 1);
    timesteps.forEach((t, i) => (sigmas[i] = interpAtIndex(t, this.trainSigmas)));
    sigmas[numInferenceSteps] = c.finalSigmasType === 'sigma_min' ? (this.trainSigmas[0] ?? 0) : 0;
    if (c.timestepType === 'continuous' && c.predictionType === 'v_prediction') {
      // Continuous-time v models take c_noise = ln(sigma) / 4 instead of a discrete timestep.
      timesteps.forEach((_, i) => (timesteps[i] = 0.25 * Math.log(sigmas[i] ?? 1)));
    }
    this.numInferenceSteps = numInferenceSteps;
    this.timesteps = timesteps;
    this.sigmas = sigmas;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    return scaleBy(sample, this.stepCoefficients(stepIndex).inputScale);
  }

  stepCoefficients(stepIndex: number): StepCoefficients {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    const sigma = this.sigmas[stepIndex] ?? 0;
    const sigmaNext = this.sigmas[stepIndex + 1] ?? 0;
    const timestep = this.timesteps[stepIndex] ?? 0;
    return toStepCoefficients(
      stepIndex,
      timestep,
      eulerAffine(sigma, sigmaNext, this.config.predictionType, 0),
    );
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepOutput {
    return applyStep(this.stepCoefficients(stepIndex), modelOutput, sample, undefined);
  }

  /** Image-to-image start: latents = original + sigma * noise (diffusers' add_noise). */
  addNoiseCoefficients(stepIndex: number): AddNoiseCoefficients {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    return { signal: 1, noise: this.sigmas[stepIndex] ?? 0 };
  }
}
