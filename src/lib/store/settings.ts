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

export async function saveSettings(db: StoryLoomDB, input: Settings): Promise<Settings> {
  const settings = parseOrThrow(Settings, input, 'settings');
  await inTransaction(db, [STORE.settings], 'readwrite', 'save', (tx) =>
    tx.objectStore(STORE.settings).put(settings),
  );
  return settings;
}
