/**
 * Euler ancestral sampler (k-diffusion's sample_euler_ancestral, eta = 1), mirroring diffusers'
 * EulerAncestralDiscreteScheduler. Same schedule as Euler; each step goes deterministically down
 * to sigma_down and then adds fresh noise of size sigma_up, where
 *
 *   sigma_up   = sqrt(sigmaNext^2 * (sigma^2 - sigmaNext^2) / sigma^2)
 *   sigma_down = sqrt(sigmaNext^2 - sigma_up^2)
 *
 * The noise comes from the caller or from the seeded source injected at construction, so a run is
 * reproduced from its seed.
 */
import { applyStep, resolveNoise, toStepCoefficients } from './affine';
import { EulerDiscreteScheduler, eulerAffine, type EulerDiscreteConfig } from './euler-discrete';
import { checkStepIndex } from './noise-schedule';
import { SchedulerError, type NoiseSource, type StepCoefficients, type StepOutput } from './types';

export type EulerAncestralConfig = Omit<EulerDiscreteConfig, 'timestepType' | 'finalSigmasType'>;

export class EulerAncestralDiscreteScheduler extends EulerDiscreteScheduler {
  override readonly className: string = 'EulerAncestralDiscreteScheduler';
  private readonly generator: NoiseSource | undefined;

  constructor(config: Partial<EulerAncestralConfig> = {}, generator?: NoiseSource) {
    super({ ...config, timestepType: 'discrete', finalSigmasType: 'zero' });
    if (this.config.predictionType === 'sample') {
      throw new SchedulerError(
        "EulerAncestralDiscreteScheduler does not support prediction type 'sample'; supported: epsilon, v_prediction",
      );
    }
    this.generator = generator;
  }

  override stepCoefficients(stepIndex: number): StepCoefficients {
    checkStepIndex(stepIndex, this.numInferenceSteps);
    const sigma = this.sigmas[stepIndex] ?? 0;
    const sigmaNext = this.sigmas[stepIndex + 1] ?? 0;
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(Math.max(0, sigmaNext ** 2 - sigmaUp ** 2));
    const timestep = this.timesteps[stepIndex] ?? 0;
    return toStepCoefficients(
      stepIndex,
      timestep,
      eulerAffine(sigma, sigmaDown, this.config.predictionType, sigmaUp),
    );
  }

  override step(
    modelOutput: Float32Array,
    stepIndex: number,
    sample: Float32Array,
    noise?: Float32Array,
  ): StepOutput {
    const k = this.stepCoefficients(stepIndex);
    return applyStep(
      k,
      modelOutput,
      sample,
      resolveNoise(k, sample.length, noise, this.generator, this.className),
    );
  }
}
