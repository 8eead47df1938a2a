/**
 * The in-memory list behind listAll and search: one compact row per record plus a lower-cased
 * haystack, built once from the store and then kept in sync by our writes and other tabs' notices.
 * 12,000 rows are a few megabytes; a substring scan over them takes milliseconds.
 */
import type { Character, Story } from '../domain';
import type { LibraryRow } from './api';

export interface IndexEntry {
  row: Readonly<LibraryRow>;
  haystack: string;
}

const SUBTITLE_MAX = 140;

export function characterEntry(character: Character): IndexEntry {
  const row: LibraryRow = {
    kind: 'character',
    id: character.id,
    title: character.name,
    subtitle: clip([character.artStyle, character.hair].filter(Boolean).join(' · ')),
    updatedAt: character.updatedAt,
    thumbImageId: character.templates[0]?.imageId ?? null,
    verified: character.verified,
  };
  const text = [character.name, character.artStyle, character.hair, character.notes, character.species];
  return { row: Object.freeze(row), haystack: text.join('\n').toLowerCase() };
}

export function storyEntry(story: Story): IndexEntry {
  const row: LibraryRow = {
    kind: 'story',
    id: story.id,
    title: story.title,
    subtitle: clip(story.premise),
    updatedAt: story.updatedAt,
    thumbImageId: story.coverImageId ?? null,
    panelCount: story.panelIds.length,
  };
  return {
    row: Object.freeze(row),
    haystack: [story.title, story.premise, story.style].join('\n').toLowerCase(),
  };
}

/** Every whitespace-separated term must occur somewhere (so "mira red" finds "Mira … red scarf"). */
export function queryTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

export class LibraryIndex {
  readonly #entries = new Map<string, IndexEntry>();
  #sorted: IndexEntry[] | null = null;
  #loading: Promise<void> | null = null;
  #loaded = false;
  /** Bumped by reset, so a load that was running when the service closed is thrown away. */
  #generation = 0;
  /** Writes that land while the first load is reading: applied on top of what it read. */
  readonly #pending = new Map<string, IndexEntry | null>();

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Load once; concurrent callers share the same load. A failed load can be retried. */
  ensure(load: () => Promise<IndexEntry[]>): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    const generation = this.#generation;
    this.#loading ??= load().then(
      (entries) => {
        if (generation === this.#generation) this.#finishLoad(entries);
      },
      (e: unknown) => {
        if (generation === this.#generation) this.#loading = null;
        throw e;
      },
    );
    return this.#loading;
  }

  upsert(entry: IndexEntry): void {
    if (!this.#loaded) {
      if (this.#loading) this.#pending.set(entry.row.id, entry);
      return;
    }
    this.#entries.set(entry.row.id, entry);
    this.#sorted = null;
  }

  remove(id: string): void {
    if (!this.#loaded) {
      if (this.#loading) this.#pending.set(id, null);
      return;
    }
    if (this.#entries.delete(id)) this.#sorted = null;
  }

  rows(): LibraryRow[] {
    return this.#newestFirst().map((entry) => entry.row);
  }

  search(query: string, limit = Number.POSITIVE_INFINITY): LibraryRow[] {
    const terms = queryTerms(query);
    const found: LibraryRow[] = [];
    for (const entry of this.#newestFirst()) {
      if (found.length >= limit) break;
      if (terms.every((term) => entry.haystack.includes(term))) found.push(entry.row);
    }
    return found;
  }

  reset(): void {
    this.#entries.clear();
    this.#pending.clear();
    this.#sorted = null;
    this.#loading = null;
    this.#loaded = false;
    this.#generation += 1;
  }

  #finishLoad(entries: IndexEntry[]): void {
    for (const entry of entries) this.#entries.set(entry.row.id, entry);
    for (const [id, entry] of this.#pending) {
      if (entry) this.#entries.set(id, entry);
      else this.#entries.delete(id);
    }
    this.#pending.clear();
    this.#sorted = null;
    this.#loaded = true;
  }

  #newestFirst(): IndexEntry[] {
    this.#sorted ??= [...this.#entries.values()].sort(
      (a, b) => b.row.updatedAt - a.row.updatedAt || (a.row.id < b.row.id ? -1 : 1),
    );
    return this.#sorted;
  }
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= SUBTITLE_MAX ? oneLine : `${oneLine.slice(0, SUBTITLE_MAX - 1)}…`;
}
