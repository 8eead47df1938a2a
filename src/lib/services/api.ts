/**
 * The contract between the UI (state classes) and the services. Types only.
 * The UI never touches IndexedDB, workers or models: it calls these.
 */
import type { Character, ImageRecord, Panel, Settings, Story } from '../domain';
import type { ChangeKind, StoryLoomDB } from '../store';

/** One row of the Library list (kept small: the list can hold tens of thousands). */
export interface LibraryRow {
  kind: 'character' | 'story';
  id: string;
  title: string;
  /** A short second line: art style and hair for characters, premise for stories. */
  subtitle: string;
  updatedAt: number;
  /** Image id of a small thumbnail, or null. */
  thumbImageId: string | null;
  /** Characters: verified flag; stories: number of panels. */
  verified?: boolean;
  panelCount?: number;
}

export interface StorageEstimate {
  usage: number;
  quota: number;
  persisted: boolean;
}

/** Things that happen to the library from outside this call (another tab, the browser). */
export type StorageEvent =
  | { type: 'changed'; kind: ChangeKind; id: string } // another tab wrote this
  | { type: 'stale-tab'; message: string } // a newer version of StoryLoom opened the database: reload
  | { type: 'blocked'; message: string }; // an older tab keeps the database from upgrading

export interface StoryWithPanels {
  story: Story;
  panels: Panel[];
}

export interface LibraryService {
  /** Open (and upgrade) the database. Idempotent. */
  open(): Promise<void>;

  // Library list: first page fast, then the whole list for search.
  listRecent(kind: 'character' | 'story', limit: number): Promise<LibraryRow[]>;
  listAll(kind: 'character' | 'story'): Promise<LibraryRow[]>;
  /** Case-insensitive search in names, titles and text fields (premise, notes, captions are not required). */
  search(query: string, kind: 'character' | 'story', limit?: number): Promise<LibraryRow[]>;
  count(kind: 'character' | 'story'): Promise<number>;

  // Characters. save* validates (throws StoryLoomError 'invalid-input' with a sentence) and writes in one transaction.
  getCharacter(id: string): Promise<Character | undefined>;
  listCharacters(): Promise<Character[]>;
  saveCharacter(character: Character): Promise<Character>;
  deleteCharacter(id: string): Promise<void>;
  /**
   * Validate and store a reference image (PNG, JPEG or WebP, at most 10 MB, decodable, 32..4096 px a side)
   * and append it to the character's templates in the same transaction. Returns the updated character.
   * Bad files throw StoryLoomError('unsupported-file' | 'file-too-large') and nothing is written.
   */
  addTemplateImage(characterId: string, file: Blob): Promise<Character>;
  removeTemplateImage(characterId: string, imageId: string): Promise<Character>;

  // Stories and panels. saveStoryWithPanels writes story + all its panels in one transaction
  // and deletes panels no longer listed in story.panelIds.
  getStory(id: string): Promise<StoryWithPanels | undefined>;
  saveStoryWithPanels(story: Story, panels: Panel[]): Promise<StoryWithPanels>;
  deleteStory(id: string): Promise<void>;

  // Images (Blobs in their own store, referenced by id).
  getImage(id: string): Promise<ImageRecord | undefined>;

  // Settings.
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<Settings>;
  /** The page's one database connection (the other services read and write through it). */
  db(): Promise<StoryLoomDB>;
  /** Tell the other tabs that a panel's status, a panel's attempts or a story's run changed. */
  changed(kind: 'panel' | 'attempt' | 'run', id: string): void;
  /** Choose the model pack the studio works with (null: none); the settings form never changes it. */
  setActivePack(packId: string | null): Promise<Settings>;

  // Storage.
  estimate(): Promise<StorageEstimate>;
  requestPersistence(): Promise<boolean>;
  onEvent(listener: (event: StorageEvent) => void): () => void;
  close(): void;
}
