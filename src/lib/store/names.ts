/**
 * Every IndexedDB name StoryLoom uses, in one place. Names are stored in users' browsers:
 * never rename one; add a new name and a ladder step instead.
 */
export const DB = {
  name: 'storyloom',
  /** Bump together with a new `if (oldVersion < N)` step in upgrade.ts and a fixture in tests/fixtures/db. */
  version: 4,
  // The cross-tab BroadcastChannel is named after the database ('storyloom'), so test databases stay apart.
} as const;

export const STORE = {
  characters: 'characters',
  stories: 'stories',
  panels: 'panels',
  attempts: 'attempts',
  images: 'images',
  settings: 'settings',
  meta: 'meta',
} as const;

export type StoreName = (typeof STORE)[keyof typeof STORE];

export const INDEX = {
  characters: { updatedAt: 'by-updatedAt', nameLower: 'by-nameLower' },
  stories: { updatedAt: 'by-updatedAt', titleLower: 'by-titleLower' },
  panels: { storyId: 'by-storyId', castIds: 'by-castIds' },
  attempts: { panelId: 'by-panelId', storyId: 'by-storyId' },
} as const;

/** Keys of the meta store. */
export const META = {
  /** The last structural upgrade: { fromVersion, toVersion, at }. */
  lastUpgrade: 'last-upgrade',
  /** Quality-gate run records, one per story: `gate-run:<storyId>` (runs.ts). */
  gateRunPrefix: 'gate-run:',
} as const;
