/**
 * Undo/redo over whole snapshots of an editor's spec (plain values, compared as JSON). Pure: the
 * caller passes the time, so coalescing is testable without timers.
 */
export interface HistoryOptions {
  /** How many steps back can be undone; the oldest fall off. */
  depth?: number;
  /** Changes with the same key closer together than this become one step (typing a word). */
  coalesceMs?: number;
}

export interface Change {
  /** What changed (e.g. the field's path); null never merges with the step before. */
  key: string | null;
  /** Milliseconds, any clock. */
  at: number;
}

export const HISTORY_DEPTH = 200;
export const COALESCE_MS = 1000;

export class History<T> {
  #past: string[] = [];
  #future: string[] = [];
  #present: string;
  #lastKey: string | null = null;
  #lastAt = -Infinity;
  readonly #depth: number;
  readonly #coalesceMs: number;

  constructor(initial: T, options: HistoryOptions = {}) {
    this.#present = JSON.stringify(initial);
    this.#depth = Math.max(1, options.depth ?? HISTORY_DEPTH);
    this.#coalesceMs = options.coalesceMs ?? COALESCE_MS;
  }

  get canUndo(): boolean {
    return this.#past.length > 0;
  }
  get canRedo(): boolean {
    return this.#future.length > 0;
  }
  get undoDepth(): number {
    return this.#past.length;
  }
  get present(): T {
    return JSON.parse(this.#present) as T;
  }

  /** Records `next` as the new present; false when nothing changed. A new edit clears redo. */
  record(next: T, change: Change): boolean {
    const json = JSON.stringify(next);
    if (json === this.#present) return false;
    const merge =
      change.key !== null &&
      change.key === this.#lastKey &&
      change.at - this.#lastAt < this.#coalesceMs &&
      this.#past.length > 0;
    if (!merge) {
      this.#past.push(this.#present);
      if (this.#past.length > this.#depth) this.#past.splice(0, this.#past.length - this.#depth);
    }
    this.#present = json;
    this.#future = [];
    this.#lastKey = change.key;
    this.#lastAt = change.at;
    return true;
  }

  /** The value to show after one step back, or undefined when there is none. */
  undo(): T | undefined {
    const previous = this.#past.pop();
    if (previous === undefined) return undefined;
    this.#future.push(this.#present);
    this.#present = previous;
    this.#breakCoalescing();
    return JSON.parse(previous) as T;
  }

  redo(): T | undefined {
    const next = this.#future.pop();
    if (next === undefined) return undefined;
    this.#past.push(this.#present);
    this.#present = next;
    this.#breakCoalescing();
    return JSON.parse(next) as T;
  }

  /** Replaces the present without a step (e.g. the stored copy after a save normalised it). */
  replace(present: T): void {
    this.#present = JSON.stringify(present);
  }

  /** Forget everything: `initial` is the only state (a story was opened). */
  reset(initial: T): void {
    this.#past = [];
    this.#future = [];
    this.#present = JSON.stringify(initial);
    this.#breakCoalescing();
  }

  #breakCoalescing(): void {
    this.#lastKey = null;
    this.#lastAt = -Infinity;
  }
}

/**
 * The path of the first leaf that differs between two plain values ("panels.2.caption"), or null
 * when they are equal. A difference in an array's length is reported at the array ("panels#").
 */
export function changedPath(a: unknown, b: unknown, path = ''): string | null {
  if (Object.is(a, b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}#`;
    for (let i = 0; i < a.length; i++) {
      const found = changedPath(a[i], b[i], path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const found = changedPath(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (found !== null) return found;
    }
    return null;
  }
  return path || '.';
}
