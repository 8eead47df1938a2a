/**
 * Build a scheduler from a diffusers scheduler_config.json object. Keys are read with diffusers'
 * names; a key that is absent takes the diffusers class default (as `from_config` does), keys we
 * do not use are ignored, and options we do not implement are refused with a sentence rather than
 * silently changing the schedule.
 */
import { EulerAncestralDiscreteScheduler } from './euler-ancestral';
import { EulerDiscreteScheduler } from './euler-discrete';
import { LCMScheduler } from './lcm';
import { SchedulerError, type NoiseSource, type Scheduler } from './types';

export * from './types';
export { EulerDiscreteScheduler, EULER_DISCRETE_DEFAULTS, type EulerDiscreteConfig } from './euler-discrete';
export { EulerAncestralDiscreteScheduler, type EulerAncestralConfig } from './euler-ancestral';
export { LCMScheduler, LCM_DEFAULTS, type LCMConfig } from './lcm';
export {
  createSdTurboScheduler,
  SD_TURBO_GUIDANCE_SCALE,
  SD_TURBO_MAX_STEPS,
  SD_TURBO_SCHEDULER_CONFIG,
} from './sd-turbo';
export { GaussianGenerator, randn, Xoshiro128 } from './random';

export const SUPPORTED_SCHEDULERS = [
  'EulerDiscreteScheduler',
  'EulerAncestralDiscreteScheduler',
  'LCMScheduler',
] as const;
export type SupportedScheduler = (typeof SUPPORTED_SCHEDULERS)[number];

/** The keys of scheduler_config.json we read; anything else is ignored. */
export interface SchedulerConfigJson {
  _class_name: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  prediction_type?: string;
  timestep_spacing?: string;
  steps_offset?: number;
  timestep_type?: string;
  interpolation_type?: string;
  final_sigmas_type?: string;
  use_karras_sigmas?: boolean | null;
  use_exponential_sigmas?: boolean | null;
  use_beta_sigmas?: boolean | null;
  rescale_betas_zero_snr?: boolean;
  trained_betas?: number[] | null;
  original_inference_steps?: number;
  timestep_scaling?: number;
  clip_sample?: boolean;
  thresholding?: boolean;
  set_alpha_to_one?: boolean;
  [key: string]: unknown;
}

export interface CreateSchedulerOptions {
  /** Seeded noise for the stochastic schedulers (EulerAncestral, LCM). */
  generator?: NoiseSource;
}

const fail = (message: string): never => {
  throw new SchedulerError(message);
};

/** Reads keys of one config with diffusers' defaults, failing with a sentence on a bad value. */
class ConfigReader {
  constructor(private readonly json: Record<string, unknown>) {}

  number(key: string, fallback: number, check: (v: number) => boolean = Number.isFinite): number {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !check(v))
      fail(`Scheduler option ${key} must be a valid number, got ${show(v)}`);
    return v as number;
  }

  oneOf<T extends string>(
    key: string,
    fallback: T,
    allowed: readonly T[],
    unsupported: readonly string[] = [],
  ): T {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string' && unsupported.includes(v)) {
      fail(`Scheduler option ${key} = '${v}' is not supported; supported: ${allowed.join(', ')}`);
    }
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(`Scheduler option ${key} must be one of ${allowed.join(', ')}, got ${show(v)}`);
    }
    return v as T;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') fail(`Scheduler option ${key} must be true or false, got ${show(v)}`);
    return v as boolean;
  }

  /** Options we do not implement: accepted only when off. */
  mustBeOff(key: string, why: string): void {
    const v = this.json[key];
    if (v === undefined || v === null || v === false) return;
    if (Array.isArray(v) || v === true)
      fail(
        `Scheduler option ${key} is not supported (${why}); remove it or set it to ${Array.isArray(v) ? 'null' : 'false'}`,
      );
    fail(`Scheduler option ${key} must be true or false, got ${show(v)}`);
  }
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
}

