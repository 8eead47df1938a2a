import { describe, expect, test } from 'vitest';
import { reviewCommand } from '../../src/lib/components/review-keys';

const press = (key: string, extra: Partial<Parameters<typeof reviewCommand>[0]> = {}) =>
  reviewCommand({
    key,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    repeat: false,
    defaultPrevented: false,
    target: { tagName: 'BODY' } as unknown as EventTarget,
    ...extra,
  });

describe('review queue shortcuts', () => {
  test('A R G E J K, the arrows and Esc', () => {
    expect(['a', 'R', 'g', 'e', 'j', 'ArrowRight', 'k', 'ArrowLeft', 'Escape'].map((k) => press(k))).toEqual([
      'accept',
      'reject',
      'regenerate',
      'edit',
      'next',
      'next',
      'previous',
      'previous',
      'back',
    ]);
    expect(press('x')).toBeNull();
    expect(press('Enter')).toBeNull();
  });

  test('never while typing in a field, with a modifier, or when something else took the key', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT'])
      expect(press('a', { target: { tagName } as unknown as EventTarget }), tagName).toBeNull();
    expect(
      press('a', { target: { tagName: 'DIV', isContentEditable: true } as unknown as EventTarget }),
    ).toBeNull();
    expect(press('a', { ctrlKey: true })).toBeNull();
    expect(press('r', { metaKey: true })).toBeNull();
    expect(press('j', { altKey: true })).toBeNull();
    expect(press('a', { defaultPrevented: true })).toBeNull();
    expect(press('a', { target: { tagName: 'BUTTON' } as unknown as EventTarget })).toBe('accept');
  });

  test('a held key moves on but never decides twice', () => {
    expect(press('a', { repeat: true })).toBeNull();
    expect(press('g', { repeat: true })).toBeNull();
    expect(press('j', { repeat: true })).toBe('next');
  });
});
