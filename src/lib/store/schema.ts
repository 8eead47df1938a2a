/**
 * The shapes records have ON DISK. They are the domain records plus a few derived fields that
 * exist only so IndexedDB can index them (it cannot lower-case a name or look inside an array
 * of objects). Repositories add these on write and strip them on read.
 */
import type { DBSchema } from 'idb';
import type { Attempt, ImageRecord, Panel, Settings, Story } from '../domain';
import type { CharacterV1, StoredCharacterAny } from './migrations';
import { INDEX, STORE } from './names';

export interface SearchFieldsCharacter {
  /** name.toLowerCase(): the by-nameLower index. */
  nameLower: string;
}
export interface SearchFieldsStory {
  /** title.toLowerCase(): the by-titleLower index. */
  titleLower: string;
}
export interface SearchFieldsPanel {
  /** cast[].characterId: the multiEntry by-castIds index (which panels show this character?). */
  castIds: string[];
}

export type StoredCharacter = StoredCharacterAny & Partial<SearchFieldsCharacter>;
export type StoredStory = Story & Partial<SearchFieldsStory>;
export type StoredPanel = Panel & Partial<SearchFieldsPanel>;

export interface MetaRecord {
  key: string;
  value: unknown;
}

export interface StoryLoomSchema extends DBSchema {
  [STORE.characters]: {
    key: string;
    value: StoredCharacter;
    indexes: { [INDEX.characters.updatedAt]: number; [INDEX.characters.nameLower]: string };
  };
  [STORE.stories]: {
    key: string;
    value: StoredStory;
    indexes: { [INDEX.stories.updatedAt]: number; [INDEX.stories.titleLower]: string };
  };
  [STORE.panels]: {
    key: string;
    value: StoredPanel;
    indexes: { [INDEX.panels.storyId]: string; [INDEX.panels.castIds]: string };
  };
  [STORE.attempts]: {
    key: string;
    value: Attempt;
    indexes: { [INDEX.attempts.panelId]: string; [INDEX.attempts.storyId]: string };
  };
  [STORE.images]: { key: string; value: ImageRecord };
  [STORE.settings]: { key: string; value: Settings };
  [STORE.meta]: { key: string; value: MetaRecord };
}

export type { CharacterV1 };
