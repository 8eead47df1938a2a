/**
 * Reading the studio's real IndexedDB back from a page (the stores as they are, not as the UI
 * shows them): attempts with whether their image is stored, and a story's run record.
 */
import { expect, type Page } from '@playwright/test';

export interface StoredAttempt {
  id: string;
  panelId: string;
  storyId: string;
  index: number;
  imageId: string | null;
  parameters: { mode: string };
  report: { verdict: string } | null;
  /** The attempt's image is in the images store (a torn write would show). */
  hasImage: boolean;
}

export interface StoredRun {
  runId: string;
  state: string;
  items: {
    panelId: string;
    status: string;
    base: number | null;
    attempts: number;
    bestAttemptId: string | null;
  }[];
}

/** Every stored attempt of the story, in panel and index order. */
export async function storedAttempts(page: Page, storyId: string): Promise<StoredAttempt[]> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const get = <T>(store: string, all: 'getAll' | 'getAllKeys') =>
      new Promise<T>((resolve, reject) => {
        const r = db.transaction(store).objectStore(store)[all]();
        r.onsuccess = () => resolve(r.result as T);
        r.onerror = () => reject(r.error);
      });
    const list = await get<Omit<StoredAttempt, 'hasImage'>[]>('attempts', 'getAll');
    const images = new Set(await get<string[]>('images', 'getAllKeys'));
    db.close();
    return list
      .filter((a) => a.storyId === id)
      .map((a) => ({ ...a, hasImage: !!a.imageId && images.has(a.imageId) }))
      .sort((a, b) => a.panelId.localeCompare(b.panelId) || a.index - b.index);
  }, storyId);
}

/** The story's stored gate run (the record a resumed or taken-over run goes on from), or null. */
export async function storedRun(page: Page, storyId: string): Promise<StoredRun | null> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const record = await new Promise<{ value: StoredRun } | undefined>((resolve, reject) => {
      const r = db.transaction('meta').objectStore('meta').get(`gate-run:${id}`);
      r.onsuccess = () => resolve(r.result as { value: StoredRun } | undefined);
      r.onerror = () => reject(r.error);
    });
    db.close();
    return record?.value ?? null;
  }, storyId);
}

/** One stored record by key (a story, a panel), or null. */
export async function storedRecord<T>(page: Page, store: string, key: string): Promise<T | null> {
  return page.evaluate(
    async ([name, id]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('storyloom');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const value = await new Promise<unknown>((resolve, reject) => {
        const r = db.transaction(name!).objectStore(name!).get(id!);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      db.close();
      return (value ?? null) as T | null;
    },
    [store, key],
  );
}

/** The stores agree: every attempt has its image, no panel has two attempts at one index, and each
 * finished run item counts exactly the attempts stored from its base on. */
export async function expectStoresWhole(page: Page, storyId: string): Promise<void> {
  const attempts = await storedAttempts(page, storyId);
  for (const a of attempts) expect(a.hasImage, a.id).toBe(true);
  const places = attempts.map((a) => `${a.panelId}#${a.index}`);
  expect(new Set(places).size).toBe(places.length);
  const run = await storedRun(page, storyId);
  for (const item of run?.items ?? []) {
    if (item.status === 'pending' || item.status === 'running') continue;
    const mine = attempts.filter((a) => a.panelId === item.panelId && a.index >= (item.base ?? 0));
    expect(mine.length, item.panelId).toBe(item.attempts);
  }
}
