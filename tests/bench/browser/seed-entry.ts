/**
 * Browser side of the bench seed. Bundled on its own into `.bench/seed-dist/seed.js` and served only by
 * the bench (as /__bench/seed.js, same origin as the app, so it writes the app's IndexedDB). The app
 * bundle never contains it.
 *
 * It writes through the store's own code: the store opens (and upgrades) the database, the store's
 * record mappers add the derived index fields, the store's transaction helper runs each batch. The store
 * only saves one character / one story per transaction (with a read-back of every cast member), which
 * would take minutes for 12,000 records, so this module is the bulk path: one transaction per batch,
 * every put issued at once and awaited together.
 */
import { Character, parseOrThrow } from '../../../src/lib/domain';
import {
  DB,
  STORE,
  openStoryLoomDB,
  toStoredCharacter,
  toStoredPanel,
  toStoredStory,
} from '../../../src/lib/store/index';
import { validateStoryWithPanels } from '../../../src/lib/store/stories';
import { inTransaction } from '../../../src/lib/store/tx';
import type { ImageRecord } from '../../../src/lib/domain';
import { THUMB_MIME, makeCharacter, makeStory } from '../data';
import type { BenchSpec, ThumbSpec } from '../data';

export interface SeedOptions extends BenchSpec {
  batchSize: number;
  /** Validate every `validateEvery`-th record with the domain schemas (1 = all). */
  validateEvery: number;
}

export interface LibraryCounts {
  characters: number;
  stories: number;
  panels: number;
  images: number;
}

export interface SeedResult extends LibraryCounts {
  dbName: string;
  dbVersion: number;
  ms: { characters: number; stories: number; thumbnails: number; validation: number; total: number };
}

declare global {
  interface Window {
    /** Exposed by the Node side (page.exposeFunction) to print progress; optional. */
    __benchProgress?: (line: string) => Promise<void>;
  }
}

const progress = (line: string): void => {
  void window.__benchProgress?.(line);
};

// ------------------------------------------------------------------ thumbnails

