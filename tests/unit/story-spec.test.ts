import { describe, expect, it } from 'vitest';
import {
  TEXT_LIMITS,
  fieldLengthError,
  lengthError,
  newDialogueLine,
  newPanel,
  newStory,
} from '../../src/lib/domain';
import { panelFromSpec, specOf, specProblem } from '../../src/lib/state/story-spec';
import { historyCommand } from '../../src/lib/components/undo-keys';

const story = () => ({ ...newStory(1, 'Ferry') });

describe('length limits', () => {
  it('say the limit and the length in words, with thousands separators', () => {
    expect(fieldLengthError('characterName', 'x'.repeat(5000))).toBe(
      'A character name must be at most 80 characters; this one has 5,000.',
    );
    expect(fieldLengthError('characterName', 'x'.repeat(80))).toBeNull();
    // Counted as the schema counts: after trimming.
    expect(lengthError('A title', `  ${'x'.repeat(10)}  `, 10)).toBeNull();
  });

  it('are the schema limits', () => {
    expect(TEXT_LIMITS).toMatchObject({ characterName: 80, storyTitle: 120, dialogue: 500, caption: 1000 });
  });
});

describe('story spec', () => {
  it('leaves out the status and the kept attempt, and takes them back from the live panel', () => {
    const s = story();
    const panel = { ...newPanel(s.id, 1), status: 'passed' as const, acceptedAttemptId: 'att-1' };
    const spec = specOf(s, [panel]);
    expect(spec.panels[0]).not.toHaveProperty('status');
    expect(spec.panels[0]).not.toHaveProperty('acceptedAttemptId');
    const back = panelFromSpec(spec.panels[0]!, panel);
    expect(back).toEqual(panel);
    expect(panelFromSpec(spec.panels[0]!, undefined)).toMatchObject({
      status: 'draft',
      acceptedAttemptId: null,
    });
  });

  it('names the first reason it cannot be saved, with the panel number', () => {
    const s = story();
    const p = newPanel(s.id, 1);
    expect(specProblem(specOf(s, [p]))).toBeNull();
    expect(specProblem(specOf({ ...s, title: ' ' }, [p]))).toMatch(/^A story needs a title/);
    expect(specProblem(specOf({ ...s, title: 't'.repeat(121) }, [p]))).toBe(
      'A story title must be at most 120 characters; this one has 121.',
    );
    const long = { ...p, dialogue: [newDialogueLine(null, 'w'.repeat(501))] };
    expect(specProblem(specOf(s, [p, long]))).toBe(
      'Panel 2: A dialogue line must be at most 500 characters; this one has 501.',
    );
    const empty = { ...p, dialogue: [newDialogueLine(null)] };
    expect(specProblem(specOf(s, [empty]))).toBe('Panel 1: A dialogue line needs some text.');
  });
});

describe('historyCommand', () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });
  it('reads Ctrl/Cmd+Z, Ctrl/Cmd+Shift+Z and Ctrl+Y', () => {
    expect(historyCommand(key('z', { ctrlKey: true }))).toBe('undo');
    expect(historyCommand(key('z', { metaKey: true }))).toBe('undo');
    expect(historyCommand(key('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(historyCommand(key('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(historyCommand(key('y', { ctrlKey: true }))).toBe('redo');
    expect(historyCommand(key('z'))).toBeNull();
    expect(historyCommand(key('z', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(historyCommand(key('y', { metaKey: true }))).toBeNull();
  });
});
