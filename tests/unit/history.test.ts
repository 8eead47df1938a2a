import { describe, expect, it } from 'vitest';
import { History, changedPath } from '../../src/lib/state/history';

describe('History', () => {
  it('undoes and redoes whole snapshots; a new edit clears redo', () => {
    const h = new History({ title: 'a' });
    expect(h.canUndo).toBe(false);
    h.record({ title: 'b' }, { key: null, at: 0 });
    h.record({ title: 'c' }, { key: null, at: 1 });
    expect(h.undo()).toEqual({ title: 'b' });
    expect(h.undo()).toEqual({ title: 'a' });
    expect(h.undo()).toBeUndefined();
    expect(h.canRedo).toBe(true);
    expect(h.redo()).toEqual({ title: 'b' });
    h.record({ title: 'x' }, { key: null, at: 2 });
    expect(h.canRedo).toBe(false);
    expect(h.redo()).toBeUndefined();
    expect(h.undo()).toEqual({ title: 'b' });
  });

  it('ignores a record that changes nothing', () => {
    const h = new History({ n: 1 });
    expect(h.record({ n: 1 }, { key: null, at: 0 })).toBe(false);
    expect(h.canUndo).toBe(false);
  });

  it('coalesces rapid typing in one field into one step, but not across fields or pauses', () => {
    const h = new History({ title: '', style: '' }, { coalesceMs: 1000 });
    h.record({ title: 'M', style: '' }, { key: 'title', at: 0 });
    h.record({ title: 'Mi', style: '' }, { key: 'title', at: 300 });
    h.record({ title: 'Mir', style: '' }, { key: 'title', at: 600 });
    expect(h.undoDepth).toBe(1);
    h.record({ title: 'Mir', style: 'i' }, { key: 'style', at: 700 });
    expect(h.undoDepth).toBe(2);
    h.record({ title: 'Mir', style: 'in' }, { key: 'style', at: 5000 });
    expect(h.undoDepth).toBe(3);
    expect(h.undo()).toEqual({ title: 'Mir', style: 'i' });
    expect(h.undo()).toEqual({ title: 'Mir', style: '' });
    expect(h.undo()).toEqual({ title: '', style: '' });
  });

  it('never merges a change without a key (a structural edit), nor typing right after an undo', () => {
    const h = new History({ t: '' });
    h.record({ t: 'a' }, { key: 't', at: 0 });
    h.record({ t: 'ab' }, { key: null, at: 1 });
    expect(h.undoDepth).toBe(2);
    h.undo();
    h.record({ t: 'ax' }, { key: 't', at: 2 });
    expect(h.undoDepth).toBe(2);
  });

  it('keeps at most `depth` steps, dropping the oldest', () => {
    const h = new History({ n: 0 }, { depth: 200 });
    for (let n = 1; n <= 250; n++) h.record({ n }, { key: null, at: n });
    expect(h.undoDepth).toBe(200);
    let last: { n: number } | undefined;
    for (let v = h.undo(); v; v = h.undo()) last = v;
    expect(last).toEqual({ n: 50 });
  });

  it('replace and reset change the present without a step', () => {
    const h = new History({ t: 'a ' });
    h.record({ t: 'b ' }, { key: null, at: 0 });
    h.replace({ t: 'b' });
    expect(h.present).toEqual({ t: 'b' });
    expect(h.undoDepth).toBe(1);
    h.reset({ t: 'z' });
    expect(h.canUndo).toBe(false);
    expect(h.present).toEqual({ t: 'z' });
  });

  it('hands out copies: changing a returned value does not change history', () => {
    const h = new History({ list: [1] });
    h.record({ list: [1, 2] }, { key: null, at: 0 });
    const back = h.undo()!;
    back.list.push(99);
    expect(h.redo()).toEqual({ list: [1, 2] });
    expect(h.undo()).toEqual({ list: [1] });
  });
});

describe('changedPath', () => {
  it('names the first differing leaf, or the array whose length changed', () => {
    const a = { story: { title: 'a' }, panels: [{ caption: 'x', cast: [] }] };
    expect(changedPath(a, structuredClone(a))).toBeNull();
    expect(changedPath(a, { ...a, story: { title: 'b' } })).toBe('story.title');
    expect(changedPath(a, { ...a, panels: [{ caption: 'y', cast: [] }] })).toBe('panels.0.caption');
    expect(changedPath(a, { ...a, panels: [] })).toBe('panels#');
  });
});
