/**
 * The Library façade: characters, stories, images, settings and storage, over IndexedDB.
 * The first page of the Library comes straight from the by-updatedAt index; the full list and
 * search come from an in-memory index built once and kept in sync (our writes, other tabs' notices).
 */
import { StoryLoomError, newId } from '../domain';
import type { Character, ImageRecord, Panel, Settings, Story } from '../domain';
import * as store from '../store';
import type { ChangeMessage, StoryLoomDB } from '../store';
import type { LibraryRow, LibraryService, StorageEstimate, StorageEvent, StoryWithPanels } from './api';
import { checkReferenceImage } from './image-file';
import type { DecodeSize } from './image-file';
import { LibraryIndex, characterEntry, storyEntry } from './library-index';

type Kind = LibraryRow['kind'];

/** The part of navigator.storage we use; injectable so tests need no browser. */
export interface StorageManagerLike {
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  persisted?: () => Promise<boolean>;
  persist?: () => Promise<boolean>;
}

export interface LibraryServiceOptions {
  /** Database name; tests pass a fresh one. The cross-tab channel has the same name. */
  dbName?: string;
  now?: () => number;
  /** Pixel size of a decodable image; default createImageBitmap, or the header parser when missing. */
  decodeImage?: DecodeSize | null;
  storage?: StorageManagerLike | null;
}

export class LibraryServiceImpl implements LibraryService {
  readonly #dbName: string;
  readonly #now: () => number;
  readonly #decodeImage: DecodeSize | null | undefined;
  readonly #storage: StorageManagerLike | null;
  readonly #listeners = new Set<(event: StorageEvent) => void>();
  readonly #index: Record<Kind, LibraryIndex> = { character: new LibraryIndex(), story: new LibraryIndex() };
  #opening: Promise<StoryLoomDB> | null = null;
  #db: StoryLoomDB | null = null;
  #channel: store.ChangeChannel | null = null;
  #stale = false;

  constructor(options: LibraryServiceOptions = {}) {
    this.#dbName = options.dbName ?? store.DB.name;
    this.#now = options.now ?? Date.now;
    this.#decodeImage = options.decodeImage;
    this.#storage = options.storage === undefined ? browserStorage() : options.storage;
  }

  /** The database (and cross-tab channel) name this service uses. */
  get dbName(): string {
    return this.#dbName;
  }

  // ---------------------------------------------------------------- connection

  /**
   * The page's one connection to the database (tldraw's LocalIndexedDb: one owner). The engine,
   * gate and judge services read and write through it; nothing else opens the database.
   */
  db(): Promise<StoryLoomDB> {
    return this.#connection();
  }

  /** Tell the other tabs that a record changed (the gate, the judge and attempts call it after a commit). */
  changed(kind: 'panel' | 'attempt' | 'run', id: string): void {
    this.#channel?.post(kind, id);
  }

  async open(): Promise<void> {
    await this.#connection();
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
    this.#opening = null;
    this.#channel?.close();
    this.#channel = null;
    this.#index.character.reset();
    this.#index.story.reset();
  }

