/**
 * The seeded noise of src/lib/schedulers/random.ts. The integer stream is compared exactly with the
 * Python reference in tests/fixtures/schedulers/golden.py; the gaussians (which go through
 * Math.log/cos/sin) within 1e-6 absolute, since those functions may differ in the last bit
 * between engines.
 */
import { describe, expect, it } from 'vitest';
import golden from '../fixtures/schedulers/golden.json';
import { GaussianGenerator, randn, Xoshiro128 } from '../../src/lib/schedulers';

describe('seeded randn', () => {
  it('matches the reference integer stream exactly', () => {
    for (const [seed, words] of Object.entries(golden.random.uint32)) {
      const rng = new Xoshiro128(Number(seed));
      expect(words.map(() => rng.nextUint32())).toEqual(words);
    }
  });

  it('matches the reference gaussians', () => {
    for (const [seed, values] of Object.entries(golden.random.gaussian)) {
      const z = randn(Number(seed), values.length);
      values.forEach((v, i) => expect(Math.abs((z[i] ?? NaN) - v)).toBeLessThan(1e-6));
    }
  });

  it('is deterministic, differs between seeds, and a stream continues across calls', () => {
    expect(randn(1234, 1000)).toEqual(randn(1234, 1000));
    expect(randn(1234, 1000)).not.toEqual(randn(1235, 1000));
    const stream = new GaussianGenerator(99);
    const parts = [stream.randn(3), stream.randn(10), stream.randn(7)];
    expect(Float32Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(randn(99, 20));
  });

  it('is close to N(0, 1) on 1e5 samples', () => {
    const n = 100_000;
    const z = randn(20240601, n);
    let sum = 0;
    let sumSq = 0;
    let inside1 = 0;
    for (const x of z) {
      sum += x;
      sumSq += x * x;
      if (Math.abs(x) < 1) inside1++;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // 6 standard errors: mean sd 1/sqrt(n) = 0.0032, variance sd sqrt(2/n) = 0.0045, P(|z|<1) sd 0.0015
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(inside1 / n - 0.6827)).toBeLessThan(0.009);
    expect(z.every(Number.isFinite)).toBe(true);
  });

  it('refuses a seed that is not a 32-bit whole number', () => {
    expect(() => randn(-1, 4)).toThrow('Seed must be a whole number from 0 to 4294967295, got -1');
    expect(() => randn(1.5, 4)).toThrow('Seed must be a whole number from 0 to 4294967295, got 1.5');
  });
});
