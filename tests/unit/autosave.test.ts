import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autosave } from '../../src/lib/state/autosave';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A save the test finishes by hand, to see what happens while one is running. */
function manualSave() {
  const resolvers: (() => void)[] = [];
  const save = vi.fn(() => new Promise<void>((resolve) => resolvers.push(resolve)));
  return { save, finish: () => resolvers.shift()?.() };
}

describe('Autosave', () => {
  it('saves once, the delay after the last of a burst of changes', async () => {
    const save = vi.fn(async () => {});
    const auto = new Autosave(save, 1000);
    auto.schedule();
    await vi.advanceTimersByTimeAsync(600);
    auto.schedule();
    await vi.advanceTimersByTimeAsync(600);
    auto.schedule();
    expect(auto.pending).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(save).toHaveBeenCalledTimes(1);
    expect(auto.pending).toBe(false);
  });

  it('cancel drops a waiting save', async () => {
    const save = vi.fn(async () => {});
    const auto = new Autosave(save, 1000);
    auto.schedule();
    auto.cancel();
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).not.toHaveBeenCalled();
    expect(auto.pending).toBe(false);
  });

  it('flush saves at once, without waiting for the delay', async () => {
    const save = vi.fn(async () => {});
    const auto = new Autosave(save, 1000);
    auto.schedule();
    await auto.flush();
    expect(save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('runs one save at a time; a change during a save is saved once more after it', async () => {
    const { save, finish } = manualSave();
    const auto = new Autosave(save, 1000);
    auto.schedule();
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).toHaveBeenCalledTimes(1);
    // Two more changes while the first save is still writing.
    const a = auto.flush();
    const b = auto.flush();
    expect(save).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(save).toHaveBeenCalledTimes(2);
    finish();
    await Promise.all([a, b]);
    expect(save).toHaveBeenCalledTimes(2);
    expect(auto.pending).toBe(false);
  });

  it('idle waits for the running save only', async () => {
    const { save, finish } = manualSave();
    const auto = new Autosave(save, 1000);
    void auto.flush();
    let idle = false;
    void auto.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(false);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(true);
  });
});
