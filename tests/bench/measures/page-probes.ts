/**
 * Code that runs inside the page (passed to addInitScript / evaluate, so every function here is
 * self-contained: no imports, no closures over Node values).
 */

export const ROW = '[data-testid=library-row]';

export interface FirstRowProbe {
  /** performance.now() (ms since navigation start) when a row was first in the DOM and on screen. */
  firstRow: number | null;
  /** The frame after that: the row has been laid out and handed to the compositor. */
  firstRowFrame: number | null;
}

export interface IdbEvent {
  op: string;
  store: string;
  start: number;
  /** First success (for cursors: the first record). */
  first: number | null;
  end: number | null;
  /** Records returned (getAll) or cursor steps. */
  n: number;
  /** The key asked for, when it is a string (get). */
  key?: string;
}

declare global {
  interface Window {
    __benchFirstRow?: FirstRowProbe;
    __benchIdb?: IdbEvent[];
  }
}

/** Init script: note when the first Library row is visible, from navigation start. */
export function installFirstRowProbe(selector: string): void {
  const probe: FirstRowProbe = { firstRow: null, firstRowFrame: null };
  window.__benchFirstRow = probe;
  const onScreen = (): boolean => {
    const row = document.querySelector(selector);
    if (!row) return false;
    const box = row.getBoundingClientRect();
    return box.height > 0 && box.width > 0 && box.bottom > 0 && box.top < innerHeight;
  };
  const observer = new MutationObserver(() => {
    if (probe.firstRow !== null || !onScreen()) return;
    probe.firstRow = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => (probe.firstRowFrame = performance.now()), 0));
  });
  observer.observe(document, { childList: true, subtree: true });
}

/**
 * Init script (profile mode only): time every IndexedDB request the app makes, so a slow open can be
 * explained as "the first page waited N ms for X". Wraps the prototypes before the app loads.
 */
export function installIdbProbe(): void {
  const events: IdbEvent[] = [];
  window.__benchIdb = events;
  const track = (op: string, storeName: string, request: IDBRequest, key?: unknown) => {
    const event: IdbEvent = { op, store: storeName, start: performance.now(), first: null, end: null, n: 0 };
    if (typeof key === 'string') event.key = key;
    events.push(event);
    request.addEventListener('success', () => {
      const now = performance.now();
      event.first ??= now;
      event.end = now;
      const result: unknown = request.result;
      if (Array.isArray(result)) event.n = result.length;
      else if (op.includes('Cursor')) event.n += result ? 1 : 0;
      else event.n = 1;
    });
    request.addEventListener('error', () => (event.end = performance.now()));
  };
  const wrap = (proto: object, kind: string, methods: string[]) => {
    for (const method of methods) {
      const target = proto as Record<string, unknown>;
      const original = target[method] as ((...args: unknown[]) => IDBRequest) | undefined;
      if (typeof original !== 'function') continue;
      target[method] = function (this: IDBObjectStore | IDBIndex, ...args: unknown[]) {
        const request = original.apply(this, args);
        const name = 'objectStore' in this ? `${this.objectStore.name}.${this.name}` : this.name;
        track(`${kind}.${method}`, name, request, args[0]);
        return request;
      };
    }
  };
  const methods = ['get', 'getAll', 'getAllKeys', 'count', 'openCursor', 'openKeyCursor'];
  wrap(IDBObjectStore.prototype, 'store', methods);
  wrap(IDBIndex.prototype, 'index', methods);
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
    const request = open.call(this, name, version);
    track('open', name, request);
    return request;
  };
}
