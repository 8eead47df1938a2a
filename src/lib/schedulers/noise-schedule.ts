/**
 * The discrete noise schedule shared by the schedulers, plus the small numpy semantics they rely on
 * (arange with a float step, round-half-to-even, linspace, interp) so our timesteps match diffusers
 * to the last digit.
 *
 * Betas and alphaBar are computed in float64 (diffusers uses float32 tensors; the difference is far
 * below the float32 rounding that is applied afterwards).
 */
import { SchedulerError, type BetaSchedule } from './types';

export function betas(schedule: BetaSchedule, start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const [from, to] = schedule === 'scaled_linear' ? [Math.sqrt(start), Math.sqrt(end)] : [start, end];
  for (let i = 0; i < n; i++) {
    const v = n === 1 ? from : from + ((to - from) * i) / (n - 1);
    out[i] = schedule === 'scaled_linear' ? v * v : v;
  }
  return out;
}

export function alphasCumprod(betaValues: Float64Array): Float64Array {
  const out = new Float64Array(betaValues.length);
  let product = 1;
  for (let i = 0; i < betaValues.length; i++) {
    product *= 1 - (betaValues[i] ?? 0);
    out[i] = product;
  }
  return out;
}

/** sigma_t = sqrt((1 - alphaBar_t) / alphaBar_t), stored as float32 as diffusers does. */
export function trainingSigmas(alphaBar: Float64Array): Float32Array {
  const out = new Float32Array(alphaBar.length);
  for (let i = 0; i < alphaBar.length; i++) {
    const a = alphaBar[i] ?? 1;
    out[i] = Math.sqrt((1 - a) / a);
  }
  return out;
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.arange for a float step: length from ceil, values start + i * (second - first). */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  return Array.from({ length }, (_, i) => (i === 0 ? start : start + i * delta));
}

/** numpy.linspace with the endpoint included (a single point is `start`). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** numpy.interp over the table's own indices 0..n-1, clamped at both ends. */
export function interpAtIndex(x: number, table: ArrayLike<number>): number {
  const last = table.length - 1;
  if (x <= 0) return table[0] ?? 0;
  if (x >= last) return table[last] ?? 0;
  const j = Math.floor(x);
  const lo = table[j] ?? 0;
  const hi = table[j + 1] ?? 0;
  return (hi - lo) * (x - j) + lo;
}

/** The timesteps diffusers' Euler schedulers pick for each spacing (Table 2 of arXiv:2305.08891). */
export function spacedTimesteps(
  spacing: 'linspace' | 'leading' | 'trailing',
  numTrainTimesteps: number,
  numInferenceSteps: number,
  stepsOffset: number,
): Float32Array {
  const n = numInferenceSteps;
  if (spacing === 'linspace') return Float32Array.from(linspace(0, numTrainTimesteps - 1, n).reverse());
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrainTimesteps / n);
    return Float32Array.from({ length: n }, (_, k) => (n - 1 - k) * ratio + stepsOffset);
  }
  const ratio = numTrainTimesteps / n;
  return Float32Array.from(arange(numTrainTimesteps, 0, -ratio).map((t) => roundHalfEven(t) - 1));
}

export function checkSteps(numInferenceSteps: number, max: number): void {
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > max) {
    throw new SchedulerError(
      `Number of inference steps must be a whole number from 1 to ${max}, got ${numInferenceSteps}`,
    );
  }
}

export function checkStepIndex(stepIndex: number, numInferenceSteps: number): void {
  if (numInferenceSteps === 0) {
    throw new SchedulerError('Call setTimesteps(numInferenceSteps) before running a step');
  }
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= numInferenceSteps) {
    throw new SchedulerError(
      `Step index must be a whole number from 0 to ${numInferenceSteps - 1}, got ${stepIndex}`,
    );
  }
}
