/**
 * SD-Turbo's one-to-four-step path: a configuration of EulerDiscreteScheduler, nothing more.
 *
 * The model card's recipe is guidance 0 (one UNet pass, no unconditional batch) and the Euler
 * scheduler with 'trailing' spacing, so 1 step is timestep 999, 2 steps 999, 499, 4 steps
 * 999, 749, 499, 249 (trailing ignores steps_offset).
 *
 * Reconciling the onnxruntime-web SD-Turbo demo (js/sd-turbo in onnxruntime-inference-examples),
 * which hard-codes one step:
 *   - it draws latents = randn * 14.6146 — that constant is sigma at t = 999 on this schedule
 *     (sigmas[0] = initNoiseSigma here, 14.61464 before rounding);
 *   - it feeds the UNet latents / sqrt(sigma^2 + 1) with timestep 999 — our scaleModelInput and
 *     timesteps[0];
 *   - its step computes x0 = sample - sigma * eps, derivative = eps, dt = 0 - sigma, i.e.
 *     prev = sample - sigma * eps — exactly our step 0 of 1 (a = 1, b = -sigma, prev = x0),
 *     because the final sigma is 0;
 *   - it then divides by 0.18215. That is the VAE's scaling_factor, undone before decoding; it
 *     belongs to the decode stage of the pipeline, not to the scheduler, and is not applied here.
 * So the demo is the 1-step special case of this configuration, with sigma rounded to 4 decimals.
 */
import { EulerDiscreteScheduler, type EulerDiscreteConfig } from './euler-discrete';
import { SchedulerError } from './types';

/** The values of stabilityai/sd-turbo's scheduler/scheduler_config.json that matter to us. */
export const SD_TURBO_SCHEDULER_CONFIG: EulerDiscreteConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  timestepSpacing: 'trailing',
  stepsOffset: 1,
  timestepType: 'discrete',
  finalSigmasType: 'zero',
};

/** SD-Turbo was distilled without classifier-free guidance. */
export const SD_TURBO_GUIDANCE_SCALE = 0;
export const SD_TURBO_MAX_STEPS = 4;

export function createSdTurboScheduler(numInferenceSteps = 1): EulerDiscreteScheduler {
  if (
    !Number.isInteger(numInferenceSteps) ||
    numInferenceSteps < 1 ||
    numInferenceSteps > SD_TURBO_MAX_STEPS
  ) {
    throw new SchedulerError(
      `SD-Turbo runs 1 to ${SD_TURBO_MAX_STEPS} inference steps, got ${numInferenceSteps}`,
    );
  }
  const scheduler = new EulerDiscreteScheduler(SD_TURBO_SCHEDULER_CONFIG);
  scheduler.setTimesteps(numInferenceSteps);
  return scheduler;
}
