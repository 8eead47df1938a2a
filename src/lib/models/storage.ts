/**
 * Where model files live: the origin private file system (OPFS), or the Cache API where OPFS
 * is missing. Keys are slash paths: `<packId>/<componentId>/<path inside the repo>`.
 * A file being downloaded is `<key>.part`; it becomes `<key>` only after it was verified.
 */
import type { WriterReply, WriterRequest } from './opfs-writer-protocol';

export interface PartSink {
  /** Bytes in the part file after the last write. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ModelStorage {
  readonly kind: 'opfs' | 'cache';
  partSize(key: string): Promise<number>;
  readPart(key: string): Promise<Blob>;
  openPart(key: string, options: { truncate: boolean }): Promise<PartSink>;
  deletePart(key: string): Promise<void>;
  /** Rename `<key>.part` to `<key>`. */
  commit(key: string): Promise<void>;
  /** Size of the final file, or null when absent. */
  fileSize(key: string): Promise<number | null>;
  readFile(key: string): Promise<Blob>;
  deleteFile(key: string): Promise<void>;
  readJson<T>(key: string): Promise<T | null>;
  writeJson(key: string, value: unknown): Promise<void>;
  /** Everything under a folder (a pack). */
  deleteFolder(prefix: string): Promise<void>;
  usage(prefix: string): Promise<number>;
}

const ROOT = 'storyloom-models';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export const partKey = (key: string) => `${key}.part`;

// ------------------------------------------------------------------ OPFS

class OpfsStorage implements ModelStorage {
  readonly kind = 'opfs' as const;
  #writer: Worker | null = null;
  #nextId = 1;
  #pending = new Map<number, { resolve: (size: number) => void; reject: (e: unknown) => void }>();

