/**
 * The database ladder. Each step runs once, when the database was older than its version, and is
 * safe to run again (it checks before it creates). Structure first, synchronously, while the
 * versionchange transaction is certainly active; then the record rewrites, which await only IDB.
 *
 * History:
 *   v1  characters, stories (by-updatedAt). Characters at record schemaVersion 1 (free-text outfit).
 *   v2  panels (by-storyId), images, settings. Stories gain coverImageId. Character schemaVersion 2
 *       shipped while the database stayed at v2, so a v2 database holds both character shapes.
 *   v3  attempts (by-panelId, by-storyId), meta; search indexes by-nameLower / by-titleLower and the
 *       multiEntry panels by-castIds. Every record is rewritten to fill the derived index fields,
 *       and characters are migrated to the current schemaVersion on the way.
 *   v4  no new structure. Panels move to schemaVersion 2 (the status machine): v1's "accepted" becomes
 *       "accepted" or "overridden" when the accepted attempt carries the artist's decision, else
 *       "passed" (the gate accepted it); "queued" and "generating" become "draft".
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import type { Attempt, Panel } from '../domain';
import { isTooNew, migratePanel, type PanelV1 } from './migrations';
import { INDEX, META, STORE } from './names';
import type { StoreName } from './names';
import {
  fromStoredCharacter,
  fromStoredStory,
  toStoredCharacter,
  toStoredPanel,
  toStoredStory,
} from './records';
import type { StoryLoomSchema } from './schema';

type Db = IDBPDatabase<StoryLoomSchema>;
type UpgradeTx = IDBPTransaction<StoryLoomSchema, StoreName[], 'versionchange'>;

export function upgradeStructure(db: Db, tx: UpgradeTx, oldVersion: number): void {
  if (oldVersion < 1) {
    ensureStore(db, STORE.characters);
    ensureIndex(tx, STORE.characters, INDEX.characters.updatedAt, 'updatedAt');
    ensureStore(db, STORE.stories);
    ensureIndex(tx, STORE.stories, INDEX.stories.updatedAt, 'updatedAt');
  }
  if (oldVersion < 2) {
    ensureStore(db, STORE.panels);
    ensureIndex(tx, STORE.panels, INDEX.panels.storyId, 'storyId');
    ensureStore(db, STORE.images);
    ensureStore(db, STORE.settings);
  }
  if (oldVersion < 3) {
    ensureStore(db, STORE.attempts);
    ensureIndex(tx, STORE.attempts, INDEX.attempts.panelId, 'panelId');
    ensureIndex(tx, STORE.attempts, INDEX.attempts.storyId, 'storyId');
    ensureStore(db, STORE.meta, 'key');
    ensureIndex(tx, STORE.characters, INDEX.characters.nameLower, 'nameLower');
    ensureIndex(tx, STORE.stories, INDEX.stories.titleLower, 'titleLower');
    ensureIndex(tx, STORE.panels, INDEX.panels.castIds, 'castIds', { multiEntry: true });
  }
}

export async function upgradeRecords(tx: UpgradeTx, oldVersion: number, newVersion: number): Promise<void> {
  // A brand-new database has no records to rewrite.
  if (oldVersion === 0) return writeUpgradeLog(tx, oldVersion, newVersion);
  if (oldVersion < 2) await addCoverImageIds(tx);
  if (oldVersion < 3) {
    await rewriteCharacters(tx);
    await rewriteStories(tx);
    await rewritePanels(tx);
  }
  if (oldVersion < 4) await panelStatuses(tx);
  await writeUpgradeLog(tx, oldVersion, newVersion);
}

function ensureStore(db: Db, name: StoreName, keyPath = 'id'): void {
  if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath });
}

function ensureIndex(
  tx: UpgradeTx,
  storeName: StoreName,
  indexName: string,
  keyPath: string,
  options: IDBIndexParameters = {},
): void {
  const store = tx.objectStore(storeName);
  // idb types index names per store; the ladder works on names from the constant table.
  const untyped = store as unknown as {
    indexNames: DOMStringList;
    createIndex: IDBObjectStore['createIndex'];
  };
  if (!untyped.indexNames.contains(indexName)) untyped.createIndex(indexName, keyPath, options);
}

async function addCoverImageIds(tx: UpgradeTx): Promise<void> {
  let cursor = await tx.objectStore(STORE.stories).openCursor();
  while (cursor) {
    if (cursor.value.coverImageId === undefined) await cursor.update({ ...cursor.value, coverImageId: null });
    cursor = await cursor.continue();
  }
}

async function rewriteCharacters(tx: UpgradeTx): Promise<void> {
  let cursor = await tx.objectStore(STORE.characters).openCursor();
  while (cursor) {
    // A record from the future stays as it is; reading it will refuse it with a sentence.
    if (!isTooNew('character', cursor.value)) {
      await cursor.update(toStoredCharacter(fromStoredCharacter(cursor.value)));
    }
    cursor = await cursor.continue();
  }
}

async function rewriteStories(tx: UpgradeTx): Promise<void> {
  let cursor = await tx.objectStore(STORE.stories).openCursor();
  while (cursor) {
    if (!isTooNew('story', cursor.value)) await cursor.update(toStoredStory(fromStoredStory(cursor.value)));
    cursor = await cursor.continue();
  }
}

async function rewritePanels(tx: UpgradeTx): Promise<void> {
  let cursor = await tx.objectStore(STORE.panels).openCursor();
  while (cursor) {
    // castIds only needs the cast list, which every panel version has.
    await cursor.update(toStoredPanel(cursor.value));
    cursor = await cursor.continue();
  }
}

async function panelStatuses(tx: UpgradeTx): Promise<void> {
  let cursor = await tx.objectStore(STORE.panels).openCursor();
  while (cursor) {
    const raw = cursor.value as unknown as PanelV1;
    if (raw.schemaVersion === 1) {
      let status: Panel['status'] = migratePanel(raw).status;
      if (raw.status === 'accepted') {
        const attempt = raw.acceptedAttemptId
          ? ((await tx.objectStore(STORE.attempts).get(raw.acceptedAttemptId)) as Attempt | undefined)
          : undefined;
        const decision = attempt?.report?.artistDecision?.decision;
        status = decision === 'override' ? 'overridden' : decision === 'accept' ? 'accepted' : 'passed';
      }
      await cursor.update(toStoredPanel({ ...migratePanel(raw), status }));
    }
    cursor = await cursor.continue();
  }
}

async function writeUpgradeLog(tx: UpgradeTx, fromVersion: number, toVersion: number): Promise<void> {
  await tx
    .objectStore(STORE.meta)
    .put({ key: META.lastUpgrade, value: { fromVersion, toVersion, at: Date.now() } });
}