/** A tiny deterministic picture: background, a few blobs of colour, a head for characters. */
async function drawThumb(spec: ThumbSpec, kind: 'character' | 'story'): Promise<ImageRecord> {
  const canvas = new OffscreenCanvas(spec.width, spec.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available in this browser.');
  const [bg = '#888888', a = '#444444', b = '#cccccc', c = '#222222'] = spec.colours;
  const s = (i: number) => spec.shapes[i % spec.shapes.length] ?? 0.5;
  const { width: w, height: h } = spec;
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, w, h);
  if (kind === 'character') {
    ctx.fillStyle = a; // body
    ctx.fillRect(w * 0.2, h * 0.62, w * 0.6, h * 0.38);
    ctx.fillStyle = b; // head
    ctx.beginPath();
    ctx.arc(w / 2, h * 0.4, w * (0.18 + s(0) * 0.06), 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = c; // hair
    ctx.beginPath();
    ctx.arc(w / 2, h * 0.33, w * (0.2 + s(1) * 0.05), Math.PI, 0);
    ctx.fill();
  } else {
    ctx.fillStyle = a; // ground
    ctx.fillRect(0, h * (0.6 + s(0) * 0.2), w, h);
    for (let i = 0; i < 3; i++) {
      ctx.fillStyle = [b, c, a][i] ?? c;
      ctx.beginPath();
      ctx.arc(w * s(i + 1), h * (0.3 + s(i + 4) * 0.4), 3 + s(i + 2) * 8, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  const blob = await canvas.convertToBlob({ type: THUMB_MIME, quality: 0.8 });
  return {
    id: spec.imageId,
    blob,
    mime: blob.type || THUMB_MIME,
    width: w,
    height: h,
    bytes: blob.size,
    createdAt: 0,
  };
}

// ------------------------------------------------------------------ seeding

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const ms = { characters: 0, stories: 0, thumbnails: 0, validation: 0, total: 0 };
  const db = await openStoryLoomDB();
  try {
    const counts: LibraryCounts = { characters: 0, stories: 0, panels: 0, images: 0 };

    for (let start = 0; start < options.characters; start += options.batchSize) {
      const t = performance.now();
      const batch = range(start, Math.min(start + options.batchSize, options.characters)).map((i) =>
        makeCharacter(options, i),
      );
      const tv = performance.now();
      batch.forEach((r, i) => {
        if ((start + i) % options.validateEvery === 0) parseOrThrow(Character, r.character, 'character');
      });
      ms.validation += performance.now() - tv;
      const tt = performance.now();
      // Blobs are made before the transaction: nothing but IDB may be awaited inside one.
      const images = await Promise.all(batch.map((r) => drawThumb(r.thumb, 'character')));
      ms.thumbnails += performance.now() - tt;
      await inTransaction(db, [STORE.characters, STORE.images], 'readwrite', 'save', async (tx) => {
        const characters = tx.objectStore(STORE.characters);
        const imageStore = tx.objectStore(STORE.images);
        await Promise.all([
          ...images.map((image, i) =>
            imageStore.put({ ...image, createdAt: batch[i]?.character.createdAt ?? 0 }),
          ),
          ...batch.map((r) => characters.put(toStoredCharacter(r.character))),
        ]);
      });
      counts.characters += batch.length;
      counts.images += images.length;
      ms.characters += performance.now() - t;
      progress(`characters ${counts.characters}/${options.characters}`);
    }

    for (let start = 0; start < options.stories; start += options.batchSize) {
      const t = performance.now();
      const batch = range(start, Math.min(start + options.batchSize, options.stories)).map((i) =>
        makeStory(options, i),
      );
      const tv = performance.now();
      batch.forEach((r, i) => {
        if ((start + i) % options.validateEvery === 0) validateStoryWithPanels(r.story, r.panels);
      });
      ms.validation += performance.now() - tv;
      const tt = performance.now();
      const images = await Promise.all(batch.map((r) => drawThumb(r.thumb, 'story')));
      ms.thumbnails += performance.now() - tt;
      await inTransaction(
        db,
        [STORE.stories, STORE.panels, STORE.images],
        'readwrite',
        'save',
        async (tx) => {
          const stories = tx.objectStore(STORE.stories);
          const panels = tx.objectStore(STORE.panels);
          const imageStore = tx.objectStore(STORE.images);
          await Promise.all([
            ...images.map((image, i) =>
              imageStore.put({ ...image, createdAt: batch[i]?.story.createdAt ?? 0 }),
            ),
            ...batch.map((r) => stories.put(toStoredStory(r.story))),
            ...batch.flatMap((r) => r.panels.map((p) => panels.put(toStoredPanel(p)))),
          ]);
        },
      );
      counts.stories += batch.length;
      counts.panels += batch.reduce((n, r) => n + r.panels.length, 0);
      counts.images += images.length;
      ms.stories += performance.now() - t;
      progress(`stories ${counts.stories}/${options.stories} (${counts.panels} panels)`);
    }

    ms.total = performance.now() - t0;
    return { ...counts, dbName: DB.name, dbVersion: db.version, ms };
  } finally {
    db.close();
  }
}

/** What the profile holds now, read with plain IndexedDB (no upgrade): null when there is no database. */
export async function inspect(): Promise<
  (LibraryCounts & { dbName: string; dbVersion: number; codeVersion: number }) | null
> {
  const known = await indexedDB.databases();
  if (!known.some((d) => d.name === DB.name)) return null;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB.name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error(`Could not open ${DB.name}.`));
  });
  try {
    const count = (name: string) =>
      new Promise<number>((resolve, reject) => {
        if (!db.objectStoreNames.contains(name)) return resolve(0);
        const request = db.transaction(name, 'readonly').objectStore(name).count();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error(`Could not count ${name}.`));
      });
    const [characters, stories, panels, images] = await Promise.all(
      [STORE.characters, STORE.stories, STORE.panels, STORE.images].map(count),
    );
    return {
      characters: characters ?? 0,
      stories: stories ?? 0,
      panels: panels ?? 0,
      images: images ?? 0,
      dbName: DB.name,
      dbVersion: db.version,
      codeVersion: DB.version,
    };
  } finally {
    db.close();
  }
}

/** Delete the app's database (to reseed from nothing). Fails if another page keeps it open. */
export function reset(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB.name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`Could not delete ${DB.name}.`));
    request.onblocked = () =>
      reject(new Error(`Could not delete ${DB.name}: another page of ${location.origin} keeps it open.`));
  });
}
