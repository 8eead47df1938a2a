/**
 * Test helpers for the store tier: fixture databases built with raw IndexedDB, fresh names,
 * and small valid records.
 */
import { newCastMember, newCharacter, newPanel, newStory } from '../../src/lib/domain';
import type { Character, Panel, Story } from '../../src/lib/domain';
import { createLibraryService } from '../../src/lib/services/library.service';
import type { LibraryServiceImpl, LibraryServiceOptions } from '../../src/lib/services/library.service';

export interface FixtureIndex {
  name: string;
  keyPath: string | string[];
  unique?: boolean;
  multiEntry?: boolean;
}
export interface FixtureStore {
  name: string;
  keyPath: string;
  indexes: FixtureIndex[];
  records: unknown[];
}
export interface DbFixture {
  version: number;
  description: string;
  stores: FixtureStore[];
}

let counter = 0;
export const freshName = (label = 'test'): string => `storyloom-${label}-${Date.now()}-${++counter}`;

/** Build a database exactly as the fixture describes, with raw IndexedDB (no store code involved). */
export function buildFixtureDb(name: string, fixture: DbFixture): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, fixture.version);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const spec of fixture.stores) {
        const store = db.createObjectStore(spec.name, { keyPath: spec.keyPath });
        for (const index of spec.indexes) {
          store.createIndex(index.name, index.keyPath, {
            unique: index.unique ?? false,
            multiEntry: index.multiEntry ?? false,
          });
        }
        for (const record of spec.records) store.put(reviveBlobs(record));
      }
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`fixture database ${name} is blocked`));
  });
}

function reviveBlobs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveBlobs);
  if (!value || typeof value !== 'object') return value;
  const marker = (value as { $blob?: { type: string; base64: string } }).$blob;
  if (marker) return new Blob([Buffer.from(marker.base64, 'base64')], { type: marker.type });
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveBlobs(v)]));
}

/** Raw read, bypassing the store code: what is really on disk. */
export function rawGet(dbName: string, storeName: string, key: string): Promise<unknown> {
  return withRawDb(dbName, (db) => request(db.transaction(storeName).objectStore(storeName).get(key)));
}

export function rawPut(dbName: string, storeName: string, value: unknown): Promise<unknown> {
  return withRawDb(dbName, (db) =>
    request(db.transaction(storeName, 'readwrite').objectStore(storeName).put(value)),
  );
}

export function rawInfo(dbName: string): Promise<{ version: number; stores: Record<string, string[]> }> {
  return withRawDb(dbName, async (db) => {
    const stores: Record<string, string[]> = {};
    const names = [...db.objectStoreNames];
    if (names.length === 0) return { version: db.version, stores };
    const tx = db.transaction(names);
    for (const name of names) stores[name] = [...tx.objectStore(name).indexNames];
    return { version: db.version, stores };
  });
}

async function withRawDb<T>(dbName: string, work: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await request(indexedDB.open(dbName));
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** A service on a fresh database, with a clock the test controls. */
export function testService(
  options: LibraryServiceOptions = {},
): LibraryServiceImpl & { clock: { now: number } } {
  const clock = { now: 1_800_000_000_000 };
  const service = createLibraryService({
    dbName: freshName(),
    now: () => (clock.now += 1000),
    storage: null,
    ...options,
  });
  return Object.assign(service, { clock });
}

export function character(name: string, fields: Partial<Character> = {}): Character {
  return { ...newCharacter(1_700_000_000_000, name), ...fields };
}

export function storyWithPanels(
  title: string,
  castIds: string[][] = [[]],
  fields: Partial<Story> = {},
): { story: Story; panels: Panel[] } {
  const story: Story = { ...newStory(1_700_000_000_000, title), ...fields };
  const panels = castIds.map((ids) => ({
    ...newPanel(story.id, 1_700_000_000_000),
    cast: ids.map((id, i) => newCastMember(id, i, ids.length)),
  }));
  return { story: { ...story, panelIds: panels.map((p) => p.id) }, panels };
}

/** A real PNG of the given size (solid colour), made with node:zlib so the header parser and sniffing see the real thing. */
export async function pngBytes(width: number, height: number): Promise<Uint8Array> {
  const { deflateSync, crc32 } = await import('node:zlib');
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

export function file(bytes: Uint8Array, name: string, type: string): File {
  return new File([bytes as BlobPart], name, { type });
}