  async #root(): Promise<FileSystemDirectoryHandle> {
    const top = await navigator.storage.getDirectory();
    return top.getDirectoryHandle(ROOT, { create: true });
  }

  async #dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
    let dir = await this.#root();
    for (const part of parts) {
      try {
        dir = await dir.getDirectoryHandle(part, { create });
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    }
    return dir;
  }

  async #file(key: string, create = false): Promise<FileSystemFileHandle | null> {
    const parts = key.split('/');
    const name = parts.pop() ?? '';
    const dir = await this.#dir(parts, create);
    if (!dir) return null;
    try {
      return await dir.getFileHandle(name, { create });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  #call(request: DistributiveOmit<WriterRequest, 'id'>, transfer: Transferable[] = []): Promise<number> {
    if (!this.#writer) {
      this.#writer = new Worker(new URL('./opfs-writer.worker.ts', import.meta.url), {
        type: 'module',
        name: 'opfs-writer',
      });
      this.#writer.onmessage = (e: MessageEvent<WriterReply>) => {
        const reply = e.data;
        const pending = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if (!pending) return;
        if (reply.ok) pending.resolve(reply.size);
        else pending.reject(new DOMException(reply.message, reply.name));
      };
      this.#writer.onerror = (e) => {
        for (const p of this.#pending.values())
          p.reject(new Error(`The storage worker failed: ${e.message}`));
        this.#pending.clear();
      };
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#writer?.postMessage({ ...request, id } as WriterRequest, transfer);
    });
  }

  async partSize(key: string) {
    return (await this.fileSize(partKey(key))) ?? 0;
  }

  async readPart(key: string) {
    return this.readFile(partKey(key));
  }

  async openPart(key: string, { truncate }: { truncate: boolean }): Promise<PartSink> {
    const path = [ROOT, ...partKey(key).split('/')];
    let size = await this.#call({ op: 'open', path, truncate });
    let sinceFlush = 0;
    return {
      get size() {
        return size;
      },
      write: async (chunk: Uint8Array) => {
        // Copy: the fetch reader may reuse its buffer, and the copy is transferred, not cloned.
        const data = chunk.slice().buffer;
        sinceFlush += chunk.byteLength;
        const flush = sinceFlush >= 4 * 1024 * 1024;
        if (flush) sinceFlush = 0;
        size = await this.#call({ op: 'write', path, data, flush }, [data]);
      },
      close: async () => {
        size = await this.#call({ op: 'close', path });
      },
    };
  }

  async deletePart(key: string) {
    await this.deleteFile(partKey(key));
  }

  async commit(key: string) {
    const part = await this.#file(partKey(key));
    if (!part) throw new Error(`${key}.part is missing`);
    const name = key.split('/').pop() ?? key;
    await this.deleteFile(key);
    const movable = part as FileSystemFileHandle & { move?: (name: string) => Promise<void> };
    if (typeof movable.move === 'function') {
      await movable.move(name);
      return;
    }
    // Older engines: copy, then remove the part.
    const target = await this.#file(key, true);
    if (!target) throw new Error(`cannot create ${key}`);
    const writable = await target.createWritable();
    await (await part.getFile()).stream().pipeTo(writable);
    await this.deletePart(key);
  }

  async fileSize(key: string) {
    const handle = await this.#file(key);
    if (!handle) return null;
    return (await handle.getFile()).size;
  }

  async readFile(key: string) {
    const handle = await this.#file(key);
    if (!handle) throw new DOMException(`${key} is not stored`, 'NotFoundError');
    return handle.getFile();
  }

  async deleteFile(key: string) {
    const parts = key.split('/');
    const name = parts.pop() ?? '';
    const dir = await this.#dir(parts, false);
    if (!dir) return;
    try {
      await dir.removeEntry(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async readJson<T>(key: string): Promise<T | null> {
    const handle = await this.#file(key);
    if (!handle) return null;
    try {
      return JSON.parse(await (await handle.getFile()).text()) as T;
    } catch {
      return null;
    }
  }

  async writeJson(key: string, value: unknown) {
    const handle = await this.#file(key, true);
    if (!handle) throw new Error(`cannot create ${key}`);
    const writable = await handle.createWritable();
    await writable.write(JSON.stringify(value));
    await writable.close();
  }

  async deleteFolder(prefix: string) {
    const parts = prefix.split('/');
    const name = parts.pop() ?? '';
    const dir = await this.#dir(parts, false);
    if (!dir) return;
    try {
      await dir.removeEntry(name, { recursive: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async usage(prefix: string) {
    const dir = await this.#dir(prefix.split('/'), false);
    return dir ? folderBytes(dir) : 0;
  }
}

async function folderBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let total = 0;
  const entries = (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
  for await (const entry of entries) {
    if (entry.kind === 'file') total += (await (entry as FileSystemFileHandle).getFile()).size;
    else total += await folderBytes(entry as FileSystemDirectoryHandle);
  }
  return total;
}

function isNotFound(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
}

// ------------------------------------------------------------- Cache API

const CACHE = 'storyloom-models-v1';
const BASE = 'https://storyloom.invalid/models/';
const SEGMENT_BYTES = 4 * 1024 * 1024;

/**
 * The fallback where OPFS is missing. A part is a run of numbered segments, each stored as it
 * fills, so an interrupted download still keeps what arrived.
 */
class CacheApiStorage implements ModelStorage {
  readonly kind = 'cache' as const;
  #open = () => caches.open(CACHE);
  #url = (key: string) => BASE + key.split('/').map(encodeURIComponent).join('/');

  async #segments(key: string): Promise<Request[]> {
    const prefix = this.#url(partKey(key)) + '/';
    const cache = await this.#open();
    const keys = (await cache.keys()).filter((r) => r.url.startsWith(prefix));
    const index = (r: Request) => Number(r.url.slice(prefix.length));
    return keys.sort((a, b) => index(a) - index(b));
  }

  async partSize(key: string) {
    return (await this.readPart(key)).size;
  }

  async readPart(key: string) {
    const cache = await this.#open();
    const blobs: Blob[] = [];
    for (const request of await this.#segments(key)) {
      const response = await cache.match(request);
      if (response) blobs.push(await response.blob());
    }
    return new Blob(blobs);
  }

  async openPart(key: string, { truncate }: { truncate: boolean }): Promise<PartSink> {
    if (truncate) await this.deletePart(key);
    const cache = await this.#open();
    const existing = await this.#segments(key);
    let next = existing.length;
    let size = (await this.readPart(key)).size;
    let buffer: Uint8Array[] = [];
    let buffered = 0;
    const prefix = this.#url(partKey(key)) + '/';
    const flush = async () => {
      if (buffered === 0) return;
      await cache.put(prefix + next++, new Response(new Blob(buffer as Uint8Array<ArrayBuffer>[])));
      buffer = [];
      buffered = 0;
    };
    return {
      get size() {
        return size;
      },
      write: async (chunk) => {
        buffer.push(chunk.slice());
        buffered += chunk.byteLength;
        size += chunk.byteLength;
        if (buffered >= SEGMENT_BYTES) await flush();
      },
      close: flush,
    };
  }

  async deletePart(key: string) {
    const cache = await this.#open();
    for (const request of await this.#segments(key)) await cache.delete(request);
  }

  async commit(key: string) {
    const blob = await this.readPart(key);
    await (await this.#open()).put(this.#url(key), new Response(blob));
    await this.deletePart(key);
  }

  async fileSize(key: string) {
    const response = await (await this.#open()).match(this.#url(key));
    return response ? (await response.blob()).size : null;
  }

  async readFile(key: string) {
    const response = await (await this.#open()).match(this.#url(key));
    if (!response) throw new DOMException(`${key} is not stored`, 'NotFoundError');
    return response.blob();
  }

  async deleteFile(key: string) {
    await (await this.#open()).delete(this.#url(key));
  }

  async readJson<T>(key: string): Promise<T | null> {
    const response = await (await this.#open()).match(this.#url(key));
    if (!response) return null;
    try {
      return (await response.json()) as T;
    } catch {
      return null;
    }
  }

  async writeJson(key: string, value: unknown) {
    const body = JSON.stringify(value);
    await (
      await this.#open()
    ).put(this.#url(key), new Response(body, { headers: { 'content-type': 'application/json' } }));
  }

  async #under(prefix: string) {
    const start = this.#url(prefix) + '/';
    const cache = await this.#open();
    return { cache, keys: (await cache.keys()).filter((r) => r.url.startsWith(start)) };
  }

  async deleteFolder(prefix: string) {
    const { cache, keys } = await this.#under(prefix);
    for (const request of keys) await cache.delete(request);
  }

  async usage(prefix: string) {
    const { cache, keys } = await this.#under(prefix);
    let total = 0;
    for (const request of keys) total += (await (await cache.match(request))?.blob())?.size ?? 0;
    return total;
  }
}

let shared: ModelStorage | null = null;

/** OPFS when the browser has it (with sync access handles through a worker), else the Cache API. */
export function modelStorage(): ModelStorage {
  if (shared) return shared;
  const hasOpfs = typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  const hasWorker = typeof Worker !== 'undefined';
  if (hasOpfs && hasWorker) shared = new OpfsStorage();
  else if (typeof caches !== 'undefined') shared = new CacheApiStorage();
  else throw new Error('This browser has neither the origin private file system nor the Cache API.');
  return shared;
}

/** Read-only access for workers (the runtime): OPFS reads need no writer worker. */
export function forceStorage(kind: 'opfs' | 'cache'): ModelStorage {
  return kind === 'opfs' ? new OpfsStorage() : new CacheApiStorage();
}
