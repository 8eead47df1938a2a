/**
 * Schedulers against golden values computed independently from the diffusers formulas by
 * tests/fixtures/schedulers/golden.py (Python, float64, float32 rounding where diffusers stores
 * float32). Tolerances, all float32-scale:
 *   - timesteps: exact (they are whole numbers or float32 values of the same expression);
 *   - sigmas and initNoiseSigma: relative 1e-6 (a few float32 ulps, ulp = 1.19e-7);
 *   - denoising loops: every element of the final sample within 1e-5 * (1 + |expected|), and
 *     resultSum / resultMeanAbs within 1e-5 relative (observed differences are ~1e-7: the TS step
 *     is the same affine map evaluated in another order, then rounded to float32 each step).
 */
import { describe, expect, it } from 'vitest';
import golden from '../fixtures/schedulers/golden.json';
import {
  createScheduler,
  createSdTurboScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  GaussianGenerator,
  LCMScheduler,
  SD_TURBO_SCHEDULER_CONFIG,
  type Scheduler,
  type StepCoefficients,
  type TimestepSpacing,
  type PredictionType,
} from '../../src/lib/schedulers';

const SIGMA_RTOL = 1e-6;
const LOOP_TOL = 1e-5;

interface GoldenLoop {
  scheduler: string;
  timestepSpacing?: string;
  stepsOffset?: number;
  predictionType: string;
  numInferenceSteps: number;
  noiseTable?: number;
  final: number[];
  resultSum: number;
  resultSumAbs: number;
  resultMeanAbs: number;
  firstPredOriginalSample: number[];
}

interface GoldenSchedule {
  scheduler: string;
  timestepSpacing?: string;
  stepsOffset?: number;
  numInferenceSteps: number;
  finalSigmasType?: string;
  timestepType?: string;
  predictionType?: string;
  timesteps: number[];
  sigmas: number[];
  initNoiseSigma: number;
}

const noiseTables = golden.noiseTables as Record<string, number[][]>;

function build(entry: {
  scheduler: string;
  timestepSpacing?: string;
  stepsOffset?: number;
  predictionType?: string;
  finalSigmasType?: string;
  timestepType?: string;
}): Scheduler {
  const predictionType = (entry.predictionType ?? 'epsilon') as PredictionType;
  if (entry.scheduler === 'lcm') return new LCMScheduler({ predictionType });
  const euler = {
    predictionType,
    timestepSpacing: entry.timestepSpacing as TimestepSpacing,
    stepsOffset: entry.stepsOffset ?? 0,
  };
  if (entry.scheduler === 'ancestral') return new EulerAncestralDiscreteScheduler(euler);
  return new EulerDiscreteScheduler({
    ...euler,
    finalSigmasType: (entry.finalSigmasType ?? 'zero') as 'zero' | 'sigma_min',
    timestepType: (entry.timestepType ?? 'discrete') as 'discrete' | 'continuous',
  });
}

const label = (e: {
  scheduler: string;
  timestepSpacing?: string;
  predictionType?: string;
  numInferenceSteps: number;
}) =>
  `${e.scheduler} ${e.timestepSpacing ?? ''} ${e.predictionType ?? 'epsilon'} ${e.numInferenceSteps} steps`;

