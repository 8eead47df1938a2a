import { describe, expect, it } from 'vitest';
import { pageFileName, pageFileNames, pageNumberWidth } from '../../src/lib/bundle/comic/pages';

describe('comic page names', () => {
  it('are flat, zero-padded to at least three digits, cover first', () => {
    expect(pageFileNames(3, 'png')).toEqual(['001.png', '002.png', '003.png']);
    expect(pageNumberWidth(999)).toBe(3);
    expect(pageNumberWidth(1000)).toBe(4);
    expect(pageFileName(0, 1200, 'jpg')).toBe('0001.jpg');
  });

  it('sort by name into reading order', () => {
    const names = pageFileNames(1005, 'png');
    expect([...names].sort()).toEqual(names);
    expect(names.every((n) => !n.includes('/'))).toBe(true);
  });

  it('refuse an index outside the comic', () => {
    expect(() => pageFileName(3, 3, 'png')).toThrow(/0…2, got 3/);
    expect(() => pageFileName(-1, 3, 'png')).toThrow(RangeError);
  });
});
