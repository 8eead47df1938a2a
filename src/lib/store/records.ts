/**
 * Domain record ⇄ stored record. Writes add the derived index fields; reads strip them and
 * run the pure migrations, so callers only ever see current domain records.
 */
import type { Character, Panel, Story } from '../domain';
import { migrateCharacter, migratePanel, migrateStory } from './migrations';
import type { StoredCharacterAny } from './migrations';
import type { StoredCharacter, StoredPanel, StoredStory } from './schema';

export const searchKey = (text: string): string => text.trim().toLowerCase();

export function toStoredCharacter(character: Character): StoredCharacter {
  return { ...character, nameLower: searchKey(character.name) };
}

export function fromStoredCharacter(stored: StoredCharacter): Character {
  const { nameLower: _nameLower, ...record } = stored;
  return migrateCharacter(record as StoredCharacterAny);
}

export function toStoredStory(story: Story): StoredStory {
  return { ...story, titleLower: searchKey(story.title) };
}

export function fromStoredStory(stored: StoredStory): Story {
  const { titleLower: _titleLower, ...record } = stored;
  return migrateStory(record);
}

export function toStoredPanel(panel: Panel): StoredPanel {
  return { ...panel, castIds: panel.cast.map((member) => member.characterId) };
}

export function fromStoredPanel(stored: StoredPanel): Panel {
  const { castIds: _castIds, ...record } = stored;
  return migratePanel(record);
}
