/**
 * A ModelStorage in memory, for unit tests of the downloader and the installer: the same contract
 * as OPFS (parts, commit, JSON), nothing more. The real OPFS storage runs in the e2e suite.
 */
import type { ModelStorage, PartSink } from '../../src/lib/models/storage';

export class MemoryStorage implements ModelStorage {
  readonly kind = 'opfs' as const;
  readonly files = new Map<string, Uint8Array>();

  #concat(a: Uint8Array, b: Uint8Array): Uint8Array {
    const out = new Uint8Array(a.byteLength + b.byteLength);
    out.set(a);
    out.set(b, a.byteLength);
    return out;
  }

  async partSize(key: string) {
    return this.files.get(`${key}.part`)?.byteLength ?? 0;
  }
  async readPart(key: string) {
    return new Blob([(this.files.get(`${key}.part`) ?? new Uint8Array()) as Uint8Array<ArrayBuffer>]);
  }
  async openPart(key: string, { truncate }: { truncate: boolean }): Promise<PartSink> {
    const name = `${key}.part`;
    if (truncate || !this.files.has(name)) this.files.set(name, new Uint8Array());
    const files = this.files;
    const concat = (a: Uint8Array, b: Uint8Array) => this.#concat(a, b);
    return {
      get size() {
        return files.get(name)?.byteLength ?? 0;
      },
      async write(chunk: Uint8Array) {
        files.set(name, concat(files.get(name) ?? new Uint8Array(), chunk.slice()));
      },
      async close() {},
    };
  }
  async deletePart(key: string) {
    this.files.delete(`${key}.part`);
  }
  async commit(key: string) {
    const part = this.files.get(`${key}.part`);
    if (!part) throw new DOMException(`${key}.part is missing`, 'NotFoundError');
    this.files.set(key, part);
    this.files.delete(`${key}.part`);
  }
  async fileSize(key: string) {
    return this.files.get(key)?.byteLength ?? null;
  }
  async readFile(key: string) {
    const f = this.files.get(key);
    if (!f) throw new DOMException(`${key} is missing`, 'NotFoundError');
    return new Blob([f as Uint8Array<ArrayBuffer>]);
  }
  async deleteFile(key: string) {
    this.files.delete(key);
  }
  async readJson<T>(key: string): Promise<T | null> {
    const f = this.files.get(key);
    return f ? (JSON.parse(new TextDecoder().decode(f)) as T) : null;
  }
  async writeJson(key: string, value: unknown) {
    this.files.set(key, new TextEncoder().encode(JSON.stringify(value)));
  }
  async deleteFolder(prefix: string) {
    for (const k of [...this.files.keys()]) if (k.startsWith(`${prefix}/`)) this.files.delete(k);
  }
  async usage(prefix: string) {
    let n = 0;
    for (const [k, v] of this.files) if (k.startsWith(`${prefix}/`)) n += v.byteLength;
    return n;
  }

  /** Final (committed) model files under a pack, as `<componentId>/<path>` labels. */
  stored(packId: string): string[] {
    const prefix = `${packId}/files/`;
    return [...this.files.keys()]
      .filter((k) => k.startsWith(prefix) && !k.endsWith('.part'))
      .map((k) => k.slice(prefix.length))
      .sort();
  }
}
