// An import that meets a full disk part-way through its one transaction: the quota sentence, and the
// library exactly as it was (the hostile corpus's quota case, at the store tier: fake-indexeddb with a
// put that fails as Chrome's does; the real-browser quota e2e is issue 16's).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoryLoomError } from '../../src/lib/domain';
import { QUOTA_MESSAGE, STORE, openStoryLoomDB, writeImport, type StoryLoomDB } from '../../src/lib/store';
import { character, PNG, story } from '../unit/dataset/fixtures';
import { freshName } from './helpers';

afterEach(() => vi.restoreAllMocks());

const image = (id: string) => ({
  id,
  blob: new Blob([PNG], { type: 'image/png' }),
  mime: 'image/png',
  width: 1,
  height: 1,
  bytes: PNG.length,
  createdAt: 1,
});

function bundle(first: number, stories: number, bundleId: string) {
  const hero = character(first, 1);
  const records = Array.from({ length: stories }, (_, i) => story(first * 100 + i, 3, [[hero]]));
  return {
    bundleId,
    bundleName: `${bundleId}.storyloom`,
    characters: [hero],
    stories: records.map((r) => r.story),
    panels: records.flatMap((r) => r.panels),
    attempts: records.flatMap((r) => r.attempts),
    images: [
      ...hero.templates.map((t) => image(t.imageId)),
      ...records.flatMap((r) => r.attempts.map((a) => image(a.imageId!))),
    ],
    replacedStories: [],
  };
}

const ALL = [
  STORE.characters,
  STORE.stories,
  STORE.panels,
  STORE.attempts,
  STORE.images,
  STORE.meta,
] as const;

async function everything(db: StoryLoomDB) {
  const out: Record<string, unknown[]> = {};
  for (const name of ALL) {
    const rows = (await db.getAll(name)) as Record<string, unknown>[];
    // Blobs compare by their bytes, not by identity.
    out[name] = await Promise.all(
      rows.map(async (r) =>
        r.blob instanceof Blob ? { ...r, blob: [...new Uint8Array(await r.blob.arrayBuffer())] } : r,
      ),
    );
  }
  return out;
}

describe('an import on a full disk', () => {
  it.each([1, 4, 9, 17])(
    'fails on put %i of its transaction with the quota sentence and leaves every store as it was',
    async (n) => {
      const db = await openStoryLoomDB(freshName('import-quota'));
      await writeImport(db, bundle(1, 2, 'first'));
      const before = await everything(db);
      expect(before[STORE.stories]).toHaveLength(2);

      const realPut = IDBObjectStore.prototype.put;
      let calls = 0;
      vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
        if (++calls === n) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return realPut.apply(this, args);
      });
      const second = bundle(2, 3, 'second');
      const error = await writeImport(db, second).catch((e: unknown) => e);
      vi.restoreAllMocks();

      expect(calls).toBeGreaterThanOrEqual(n);
      expect(error).toBeInstanceOf(StoryLoomError);
      expect((error as StoryLoomError).code).toBe('quota-exceeded');
      expect((error as StoryLoomError).message).toBe(QUOTA_MESSAGE);
      expect(await everything(db)).toEqual(before);
      db.close();
    },
  );

  it('the same import goes in whole once there is room again', async () => {
    const db = await openStoryLoomDB(freshName('import-quota'));
    await writeImport(db, bundle(1, 2, 'first'));
    await writeImport(db, bundle(2, 3, 'second'));
    const after = await everything(db);
    expect([
      after[STORE.stories]!.length,
      after[STORE.panels]!.length,
      after[STORE.attempts]!.length,
    ]).toEqual([5, 15, 15]);
    db.close();
  });
});
