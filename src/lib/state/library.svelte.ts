import { libraryService } from '../services/library.service';
import type { LibraryRow } from '../services/api';

export type { LibraryRow };
import { notices } from './notices.svelte';

export type LibraryKind = 'character' | 'story';

/** How many rows to show before the whole list has arrived. */
export const FIRST_PAGE = 50;

/** Every whitespace-separated word must occur in the title or the subtitle. */
export function matchesQuery(row: LibraryRow, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = `${row.title}\n${row.subtitle}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

const byRecent = (a: LibraryRow, b: LibraryRow) => b.updatedAt - a.updatedAt;

/** One list of the library (characters or stories): first page fast, then everything, plus search. */
export class LibraryList {
  readonly kind: LibraryKind;
  // Raw: tens of thousands of small rows, replaced wholesale, never mutated in place.
  #rows = $state.raw<LibraryRow[]>([]);
  #results = $state.raw<LibraryRow[] | null>(null);
  #count = $state<number | null>(null);
  #query = $state('');
  #loading = $state(false);
  #complete = $state(false);
  #loadSeq = 0;
  #searchSeq = 0;

  constructor(kind: LibraryKind) {
    this.kind = kind;
  }

  get rows(): LibraryRow[] {
    return this.#query.trim() ? (this.#results ?? []) : this.#rows;
  }
  get count(): number | null {
    return this.#count;
  }
  get query(): string {
    return this.#query;
  }
  get loading(): boolean {
    return this.#loading;
  }
  /** True once the whole list (not only the first page) is in memory. */
  get complete(): boolean {
    return this.#complete;
  }

  async load(): Promise<void> {
    const seq = ++this.#loadSeq;
    this.#loading = true;
    try {
      if (!this.#complete) {
        const recent = await libraryService.listRecent(this.kind, FIRST_PAGE);
        if (seq !== this.#loadSeq) return;
        this.#rows = recent;
        this.#refilter();
      }
      const count = await libraryService.count(this.kind);
      if (seq !== this.#loadSeq) return;
      this.#count = count;
      // The rest arrives in the background; the first page is already on screen.
      const all = await libraryService.listAll(this.kind);
      if (seq !== this.#loadSeq) return;
      this.#rows = [...all].sort(byRecent);
      this.#count = Math.max(count, all.length);
      this.#complete = true;
      this.#refilter();
    } catch (e) {
      if (seq === this.#loadSeq) notices.report(e);
    } finally {
      if (seq === this.#loadSeq) this.#loading = false;
    }
  }

  setQuery(query: string): void {
    this.#query = query;
    this.#refilter();
  }

  /** Instant answer from memory, then the service's answer (which also searches text fields). */
  #refilter(): void {
    const query = this.#query.trim();
    const seq = ++this.#searchSeq;
    if (!query) {
      this.#results = null;
      return;
    }
    const local = this.#rows.filter((r) => matchesQuery(r, query));
    this.#results = local;
    libraryService
      .search(query, this.kind)
      .then((found) => {
        if (seq !== this.#searchSeq) return;
        const seen: Record<string, true> = Object.fromEntries(local.map((r) => [r.id, true]));
        const merged = local.concat(found.filter((r) => !seen[r.id]));
        this.#results = merged.sort(byRecent);
      })
      .catch((e: unknown) => {
        if (seq === this.#searchSeq) notices.report(e);
      });
  }

  reset(): void {
    this.#loadSeq++;
    this.#searchSeq++;
    this.#rows = [];
    this.#results = null;
    this.#count = null;
    this.#query = '';
    this.#loading = false;
    this.#complete = false;
  }
}

class Library {
  readonly characters = new LibraryList('character');
  readonly stories = new LibraryList('story');
  #tab = $state<LibraryKind>('character');

  get tab(): LibraryKind {
    return this.#tab;
  }
  set tab(kind: LibraryKind) {
    this.#tab = kind;
  }

  list(kind: LibraryKind): LibraryList {
    return kind === 'character' ? this.characters : this.stories;
  }

  load(): Promise<void> {
    return Promise.all([this.characters.load(), this.stories.load()]).then(() => undefined);
  }

  /** Something changed (here or in another tab): reload that list in the background. */
  changed(kind: LibraryKind | 'settings'): void {
    if (kind === 'settings') return;
    void this.list(kind).load();
  }

  /** Thumbnails: the Blob of a stored image, or undefined. */
  async loadImage(imageId: string): Promise<Blob | undefined> {
    try {
      return (await libraryService.getImage(imageId))?.blob;
    } catch {
      return undefined; // a missing thumbnail is not worth a message
    }
  }

  reset(): void {
    this.characters.reset();
    this.stories.reset();
    this.#tab = 'character';
  }
}

export const library = new Library();
