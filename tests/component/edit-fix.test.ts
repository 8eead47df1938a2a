import { afterEach, describe, expect, it } from 'vitest';
import { edit } from '../../src/lib/state/edit.svelte';
import type { EditPicture } from '../../src/lib/state/edit.svelte';

const picture = (attemptId: string, imageId: string): EditPicture => ({
  attemptId,
  attemptIndex: 0,
  imageId,
  url: `blob:${imageId}`,
  width: 64,
  height: 40,
});

afterEach(() => edit.reset());

describe('edit.fix (the judge’s Fix this)', () => {
  it('makes the box, in whole pixels, the mask of an edit of the judged attempt', () => {
    edit.fix('p1', picture('a1', 'i1'), { x: 0.1, y: 0.26, w: 0.3, h: 0.5 });
    expect(edit.base?.attemptId).toBe('a1');
    // x 6.4 → 6, right edge 25.6 → 26; y 10.4 → 10, bottom 30.4 → 31
    expect(edit.mask).toEqual({ box: { x: 6 / 64, y: 10 / 40, w: 20 / 64, h: 21 / 40 }, brush: null });
    expect(edit.preset).toEqual(edit.mask.box);
    expect(edit.hasMask).toBe(true);
    expect(edit.focusPending).toBe(true);
    edit.focused();
    expect(edit.focusPending).toBe(false);
  });

  it('switches to the judged attempt when another one is under the brush', () => {
    edit.useBase('p1', picture('a1', 'i1'));
    edit.useBase('p1', picture('a2', 'i2'));
    expect(edit.base?.attemptId).toBe('a2');
    edit.fix('p1', picture('a1', 'i1'), { x: 0, y: 0, w: 0.5, h: 0.5 });
    expect(edit.base?.attemptId).toBe('a1');
    // The artist's own brush replaces the preset.
    edit.setMask({ box: null, brush: null });
    expect(edit.preset).toBeNull();
  });
});
