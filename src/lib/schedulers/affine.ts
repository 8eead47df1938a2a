/**
 * Every supported step is affine in (sample, modelOutput, noise). This file turns exact float64
 * coefficients into the float32 scalars of `StepCoefficients` and applies them on the CPU, so the
 * CPU path and the GPU helper graph are one definition.
 */
import { SchedulerError, type NoiseSource, type StepCoefficients, type StepOutput } from './types';

/** The exact (float64) scalars of one step, before rounding. */
export interface AffineStep {
  inputScale: number;
  a: number;
  b: number;
  c: number;
  x0FromSample: number;
  x0FromModelOutput: number;
}

export function toStepCoefficients(stepIndex: number, timestep: number, exact: AffineStep): StepCoefficients {
  const c = Math.fround(exact.c);
  return {
    stepIndex,
    timestep,
    inputScale: Math.fround(exact.inputScale),
    a: Math.fround(exact.a),
    b: Math.fround(exact.b),
    c,
    x0FromSample: Math.fround(exact.x0FromSample),
    x0FromModelOutput: Math.fround(exact.x0FromModelOutput),
    needsNoise: c !== 0,
  };
}

export function scaleBy(sample: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) out[i] = scale * (sample[i] ?? 0);
  return out;
}

/**
 * prevSample = a*sample + b*modelOutput + c*noise, predOriginalSample likewise; each element is
 * evaluated in float64 from the float32 scalars and rounded once on store.
 */
export function applyStep(
  k: StepCoefficients,
  modelOutput: Float32Array,
  sample: Float32Array,
  noise: Float32Array | undefined,
): StepOutput {
  const n = sample.length;
  if (modelOutput.length !== n) {
    throw new SchedulerError(
      `Model output and sample must have the same length, got ${modelOutput.length} and ${n}`,
    );
  }
  if (k.needsNoise && (!noise || noise.length !== n)) {
    throw new SchedulerError(`Step ${k.stepIndex} needs a noise tensor of length ${n}`);
  }
  const prevSample = new Float32Array(n);
  const predOriginalSample = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = sample[i] ?? 0;
    const m = modelOutput[i] ?? 0;
    predOriginalSample[i] = k.x0FromSample * s + k.x0FromModelOutput * m;
    prevSample[i] = k.needsNoise ? k.a * s + k.b * m + k.c * (noise?.[i] ?? 0) : k.a * s + k.b * m;
  }
  return { prevSample, predOriginalSample };
}

/** The noise a stochastic step uses: the caller's tensor, else a draw from the injected source. */
export function resolveNoise(
  k: StepCoefficients,
  length: number,
  noise: Float32Array | undefined,
  source: NoiseSource | undefined,
  className: string,
): Float32Array | undefined {
  if (!k.needsNoise) return undefined;
  if (noise) return noise;
  if (source) return source.randn(length);
  throw new SchedulerError(
    `${className} step ${k.stepIndex} adds noise: pass a noise tensor to step() or give the scheduler a seeded generator`,
  );
}
