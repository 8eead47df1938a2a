/**
 * The dataset export: the whole library (or nothing but its accepted panels, really) in the shape
 * of the paper's data — Hugging Face ImageFolder, OmniGen2 JSONL, ViStoryBench story folders and
 * `vocab.json` — streamed into a zip in bounded memory: stories are read a page at a time, pictures
 * one at a time, and the JSONL files are spooled to private files and added at the end. A library
 * of more than 60,000 entries or 3.5 GiB is written as several self-contained parts (`…-part-2.zip`,
 * …). The zip writer could write it as one ZIP64 archive (the story bundle does, for the whole
 * library); the parts stay because each one then opens in every zip tool, including those without
 * ZIP64, and can be uploaded or trained on alone.
 */
import { StoryLoomError } from '../domain';
import {
  DATASET_FORMATS,
  writeDataset,
  type DatasetFormat,
  type DatasetProgress,
  type DatasetSource,
  type DatasetSummary,
  type Spool,
} from '../bundle/dataset/export';
import * as store from '../store';
import { libraryService } from './library.service';

const EXPORT_DIR = 'dataset-exports';
/** Stories read per transaction: a page of a few hundred panels' records. */
export const STORY_PAGE = 25;

export interface DatasetExportResult {
  /** The temporary files, for a download (empty when the first part went to the artist's file). */
  files: File[];
  names: string[];
  summary: DatasetSummary;
}

export function datasetFileName(at: Date, part: number): string {
  const day = at.toISOString().slice(0, 10);
  return part === 1 ? `storyloom-dataset-${day}.zip` : `storyloom-dataset-${day}-part-${part}.zip`;
}

/** The library as a dataset source: pages of stories, pictures from the image store. */
export function librarySource(db: store.StoryLoomDB, page = STORY_PAGE): DatasetSource {
  return {
    characters: () => store.allCharacters(db),
    storyCount: () => store.countStoriesForDataset(db),
    async *stories(signal) {
      let after: string | null = null;
      do {
        signal?.throwIfAborted();
        const { stories, next } = await store.readStoryPage(db, after, page);
        yield* stories;
        after = next;
      } while (after !== null);
    },
    async image(id) {
      const image = await store.getImage(db, id);
      return image ? { blob: image.blob, mime: image.mime } : undefined;
    },
  };
}

/**
 * Bytes to a file stream in writes of about `size` bytes: every `write()` of a
 * FileSystemWritableFileStream is a round trip to the browser process, and the zip writer hands over
 * a header, a picture and a descriptor per entry — 170,000 entries at the paper's scale. Holds at
 * most `size` bytes (plus one chunk).
 */
export function coalescingSink(
  write: (chunk: Uint8Array) => Promise<void>,
  size = WRITE_BYTES,
): { write(chunk: Uint8Array): Promise<void>; flush(): Promise<void> } {
  let parts: Uint8Array[] = [];
  let held = 0;
  const flush = async () => {
    if (held === 0) return;
    const out = new Uint8Array(held);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    parts = [];
    held = 0;
    await write(out);
  };
  return {
    async write(chunk) {
      if (chunk.length >= size) {
        await flush();
        await write(chunk);
        return;
      }
      // The writer may reuse its buffers: keep a copy.
      parts.push(chunk.slice());
      held += chunk.length;
      if (held >= size) await flush();
    },
    flush,
  };
}

/** Bytes a file stream is given at once (see coalescingSink). */
export const WRITE_BYTES = 4 * 1024 * 1024;

async function opfsSpool(dir: FileSystemDirectoryHandle, name: string): Promise<Spool> {
  const handle = await dir.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  const enc = new TextEncoder();
  const sink = coalescingSink((bytes) => writable.write(bytes as Uint8Array<ArrayBuffer>), WRITE_BYTES / 4);
  return {
    write: (text) => sink.write(enc.encode(text)),
    async finish() {
      await sink.flush();
      await writable.close();
      return handle.getFile();
    },
    async discard() {
      await writable.abort().catch(() => undefined);
      await dir.removeEntry(name).catch(() => undefined);
    },
  };
}

class DatasetService {
  /**
   * Writes the dataset. Part 1 goes to `target` when given (a file the artist picked), else to a
   * temporary private file; further parts always go to temporary files. Progress is per story.
   */
  async exportDataset(
    formats: DatasetFormat[],
    onProgress: (p: DatasetProgress) => void = () => {},
    signal?: AbortSignal,
    target?: FileSystemFileHandle,
  ): Promise<DatasetExportResult> {
    const unknown = formats.filter((f) => !DATASET_FORMATS.includes(f));
    if (unknown.length || formats.length === 0)
      throw new StoryLoomError(
        'invalid-input',
        `Choose dataset formats from: ${DATASET_FORMATS.join(', ')}; got "${formats.join(', ')}".`,
      );
    const db = await libraryService.db();
    const exportedAt = new Date();
    const root = await navigator.storage.getDirectory();
    // Earlier exports' temporary files have been downloaded by now: they go.
    await root.removeEntry(EXPORT_DIR, { recursive: true }).catch(() => undefined);
    const dir = await root.getDirectoryHandle(EXPORT_DIR, { create: true });
    const spools = await dir.getDirectoryHandle('spool', { create: true });
    const temporary: { name: string; handle: FileSystemFileHandle }[] = [];
    const names: string[] = [];
    const open: FileSystemWritableFileStream[] = [];
    try {
      const summary = await writeDataset(
        librarySource(db),
        {
          async openPart(n) {
            const name = datasetFileName(exportedAt, n);
            names.push(name);
            let handle: FileSystemFileHandle;
            if (n === 1 && target) handle = target;
            else {
              handle = await dir.getFileHandle(name, { create: true });
              temporary.push({ name, handle });
            }
            const writable = await handle.createWritable();
            open.push(writable);
            const sink = coalescingSink((bytes) => writable.write(bytes as Uint8Array<ArrayBuffer>));
            return {
              write: sink.write,
              async close() {
                await sink.flush();
                await writable.close();
                open.splice(open.indexOf(writable), 1);
              },
            };
          },
          spool: (name) => opfsSpool(spools, name),
        },
        { formats, exportedAt, onProgress, signal },
      );
      await dir.removeEntry('spool', { recursive: true }).catch(() => undefined);
      return { files: await Promise.all(temporary.map((t) => t.handle.getFile())), names, summary };
    } catch (e) {
      for (const w of open) await w.abort().catch(() => undefined);
      await root.removeEntry(EXPORT_DIR, { recursive: true }).catch(() => undefined);
      throw e;
    }
  }
}

export const datasetService = new DatasetService();
