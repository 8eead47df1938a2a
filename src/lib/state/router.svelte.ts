/**
 * A tiny hash router: `#/library`, `#/character/<id>`, `#/story/<id>`, `#/run/<storyId>`,
 * `#/review/<storyId>` (one story's review queue), `#/review` (the library's), `#/read/<storyId>` (the
 * reader), `#/settings`, `#/models`.
 */
export type Route =
  | { name: 'library' }
  | { name: 'character'; id: string }
  | { name: 'story'; id: string }
  | { name: 'run'; id: string }
  | { name: 'read'; id: string }
  /** `id` null: every story of the library. */
  | { name: 'review'; id: string | null }
  | { name: 'settings' }
  | { name: 'models' }
  | { name: 'not-found'; path: string };

/** `new` as an id means "a record that is not stored yet". */
export const NEW_ID = 'new';

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '');
  const [head = '', rawId] = path.split('/');
  const id = rawId ? decodeURIComponent(rawId) : '';
  switch (head) {
    case '':
    case 'library':
      return { name: 'library' };
    case 'character':
      return id ? { name: 'character', id } : { name: 'not-found', path };
    case 'story':
      return id ? { name: 'story', id } : { name: 'not-found', path };
    case 'run':
      return id ? { name: 'run', id } : { name: 'not-found', path };
    case 'read':
      return id ? { name: 'read', id } : { name: 'not-found', path };
    case 'review':
      return { name: 'review', id: id || null };
    case 'settings':
      return { name: 'settings' };
    case 'models':
      return { name: 'models' };
    default:
      return { name: 'not-found', path };
  }
}

export function href(route: Route): string {
  switch (route.name) {
    case 'character':
    case 'story':
    case 'run':
    case 'read':
      return `#/${route.name}/${encodeURIComponent(route.id)}`;
    case 'review':
      return route.id ? `#/review/${encodeURIComponent(route.id)}` : '#/review';
    case 'not-found':
      return `#/${route.path}`;
    default:
      return `#/${route.name}`;
  }
}

/** Asked before the address changes: a question ("Leave and lose …?") or null to let it go. */
export type LeaveGuard = () => string | null;

class Router {
  #route = $state<Route>(parseHash(typeof location === 'undefined' ? '' : location.hash));
  #guards = new Set<LeaveGuard>();
  #hash = typeof location === 'undefined' ? '' : location.hash;

  constructor() {
    if (typeof window === 'undefined') return;
    window.addEventListener('hashchange', () => this.#hashChanged());
  }

  #hashChanged(): void {
    const next = location.hash;
    if (next === this.#hash) return;
    for (const guard of this.#guards) {
      const question = guard();
      if (question && !window.confirm(question)) {
        // Stay: put the address back without another history entry.
        history.replaceState(history.state, '', this.#hash || '#/library');
        return;
      }
    }
    this.#hash = next;
    this.#route = parseHash(next);
  }

  /** Ask `guard` before every in-app navigation until the returned function is called. */
  guard(guard: LeaveGuard): () => void {
    this.#guards.add(guard);
    return () => this.#guards.delete(guard);
  }

  /**
   * An editor's leave guards until the returned function is called: the browser's own "leave
   * page?" while `unsaved()` holds, and `warning` before every in-app navigation.
   */
  guardPage(unsaved: () => boolean, warning: LeaveGuard): () => void {
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (!unsaved()) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', beforeUnload);
    const stop = this.guard(warning);
    return () => {
      window.removeEventListener('beforeunload', beforeUnload);
      stop();
    };
  }

  get route(): Route {
    return this.#route;
  }

  go(route: Route): void {
    location.hash = href(route);
  }

  /** Change the address without a new history entry (e.g. `new` → the saved id). */
  replace(route: Route): void {
    history.replaceState(history.state, '', href(route));
    this.#hash = href(route);
    this.#route = route;
  }

  reset(): void {
    this.#hash = typeof location === 'undefined' ? '' : location.hash;
    this.#route = parseHash(this.#hash);
    this.#guards.clear();
  }
}

export const router = new Router();
