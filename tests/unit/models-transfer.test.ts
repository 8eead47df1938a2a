import { describe, expect, it } from 'vitest';
import { etaSeconds, formatBytes, formatDuration, fraction, RateMeter } from '../../src/lib/models/progress';
import {
  contentRangeHeader,
  decideRangeResponse,
  parseContentRange,
  parseRangeHeader,
  rangeHeader,
} from '../../src/lib/models/http-range';
import { checkQuota } from '../../src/lib/models/quota';

describe('progress math', () => {
  it('measures a rate over its window and ignores bytes before it', () => {
    const meter = new RateMeter(1000);
    expect(meter.rate()).toBe(0);
    meter.add(500, 0);
    meter.add(1000, 500);
    meter.add(1000, 1000);
    expect(meter.rate()).toBeCloseTo(2000); // 2000 bytes over 1 s after the first sample
    meter.add(100, 3000); // old samples fall out of the window
    expect(meter.rate()).toBeLessThan(1000);
  });

  it('gives a time left from rate, and none while the rate is unknown', () => {
    expect(etaSeconds(250, 1000, 250)).toBe(3);
    expect(etaSeconds(1000, 1000, 0)).toBe(0);
    expect(etaSeconds(10, 1000, 0)).toBeNull();
    expect(fraction(5, 0)).toBe(1);
    expect(fraction(0, 0)).toBe(0);
    expect(fraction(50, 100)).toBe(0.5);
  });

  it('formats bytes and durations for people', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_629_311)).toBe('1.63 MB');
    expect(formatDuration(null)).toBe('unknown');
    expect(formatDuration(75)).toBe('1 min 15 s');
  });
});

describe('HTTP Range', () => {
  it('writes and reads the range we send', () => {
    expect(rangeHeader(20213)).toBe('bytes=20213-');
    expect(parseRangeHeader('bytes=20213-')).toEqual({ start: 20213, end: null });
    expect(parseRangeHeader('bytes=5-1')).toBeNull();
    expect(parseRangeHeader('items=1-')).toBeNull();
    expect(() => rangeHeader(-1)).toThrow();
  });

  it('parses Content-Range, including an unknown size', () => {
    expect(parseContentRange(contentRangeHeader(100, 199, 1000))).toEqual({
      start: 100,
      end: 199,
      size: 1000,
    });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, size: null });
    expect(parseContentRange('bytes */1000')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });

  it('appends on a matching 206, restarts when the range was ignored or moved', () => {
    expect(decideRangeResponse(206, 'bytes 100-999/1000', 100, 1000)).toEqual({
      kind: 'append',
      offset: 100,
    });
    expect(decideRangeResponse(200, null, 0, 1000)).toEqual({ kind: 'append', offset: 0 });
    expect(decideRangeResponse(200, null, 100, 1000).kind).toBe('restart');
    expect(decideRangeResponse(206, 'bytes 0-999/1000', 100, 1000).kind).toBe('restart');
    expect(decideRangeResponse(206, 'bytes 100-1999/2000', 100, 1000).kind).toBe('restart');
    expect(decideRangeResponse(416, 'bytes */1000', 1000, 1000)).toEqual({ kind: 'complete' });
    expect(decideRangeResponse(404, null, 0, 1000)).toEqual({ kind: 'error', status: 404 });
  });
});

describe('quota check', () => {
  it('lets a pack through when the quota holds it with headroom', () => {
    expect(checkQuota('Tiny', { remaining: 1e6, usage: 0, quota: 1e9 }).ok).toBe(true);
    expect(checkQuota('Tiny', { remaining: 1e6 }).ok).toBe(true); // the browser does not say
  });

  it('refuses with a sentence naming the pack and both sizes', () => {
    const verdict = checkQuota('Default pack', { remaining: 3e9, usage: 1e9, quota: 2e9 });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.available).toBe(1e9);
      expect(verdict.message).toBe(
        'Default pack needs 3.00 GB more, but this browser lets StoryLoom store only 1.00 GB more. ' +
          'Delete a pack you do not use or free disk space, then try again.',
      );
    }
  });
});
