/**
 * Seeded standard-normal noise: xoshiro128** (Blackman & Vigna) seeded through a golden-ratio
 * counter and the murmur3 finaliser, then Box–Muller.
 *
 * Determinism: the integer stream uses only 32-bit integer operations (Math.imul, shifts, xor),
 * so it is identical on every engine. The gaussians also need Math.log, Math.sqrt, Math.cos and
 * Math.sin; sqrt is exactly rounded by the spec but log/cos/sin are "implementation-approximated",
 * so two engines may differ in the last bit of an occasional value. Noise is therefore bit-exact
 * within one engine (one browser build: replaying a stored seed gives the same image) and equal to
 * about 1e-7 across engines. The integer stream and the first gaussians are pinned by golden values.
 *
 * The stream is not the same as torch.randn: the same seed does not reproduce a diffusers image.
 */
import { SchedulerError, type NoiseSource } from './types';

const TWO_POW_32 = 4294967296;

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new SchedulerError(`Seed must be a whole number from 0 to ${TWO_POW_32 - 1}, got ${seed}`);
  }
}

/** xoshiro128** over 32-bit words; `nextUint32` returns 0..2^32-1. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    checkSeed(seed);
    let counter = seed >>> 0;
    const next = (): number => {
      counter = (counter + 0x9e3779b9) >>> 0;
      let z = counter;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // The finaliser is a bijection, so four successive outputs are never all zero.
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A stateful gaussian stream: successive `randn` calls continue the same sequence. */
export class GaussianGenerator implements NoiseSource {
  readonly seed: number;
  private readonly bits: Xoshiro128;
  private spare: number | undefined;

  constructor(seed: number) {
    this.seed = seed;
    this.bits = new Xoshiro128(seed);
  }

  /** One N(0, 1) number (float64). Box–Muller yields pairs; the second is kept for the next call. */
  next(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const u1 = (this.bits.nextUint32() + 1) / TWO_POW_32; // (0, 1]: log never sees 0
    const u2 = this.bits.nextUint32() / TWO_POW_32; // [0, 1)
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  randn(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) {
      throw new SchedulerError(`Noise length must be a whole number of at least 0, got ${length}`);
    }
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next();
    return out;
  }
}

/** `length` standard-normal float32 numbers from `seed` (a whole number from 0 to 2^32 - 1). */
export function randn(seed: number, length: number): Float32Array {
  return new GaussianGenerator(seed).randn(length);
}