  onEvent(listener: (event: StorageEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------------------------------------------------------------- library list

  async listRecent(kind: Kind, limit: number): Promise<LibraryRow[]> {
    const db = await this.#connection();
    if (limit <= 0) return [];
    if (kind === 'character')
      return (await store.listRecentCharacters(db, limit)).map((c) => characterEntry(c).row);
    return (await store.listRecentStories(db, limit)).map((s) => storyEntry(s).row);
  }

  async listAll(kind: Kind): Promise<LibraryRow[]> {
    return (await this.#loadedIndex(kind)).rows();
  }

  async search(query: string, kind: Kind, limit?: number): Promise<LibraryRow[]> {
    return (await this.#loadedIndex(kind)).search(query, limit);
  }

  async count(kind: Kind): Promise<number> {
    const db = await this.#connection();
    return kind === 'character' ? store.countCharacters(db) : store.countStories(db);
  }

  // ---------------------------------------------------------------- characters

  async getCharacter(id: string): Promise<Character | undefined> {
    return store.getCharacter(await this.#connection(), id);
  }

  async listCharacters(): Promise<Character[]> {
    return store.listCharacters(await this.#connection());
  }

  async saveCharacter(character: Character): Promise<Character> {
    const saved = await store.saveCharacter(await this.#connection(), character, this.#now());
    return this.#characterChanged(saved);
  }

  async deleteCharacter(id: string): Promise<void> {
    await store.deleteCharacter(await this.#connection(), id);
    this.#removed('character', id);
  }

  async addTemplateImage(characterId: string, file: Blob): Promise<Character> {
    const db = await this.#connection();
    // Everything slow (reading, decoding) happens before the transaction opens.
    const checked = await checkReferenceImage(file, this.#decodeImage);
    const now = this.#now();
    const image: ImageRecord = {
      id: newId(),
      blob: file.type === checked.mime ? file : file.slice(0, file.size, checked.mime),
      mime: checked.mime,
      width: checked.width,
      height: checked.height,
      bytes: checked.bytes,
      createdAt: now,
    };
    return this.#characterChanged(await store.addTemplateImage(db, characterId, image, now));
  }

  async removeTemplateImage(characterId: string, imageId: string): Promise<Character> {
    const db = await this.#connection();
    return this.#characterChanged(await store.removeTemplateImage(db, characterId, imageId, this.#now()));
  }

  // ---------------------------------------------------------------- stories

  async getStory(id: string): Promise<StoryWithPanels | undefined> {
    return store.getStoryWithPanels(await this.#connection(), id);
  }

  async saveStoryWithPanels(story: Story, panels: Panel[]): Promise<StoryWithPanels> {
    const saved = await store.saveStoryWithPanels(await this.#connection(), story, panels, this.#now());
    this.#index.story.upsert(storyEntry(saved.story));
    this.#channel?.post('story', saved.story.id);
    return saved;
  }

  async deleteStory(id: string): Promise<void> {
    await store.deleteStory(await this.#connection(), id);
    this.#removed('story', id);
  }

  // ---------------------------------------------------------------- images, settings

  async getImage(id: string): Promise<ImageRecord | undefined> {
    return store.getImage(await this.#connection(), id);
  }

  async getSettings(): Promise<Settings> {
    return store.getSettings(await this.#connection());
  }

  async saveSettings(settings: Settings): Promise<Settings> {
    const saved = await store.saveSettings(await this.#connection(), settings);
    this.#channel?.post('settings', saved.id);
    return saved;
  }

  /** The pack the studio draws, judges and plans with (the Models view chooses it). */
  async setActivePack(packId: string | null): Promise<Settings> {
    const saved = await store.setActivePack(await this.#connection(), packId);
    this.#channel?.post('settings', saved.id);
    return saved;
  }

  // ---------------------------------------------------------------- storage

  async estimate(): Promise<StorageEstimate> {
    const storage = this.#storage;
    if (!storage?.estimate) return { usage: 0, quota: 0, persisted: false };
    const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted?.() ?? false]);
    return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  }

  async requestPersistence(): Promise<boolean> {
    return (await this.#storage?.persist?.()) ?? false;
  }

  // ---------------------------------------------------------------- internals

  #connection(): Promise<StoryLoomDB> {
    if (this.#stale) return Promise.reject(new StoryLoomError('stale-tab', store.STALE_TAB_MESSAGE));
    this.#opening ??= store
      .openStoryLoomDB(this.#dbName, {
        onStale: () => this.#becomeStale(),
        onBlocked: () => this.#emit({ type: 'blocked', message: store.BLOCKED_MESSAGE }),
        onTerminated: () => this.close(),
      })
      .then(
        (db) => {
          this.#db = db;
          this.#channel ??= new store.ChangeChannel(
            this.#dbName,
            (message) => void this.#onRemoteChange(message),
          );
          return db;
        },
        (e: unknown) => {
          this.#opening = null;
          throw e;
        },
      );
    return this.#opening;
  }

  #becomeStale(): void {
    // The connection is already closed (store/db.ts); from now on every call explains why it fails.
    this.close();
    this.#stale = true;
    this.#emit({ type: 'stale-tab', message: store.STALE_TAB_MESSAGE });
  }

  async #loadedIndex(kind: Kind): Promise<LibraryIndex> {
    const db = await this.#connection();
    const index = this.#index[kind];
    await index.ensure(async () =>
      kind === 'character'
        ? (await store.listCharacters(db)).map(characterEntry)
        : (await store.listStories(db)).map(storyEntry),
    );
    return index;
  }

  #characterChanged(character: Character): Character {
    this.#index.character.upsert(characterEntry(character));
    this.#channel?.post('character', character.id);
    return character;
  }

  #removed(kind: Kind, id: string): void {
    this.#index[kind].remove(id);
    this.#channel?.post(kind, id);
  }

  /** Another tab wrote something: refresh that one row, then tell our listeners. */
  async #onRemoteChange(message: ChangeMessage): Promise<void> {
    const kind = message.kind;
    try {
      if (kind === 'character' || kind === 'story') await this.#refreshRow(kind, message.id);
    } catch (e) {
      // A newer StoryLoom rewrote it: this tab cannot show it any more (opening it explains why).
      // Any other failure leaves the row as it was; the listener's own reload will surface it.
      if ((kind === 'character' || kind === 'story') && (e as { code?: string }).code === 'schema-too-new')
        this.#index[kind].remove(message.id);
    }
    this.#emit(message);
  }

  async #refreshRow(kind: Kind, id: string): Promise<void> {
    const index = this.#index[kind];
    if (!index.loaded || !this.#db) return;
    const db = this.#db;
    const entry =
      kind === 'character'
        ? mapDefined(await store.getCharacter(db, id), characterEntry)
        : mapDefined(await store.getStory(db, id), storyEntry);
    if (entry) index.upsert(entry);
    else index.remove(id);
  }

  #emit(event: StorageEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // One broken listener must not keep the others from hearing about a stale tab.
      }
    }
  }
}

export function createLibraryService(options: LibraryServiceOptions = {}): LibraryServiceImpl {
  return new LibraryServiceImpl(options);
}

/** The app's one library service (database 'storyloom'). Nothing is opened until first use. */
export const libraryService: LibraryService = createLibraryService();

function mapDefined<T, R>(value: T | undefined, map: (value: T) => R): R | undefined {
  return value === undefined ? undefined : map(value);
}

function browserStorage(): StorageManagerLike | null {
  return typeof navigator !== 'undefined' && navigator.storage ? navigator.storage : null;
}
