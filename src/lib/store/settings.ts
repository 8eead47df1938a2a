import { Settings, defaultSettings, parseOrThrow } from '../domain';
import type { StoryLoomDB } from './db';
import { migrateSettings } from './migrations';
import { STORE } from './names';
import { inTransaction } from './tx';

const SETTINGS_ID = 'settings';

/** The saved settings, or the defaults when none were ever saved. */
export async function getSettings(db: StoryLoomDB): Promise<Settings> {
  const stored = await inTransaction(db, [STORE.settings], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.settings).get(SETTINGS_ID),
  );
  return stored ? migrateSettings(stored) : defaultSettings();
}

/**
 * Read, change and write the settings in one transaction, so that two writers of different fields
 * (the settings form, the Models view's active pack) never overwrite each other.
 */
export async function updateSettings(
  db: StoryLoomDB,
  change: (stored: Settings) => Settings,
): Promise<Settings> {
  // Validate before the transaction: a refusal must not leave a half-made write behind.
  const stored = await getSettings(db);
  parseOrThrow(Settings, change(stored), 'settings');
  return inTransaction(db, [STORE.settings], 'readwrite', 'save', async (tx) => {
    const store = tx.objectStore(STORE.settings);
    const raw = await store.get(SETTINGS_ID);
    const next = parseOrThrow(Settings, change(raw ? migrateSettings(raw) : defaultSettings()), 'settings');
    await store.put(next);
    return next;
  });
}

/** Save what the settings form edits; the active pack is left as it is stored. */
export function saveSettings(db: StoryLoomDB, input: Settings): Promise<Settings> {
  return updateSettings(db, (stored) => ({
    ...input,
    models: { ...input.models, activePackId: stored.models.activePackId },
  }));
}

/** Choose the pack the studio works with (null: none). */
export function setActivePack(db: StoryLoomDB, packId: string | null): Promise<Settings> {
  return updateSettings(db, (stored) => ({ ...stored, models: { ...stored.models, activePackId: packId } }));
}