function expectClose(actual: number, expected: number, rtol: number, what: string): void {
  const err = Math.abs(actual - expected);
  if (err > rtol * Math.max(1, Math.abs(expected))) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (|diff| ${err})`);
  }
}

/** The pipeline's loop with the golden dummy model. */
function runLoop(scheduler: Scheduler, entry: GoldenLoop): { final: Float32Array; firstX0: Float32Array } {
  scheduler.setTimesteps(entry.numInferenceSteps);
  let sample: Float32Array = Float32Array.from(golden.initialSample, (x) => x * scheduler.initNoiseSigma);
  let firstX0: Float32Array | undefined;
  const noise = entry.noiseTable ? noiseTables[String(entry.noiseTable)] : undefined;
  scheduler.timesteps.forEach((t, i) => {
    const modelInput = scheduler.scaleModelInput(sample, i);
    const modelOutput = modelInput.map((x) => 0.1 * x + (0.01 * t) / 1000);
    const stepNoise = noise?.[i] ? Float32Array.from(noise[i]) : undefined;
    const out = scheduler.step(modelOutput, i, sample, stepNoise);
    firstX0 ??= out.predOriginalSample;
    sample = out.prevSample;
  });
  return { final: sample, firstX0: firstX0 ?? new Float32Array(0) };
}

describe('schedules match diffusers (timesteps, sigmas, initNoiseSigma)', () => {
  for (const entry of golden.schedules as GoldenSchedule[]) {
    const extra = [entry.finalSigmasType, entry.timestepType].filter(Boolean).join(' ');
    it(`${label(entry)} ${extra}`, () => {
      const scheduler = build(entry);
      scheduler.setTimesteps(entry.numInferenceSteps);
      if (entry.timestepType === 'continuous') {
        entry.timesteps.forEach((t, i) =>
          expectClose(scheduler.timesteps[i] ?? NaN, t, SIGMA_RTOL, `timestep ${i}`),
        );
      } else {
        expect(Array.from(scheduler.timesteps)).toEqual(entry.timesteps);
      }
      expect(scheduler.sigmas.length).toBe(entry.sigmas.length);
      entry.sigmas.forEach((s, i) => expectClose(scheduler.sigmas[i] ?? NaN, s, SIGMA_RTOL, `sigma ${i}`));
      expectClose(scheduler.initNoiseSigma, entry.initNoiseSigma, SIGMA_RTOL, 'initNoiseSigma');
    });
  }

  it('pins the published anchors: sigma_max 14.6146 and LCM 4 steps 999, 759, 499, 259', () => {
    const euler = new EulerDiscreteScheduler({ timestepSpacing: 'trailing' });
    euler.setTimesteps(1);
    expect(euler.sigmas[0]).toBeCloseTo(14.6146, 4);
    const lcm = new LCMScheduler();
    lcm.setTimesteps(4);
    expect(Array.from(lcm.timesteps)).toEqual([999, 759, 499, 259]);
  });
});

describe('denoising loops match the golden result_sum / result_mean', () => {
  for (const entry of golden.loops as GoldenLoop[]) {
    it(label(entry), () => {
      const { final, firstX0 } = runLoop(build(entry), entry);
      expect(final.length).toBe(entry.final.length);
      entry.final.forEach((x, i) => expectClose(final[i] ?? NaN, x, LOOP_TOL, `final[${i}]`));
      entry.firstPredOriginalSample.forEach((x, i) =>
        expectClose(firstX0[i] ?? NaN, x, LOOP_TOL, `predOriginalSample[${i}]`),
      );
      const sum = final.reduce((a, x) => a + x, 0);
      const meanAbs = final.reduce((a, x) => a + Math.abs(x), 0) / final.length;
      expectClose(sum, entry.resultSum, LOOP_TOL, 'resultSum');
      expectClose(meanAbs, entry.resultMeanAbs, LOOP_TOL, 'resultMeanAbs');
    });
  }
});

describe('step coefficients', () => {
  const cases: Array<[string, () => Scheduler, number]> = [
    ['Euler epsilon', () => new EulerDiscreteScheduler(), 20],
    ['Euler v_prediction', () => new EulerDiscreteScheduler({ predictionType: 'v_prediction' }), 20],
    ['Euler sample', () => new EulerDiscreteScheduler({ predictionType: 'sample' }), 4],
    ['Euler ancestral', () => new EulerAncestralDiscreteScheduler({ timestepSpacing: 'trailing' }), 4],
    ['LCM epsilon', () => new LCMScheduler(), 4],
    ['LCM v_prediction', () => new LCMScheduler({ predictionType: 'v_prediction' }), 4],
  ];
  const n = 257;
  const sample = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.77) * 9);
  const modelOutput = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.31) * 1.1);
  const noise = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 2.03 + 1) * 1.4);

  /** What the ONNX helper graph computes: float32 scalars, float32 Mul/Add. */
  const f = Math.fround;
  const gpu = (k: StepCoefficients, i: number) =>
    f(f(f(k.a * (sample[i] ?? 0)) + f(k.b * (modelOutput[i] ?? 0))) + f(k.c * (noise[i] ?? 0)));

  for (const [name, make, steps] of cases) {
    it(`${name}: a*sample + b*modelOutput + c*noise reproduces step() exactly, and a float32 graph to 4 ulp`, () => {
      const scheduler = make();
      scheduler.setTimesteps(steps);
      for (let s = 0; s < steps; s++) {
        const k = scheduler.stepCoefficients(s);
        for (const v of [k.inputScale, k.a, k.b, k.c, k.x0FromSample, k.x0FromModelOutput]) {
          expect(Math.fround(v)).toBe(v);
        }
        expect(k.timestep).toBe(scheduler.timesteps[s]);
        const out = scheduler.step(modelOutput, s, sample, noise);
        const scaled = scheduler.scaleModelInput(sample, s);
        for (let i = 0; i < n; i++) {
          const x = sample[i] ?? 0;
          const m = modelOutput[i] ?? 0;
          const z = k.needsNoise ? (noise[i] ?? 0) : 0;
          expect(out.prevSample[i]).toBe(Math.fround(k.a * x + k.b * m + k.c * z));
          expect(out.predOriginalSample[i]).toBe(Math.fround(k.x0FromSample * x + k.x0FromModelOutput * m));
          expect(scaled[i]).toBe(Math.fround(k.inputScale * x));
          const ref = out.prevSample[i] ?? 0;
          const scale = Math.abs(k.a * x) + Math.abs(k.b * m) + Math.abs(k.c * z);
          expect(Math.abs(gpu(k, i) - ref)).toBeLessThanOrEqual(4 * 2 ** -23 * scale);
        }
      }
    });
  }

  it('marks deterministic steps as needing no noise and stochastic ones as needing it', () => {
    const euler = new EulerDiscreteScheduler();
    euler.setTimesteps(4);
    expect([0, 1, 2, 3].map((i) => euler.stepCoefficients(i).needsNoise)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const ancestral = new EulerAncestralDiscreteScheduler();
    ancestral.setTimesteps(4);
    expect([0, 1, 2, 3].map((i) => ancestral.stepCoefficients(i).needsNoise)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    const lcm = new LCMScheduler();
    lcm.setTimesteps(4);
    expect([0, 1, 2, 3].map((i) => lcm.stepCoefficients(i).needsNoise)).toEqual([true, true, true, false]);
  });

  it('gives the add-noise coefficients of diffusers add_noise', () => {
    const euler = new EulerDiscreteScheduler();
    euler.setTimesteps(4);
    expect(euler.addNoiseCoefficients(1)).toEqual({ signal: 1, noise: euler.sigmas[1] });
    const lcm = new LCMScheduler();
    lcm.setTimesteps(4);
    const { signal, noise: noiseScale } = lcm.addNoiseCoefficients(1);
    // sigma = noise / signal is the same noise level expressed the Euler way
    expect(noiseScale / signal).toBeCloseTo(lcm.sigmas[1] ?? NaN, 4);
    expect(signal ** 2 + noiseScale ** 2).toBeCloseTo(1, 12);
  });
});

describe('stochastic schedulers take noise from an injected seeded generator', () => {
  it('Euler ancestral: same seed, same result; the injected stream equals passing its draws', () => {
    const run = (seed: number) => {
      const scheduler = new EulerAncestralDiscreteScheduler({}, new GaussianGenerator(seed));
      scheduler.setTimesteps(4);
      let x: Float32Array = Float32Array.from(golden.initialSample);
      for (let i = 0; i < 4; i++)
        x = scheduler.step(
          x.map((v) => v * 0.1),
          i,
          x,
        ).prevSample;
      return x;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));

    const stream = new GaussianGenerator(7);
    const explicit = new EulerAncestralDiscreteScheduler();
    explicit.setTimesteps(4);
    let x: Float32Array = Float32Array.from(golden.initialSample);
    for (let i = 0; i < 4; i++) {
      const noise = explicit.stepCoefficients(i).needsNoise ? stream.randn(x.length) : undefined;
      x = explicit.step(
        x.map((v) => v * 0.1),
        i,
        x,
        noise,
      ).prevSample;
    }
    expect(x).toEqual(run(7));
  });

  it('says what to do when a stochastic step has no noise', () => {
    const lcm = new LCMScheduler();
    lcm.setTimesteps(2);
    const x = new Float32Array(4);
    expect(() => lcm.step(x, 0, x)).toThrow(
      'LCMScheduler step 0 adds noise: pass a noise tensor to step() or give the scheduler a seeded generator',
    );
    expect(() => lcm.step(x, 1, x)).not.toThrow();
  });
});

describe('SD-Turbo', () => {
  it('is Euler with trailing spacing: 1 step is timestep 999, 2 and 4 steps trailing', () => {
    expect(Array.from(createSdTurboScheduler(1).timesteps)).toEqual([999]);
    expect(Array.from(createSdTurboScheduler(2).timesteps)).toEqual([999, 499]);
    expect(Array.from(createSdTurboScheduler(4).timesteps)).toEqual([999, 749, 499, 249]);
    expect(createSdTurboScheduler(1)).toBeInstanceOf(EulerDiscreteScheduler);
  });

  it("reproduces the onnxruntime-web demo's one step (sigma 14.6146, prev = sample - sigma * eps)", () => {
    const scheduler = createSdTurboScheduler(1);
    const sigma = scheduler.sigmas[0] ?? NaN;
    expect(Math.abs(sigma - 14.6146)).toBeLessThan(5e-5);
    expect(scheduler.initNoiseSigma).toBe(sigma);
    const k = scheduler.stepCoefficients(0);
    expect(k).toMatchObject({ timestep: 999, a: 1, b: -sigma, c: 0 });
    expect(k.inputScale).toBe(Math.fround(1 / Math.sqrt(sigma ** 2 + 1)));
    const sample = Float32Array.from(golden.initialSample, (x) => x * sigma);
    const eps = Float32Array.from(golden.initialSample, (x) => x * 0.9 + 0.01);
    const out = scheduler.step(eps, 0, sample);
    sample.forEach((s, i) => {
      // the demo: x0 = s - sigma*eps; derivative = (s - x0)/sigma; prev = s + derivative*(0 - sigma)
      const x0 = s - sigma * (eps[i] ?? 0);
      const demo = s + ((s - x0) / sigma) * (0 - sigma);
      expect(Math.abs((out.prevSample[i] ?? NaN) - demo)).toBeLessThanOrEqual(
        2 ** -20 * (1 + Math.abs(demo)),
      );
      expect(out.prevSample[i]).toBe(out.predOriginalSample[i]);
    });
  });

  it('refuses step counts outside 1 to 4 with a sentence', () => {
    expect(() => createSdTurboScheduler(5)).toThrow('SD-Turbo runs 1 to 4 inference steps, got 5');
    expect(SD_TURBO_SCHEDULER_CONFIG.timestepSpacing).toBe('trailing');
  });
});

describe('createScheduler from scheduler_config.json', () => {
  const sdTurboJson = {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: '0.24.0.dev0',
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'trailing',
    timestep_type: 'discrete',
    trained_betas: null,
    use_karras_sigmas: false,
  };

  it('builds each supported class and ignores keys it does not use', () => {
    const euler = createScheduler(sdTurboJson);
    expect(euler.className).toBe('EulerDiscreteScheduler');
    euler.setTimesteps(4);
    const turbo = createSdTurboScheduler(4);
    expect(euler.sigmas).toEqual(turbo.sigmas);
    expect(euler.timesteps).toEqual(turbo.timesteps);

    const ancestral = createScheduler({ ...sdTurboJson, _class_name: 'EulerAncestralDiscreteScheduler' });
    expect(ancestral).toBeInstanceOf(EulerAncestralDiscreteScheduler);

    const lcm = createScheduler({
      _class_name: 'LCMScheduler',
      original_inference_steps: 50,
      timestep_scaling: 10,
    });
    lcm.setTimesteps(4);
    expect(Array.from(lcm.timesteps)).toEqual([999, 759, 499, 259]);
  });

  it("uses diffusers' class defaults for absent keys", () => {
    const euler = createScheduler({ _class_name: 'EulerDiscreteScheduler' }) as EulerDiscreteScheduler;
    expect(euler.config).toMatchObject({ betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 });
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    [
      'an unsupported class',
      { _class_name: 'DDIM' },
      "Scheduler 'DDIM' is not supported; supported: EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, LCMScheduler",
    ],
    [
      'no class name',
      { beta_start: 0.1 },
      'Scheduler config has no _class_name; supported: EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, LCMScheduler',
    ],
    [
      'Karras sigmas',
      { ...sdTurboJson, use_karras_sigmas: true },
      'Scheduler option use_karras_sigmas is not supported (Karras sigmas are not implemented); remove it or set it to false',
    ],
    [
      'an unknown spacing',
      { ...sdTurboJson, timestep_spacing: 'uniform' },
      "Scheduler option timestep_spacing must be one of linspace, leading, trailing, got 'uniform'",
    ],
    [
      'log-linear interpolation',
      { ...sdTurboJson, interpolation_type: 'log_linear' },
      "Scheduler option interpolation_type = 'log_linear' is not supported; supported: linear",
    ],
    [
      'a cosine beta schedule',
      { ...sdTurboJson, beta_schedule: 'squaredcos_cap_v2' },
      "Scheduler option beta_schedule = 'squaredcos_cap_v2' is not supported; supported: linear, scaled_linear",
    ],
    [
      'a beta that is not a number',
      { ...sdTurboJson, beta_start: '0.00085' },
      "Scheduler option beta_start must be a valid number, got '0.00085'",
    ],
    [
      'LCM with clipping',
      { _class_name: 'LCMScheduler', clip_sample: true },
      'Scheduler option clip_sample is not supported (clipping x0 is not implemented); remove it or set it to false',
    ],
    [
      'explicit betas',
      { ...sdTurboJson, trained_betas: [0.1, 0.2] },
      'Scheduler option trained_betas is not supported (explicit betas are not implemented); remove it or set it to null',
    ],
  ];
  for (const [what, config, sentence] of bad) {
    it(`refuses ${what} with a sentence`, () => {
      expect(() => createScheduler(config)).toThrow(sentence);
      try {
        createScheduler(config);
      } catch (e) {
        expect(e).toMatchObject({ name: 'StoryLoomError', code: 'invalid-input', message: sentence });
      }
    });
  }

  it('refuses bad step counts and indices with sentences', () => {
    const euler = new EulerDiscreteScheduler();
    expect(() => euler.stepCoefficients(0)).toThrow(
      'Call setTimesteps(numInferenceSteps) before running a step',
    );
    expect(() => euler.setTimesteps(0)).toThrow(
      'Number of inference steps must be a whole number from 1 to 1000, got 0',
    );
    euler.setTimesteps(4);
    expect(() => euler.step(new Float32Array(2), 4, new Float32Array(2))).toThrow(
      'Step index must be a whole number from 0 to 3, got 4',
    );
    expect(() => euler.step(new Float32Array(2), 0, new Float32Array(3))).toThrow(
      'Model output and sample must have the same length, got 2 and 3',
    );
    expect(() => new LCMScheduler().setTimesteps(51)).toThrow(
      'Number of inference steps must be a whole number from 1 to 50, got 51',
    );
  });
});