const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
const BETA_SCHEDULES = ['linear', 'scaled_linear'] as const;
const SPACINGS = ['linspace', 'leading', 'trailing'] as const;
const TIMESTEP_TYPES = ['discrete', 'continuous'] as const;
const FINAL_SIGMAS = ['zero', 'sigma_min'] as const;

const isWhole = (v: number): boolean => Number.isInteger(v) && v >= 0;
const isPositiveWhole = (v: number): boolean => Number.isInteger(v) && v >= 1;
const isProbability = (v: number): boolean => v > 0 && v < 1;

export function createScheduler(
  config: SchedulerConfigJson | Record<string, unknown>,
  options: CreateSchedulerOptions = {},
): Scheduler {
  const supported = SUPPORTED_SCHEDULERS.join(', ');
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    fail(`Scheduler config must be an object with a _class_name; supported: ${supported}`);
  }
  const name = config._class_name;
  if (typeof name !== 'string' || name === '') {
    fail(`Scheduler config has no _class_name; supported: ${supported}`);
  }
  if (!(SUPPORTED_SCHEDULERS as readonly string[]).includes(name as string)) {
    fail(`Scheduler '${String(name)}' is not supported; supported: ${supported}`);
  }
  const read = new ConfigReader(config);
  read.mustBeOff('trained_betas', 'explicit betas are not implemented');
  read.mustBeOff('rescale_betas_zero_snr', 'zero-terminal-SNR rescaling is not implemented');
  const common = {
    numTrainTimesteps: read.number('num_train_timesteps', 1000, isPositiveWhole),
    predictionType: read.oneOf('prediction_type', 'epsilon', PREDICTION_TYPES),
  };

  if (name === 'LCMScheduler') {
    read.mustBeOff('clip_sample', 'clipping x0 is not implemented');
    read.mustBeOff('thresholding', 'dynamic thresholding is not implemented');
    return new LCMScheduler(
      {
        ...common,
        betaStart: read.number('beta_start', 0.00085, isProbability),
        betaEnd: read.number('beta_end', 0.012, isProbability),
        betaSchedule: read.oneOf('beta_schedule', 'scaled_linear', BETA_SCHEDULES, ['squaredcos_cap_v2']),
        originalInferenceSteps: read.number('original_inference_steps', 50, isPositiveWhole),
        timestepScaling: read.number('timestep_scaling', 10),
        setAlphaToOne: read.bool('set_alpha_to_one', true),
      },
      options.generator,
    );
  }

  read.mustBeOff('use_karras_sigmas', 'Karras sigmas are not implemented');
  read.mustBeOff('use_exponential_sigmas', 'exponential sigmas are not implemented');
  read.mustBeOff('use_beta_sigmas', 'beta sigmas are not implemented');
  read.oneOf('interpolation_type', 'linear', ['linear'], ['log_linear']);
  const euler = {
    ...common,
    betaStart: read.number('beta_start', 0.0001, isProbability),
    betaEnd: read.number('beta_end', 0.02, isProbability),
    betaSchedule: read.oneOf('beta_schedule', 'linear', BETA_SCHEDULES, ['squaredcos_cap_v2']),
    timestepSpacing: read.oneOf('timestep_spacing', 'linspace', SPACINGS),
    stepsOffset: read.number('steps_offset', 0, isWhole),
  };
  if (name === 'EulerAncestralDiscreteScheduler') {
    if (euler.predictionType === 'sample') {
      fail(
        "Scheduler option prediction_type = 'sample' is not supported by EulerAncestralDiscreteScheduler; supported: epsilon, v_prediction",
      );
    }
    return new EulerAncestralDiscreteScheduler(euler, options.generator);
  }
  return new EulerDiscreteScheduler({
    ...euler,
    timestepType: read.oneOf('timestep_type', 'discrete', TIMESTEP_TYPES),
    finalSigmasType: read.oneOf('final_sigmas_type', 'zero', FINAL_SIGMAS),
  });
}
