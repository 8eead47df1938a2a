/**
 * A pack download and the disk's room: the downloader asks the disk for room before each file and
 * every 64 MB of one (in the browser, an OPFS probe file; here a fake `hasRoom`), so a full disk stops
 * the download before the browser's own file system meets it. A full disk stops the queue (the other
 * files are not tried), is said first, keeps what arrived, and a Resume with room asks only for the
 * rest. The tiny pack's forged files answer the Hub's URLs from memory; the storage is in memory.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { PackDownloader } from '../../src/lib/models/downloader';
import type { Pack } from '../../src/lib/models/manifest';
import { packFiles, type PackFile } from '../../src/lib/models/pack-files';
import type { PartSink } from '../../src/lib/models/storage';
import { INSTALL_FEATURES, planPack, type PlanInput } from '../../src/lib/models/plan';
import { memoryHub, servedTinyPack } from '../helpers/memory-hub';
import { MemoryStorage } from '../helpers/memory-storage';

const WASM: PlanInput = { caps: { backend: 'wasm', features: [] } };
const MB = 1024 * 1024;

let pack: Pack;
let served: Map<string, Uint8Array>;

beforeAll(async () => {
  ({ pack, served } = await servedTinyPack());
}, 120_000);

function downloader(storage: MemoryStorage, hasRoom: (bytes: number) => Promise<boolean>) {
  const files = packFiles(pack, planPack(pack, { ...WASM, features: INSTALL_FEATURES }));
  const { fetch, asked } = memoryHub(served, files);
  const d = new PackDownloader(pack, files, {
    storage,
    fetch,
    concurrency: 2,
    estimate: async () => ({ usage: 0, quota: 1e12 }),
    online: () => true,
    hasRoom,
  });
  return { d, files, asked };
}

const DISK_FULL = /^The disk is full while saving .+ Free space or delete a pack, then press Resume\.$/;

describe('a pack download asks the disk for room', () => {
  test('on a full disk no file is asked for, one disk-full fault per started file, and the queue stops', async () => {
    const storage = new MemoryStorage();
    const asks: number[] = [];
    const { d, files, asked } = downloader(storage, async (bytes) => {
      asks.push(bytes);
      return false;
    });
    const snapshot = await d.start();
    expect(asked).toEqual([]);
    // The two files started together (concurrency 2) each said so; the rest were not tried.
    expect(snapshot.faults).toHaveLength(2);
    for (const f of snapshot.faults) {
      expect(f.message).toMatch(DISK_FULL);
      expect(f).toMatchObject({ diskFull: true, resumable: true });
    }
    expect(files.length).toBeGreaterThan(2);
    // Each check asks for the file's own bytes and a little more, never more than 2 MB.
    for (const bytes of asks) expect(bytes).toBeLessThanOrEqual(2 * MB);
    expect(storage.stored(pack.id)).toEqual([]);
  });

  test('room that runs out keeps the files that arrived; Resume with room asks only for the rest', async () => {
    const storage = new MemoryStorage();
    let room = 5;
    const first = downloader(storage, async () => room-- > 0);
    const snapshot = await first.d.start();
    const verified = snapshot.files.filter((f) => f.state.kind === 'verified').map((f) => f.label);
    expect(verified.length).toBeGreaterThan(0);
    expect(verified.length).toBeLessThan(first.files.length);
    expect(snapshot.faults[0]?.message).toMatch(DISK_FULL);
    expect(first.asked.length).toBeLessThanOrEqual(5);
    expect(snapshot.status.kind).not.toBe('verified');

    const again = downloader(storage, async () => true);
    const done = await again.d.start();
    expect(done.status.kind).toBe('verified');
    expect(done.faults).toEqual([]);
    expect(again.asked.filter((label) => verified.includes(label))).toEqual([]);
    expect(new Set([...verified, ...again.asked]).size).toBe(first.files.length);
  });

  test('a storage error that names no cause is the disk when the disk then takes nothing more', async () => {
    const failing = (hasRoom: (bytes: number) => Promise<boolean>) => {
      const storage = new (class extends MemoryStorage {
        override async openPart(key: string, options: { truncate: boolean }): Promise<PartSink> {
          const sink = await super.openPart(key, options);
          return {
            get size() {
              return sink.size;
            },
            write: async () => {
              throw new DOMException('state had changed since it was read from disk', 'InvalidStateError');
            },
            close: () => sink.close(),
          };
        }
      })();
      return downloader(storage, hasRoom);
    };
    // Room before the file, none after the failure: the full disk, said as such, and nothing more tried.
    let calls = 0;
    const full = await failing(async () => calls++ < 2).d.start();
    expect(full.faults[0]?.message).toMatch(DISK_FULL);
    expect(full.faults.every((f) => f.diskFull)).toBe(true);
    // Room all along: the storage's own fault, not a full disk.
    const other = await failing(async () => true).d.start();
    expect(other.faults.length).toBeGreaterThan(0);
    for (const f of other.faults) {
      expect(f.message).toMatch(/could not write .+ to the browser's storage/);
      expect(f.diskFull).toBe(false);
    }
  });

  test('a big file is checked again every 64 MB and stops where the room ended', async () => {
    const big = 200 * MB;
    const files: PackFile[] = packFiles(pack, planPack(pack, { ...WASM, features: INSTALL_FEATURES }))
      .slice(0, 1)
      .map((f) => ({ ...f, bytes: big, bytesExact: false, sha256: null }));
    let written = 0;
    const storage = new (class extends MemoryStorage {
      override async openPart(): Promise<PartSink> {
        return {
          get size() {
            return written;
          },
          write: async (chunk: Uint8Array) => {
            written += chunk.byteLength;
          },
          close: async () => undefined,
        };
      }
      override async partSize() {
        return written;
      }
    })();
    let cancelled = false;
    const chunk = new Uint8Array(MB);
    let sent = 0;
    const fetcher = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= big) return controller.close();
            sent += chunk.byteLength;
            controller.enqueue(chunk);
          },
          cancel() {
            cancelled = true;
          },
        }),
        { status: 200, headers: { 'content-length': String(big) } },
      )) as typeof fetch;
    const asks: number[] = [];
    const d = new PackDownloader(pack, files, {
      storage,
      fetch: fetcher,
      estimate: async () => ({ usage: 0, quota: 1e12 }),
      online: () => true,
      // Room before the file and at 64 MB; none at 128 MB.
      hasRoom: async (bytes) => asks.push(bytes) <= 2,
    });
    const snapshot = await d.start();
    expect(asks).toEqual([2 * MB, 2 * MB, 2 * MB]);
    expect(snapshot.faults[0]?.message).toMatch(DISK_FULL);
    expect(cancelled).toBe(true);
    // The chunk that reached the 128 MB mark was not written: the part holds what fitted before it.
    expect(written).toBe(128 * MB - MB);
    expect(snapshot.faults[0]?.message).toContain('(133 MB kept)');
  });
});
