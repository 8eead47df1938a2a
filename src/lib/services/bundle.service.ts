/**
 * Story bundles out of and into the library. Export reads the records, hashes each picture once and
 * streams the zip to a file in bounded memory: a file the artist picks (File System Access API) or a
 * temporary file in the origin's private file system, handed back for a download. Import opens and
 * checks the whole bundle first (structure, manifest, records, references), shows what it holds and
 * what clashes with the library, then checks every picture (size, SHA-256, real type, decodes, pixel
 * limit) and writes everything in one transaction; a refusal or a cancel writes nothing.
 */
import { StoryLoomError, newId } from '../domain';
import type { ImageRecord } from '../domain';
import {
  findConflicts,
  importedImage,
  planImport,
  type Conflicts,
  type PackedImage,
  type Resolution,
} from '../bundle/records';
import {
  openBundle,
  readBundleImage,
  sha256Hex,
  writeBundle,
  type BundleProgress,
  type OpenedBundle,
} from '../bundle/container';
import {
  bundleFileName,
  BUNDLE_IMAGE_TYPES,
  type BundleImage,
  type BundleScope,
  type Manifest,
} from '../bundle/manifest';
import * as store from '../store';
import { browserDecoder } from './image-file';
import { sniffMime } from './image-header';
import { libraryService } from './library.service';
import pkg from '../../../package.json';

/** A picture in a bundle may have at most this many pixels (a 600 dpi A4 page is 35 MP). */
export const MAX_BUNDLE_IMAGE_PIXELS = 40_000_000;
const EXPORT_DIR = 'exports';

export interface ExportRequest {
  scope: BundleScope;
  /** The story (scope story) or the characters (scope characters); ignored for the library. */
  ids: string[];
  allAttempts: boolean;
  /** Where to write; when absent, a temporary private file that is returned for a download. */
  target?: FileSystemFileHandle;
}

export interface ExportResult {
  file: File | null;
  name: string;
  manifest: Manifest;
  bytes: number;
}

export interface ImportPreview {
  token: string;
  name: string;
  scope: BundleScope;
  exportedAt: string;
  appVersion: string;
  allAttempts: boolean;
  counts: { characters: number; stories: number; panels: number; attempts: number; images: number };
  characterNames: string[];
  storyTitles: string[];
  conflicts: Conflicts;
}

export interface ImportResult {
  characters: number;
  stories: number;
  panels: number;
  attempts: number;
  images: number;
}

/** Waits `ms` (none when 0), or rejects with the signal's reason as soon as it is aborted. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', abort);
      resolve();
    };
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * A picture from a bundle, trusted only once its real type (sniffed from its bytes), its declared
 * pixel count and its decoded size agree with the manifest. Only PNG, JPEG and WebP are accepted.
 */
export async function checkBundleImage(
  bytes: Uint8Array,
  image: BundleImage,
  bundleName: string,
  decode: ((blob: Blob) => Promise<{ width: number; height: number }>) | null,
): Promise<Blob> {
  const where = `“${bundleName}”`;
  const sniffed = sniffMime(bytes);
  if (sniffed !== image.mime)
    throw new StoryLoomError(
      'unsupported-file',
      `StoryLoom cannot import ${where}: the picture ${image.sha256.slice(0, 12)}… is not the ${image.mime} its manifest says; only PNG, JPEG and WebP pictures are accepted.`,
    );
  if (image.width * image.height > MAX_BUNDLE_IMAGE_PIXELS)
    throw new StoryLoomError(
      'unsupported-file',
      `StoryLoom cannot import ${where}: a picture is ${image.width} × ${image.height} pixels; at most ${(MAX_BUNDLE_IMAGE_PIXELS / 1e6).toFixed(0)} megapixels are accepted.`,
    );
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: image.mime });
  if (decode) {
    const size = await decode(blob).catch(() => null);
    if (!size || size.width !== image.width || size.height !== image.height)
      throw new StoryLoomError(
        'unsupported-file',
        `StoryLoom cannot import ${where}: the picture ${image.sha256.slice(0, 12)}… ${size ? `is ${size.width} × ${size.height} pixels, not the ${image.width} × ${image.height} its manifest says` : 'does not decode'}.`,
      );
  }
  return blob;
}

class BundleService {
  #open = new Map<string, OpenedBundle>();
  /** The test hook's pause after every picture (0 in an artist's studio). */
  #stepDelayMs = 0;

  configure(options: { stepDelayMs: number }): void {
    this.#stepDelayMs = options.stepDelayMs;
  }

  // ---------------------------------------------------------------- export

  async exportBundle(
    request: ExportRequest,
    onProgress: (p: BundleProgress) => void = () => {},
    signal?: AbortSignal,
  ): Promise<ExportResult> {
    const db = await libraryService.db();
    const everything = await store.allIds(db);
    // No ids with the characters scope: every character of the library.
    const ids =
      request.scope === 'library'
        ? everything
        : request.scope === 'story'
          ? { stories: request.ids, characters: [] }
          : { stories: [], characters: request.ids.length ? request.ids : everything.characters };
    const records = await store.readForExport(db, ids.stories, ids.characters, request.allAttempts);
    if (request.scope === 'story' && records.stories.length === 0)
      throw new StoryLoomError(
        'not-found',
        'This story is not in the library any more, so it cannot be exported.',
      );
    const imageIds = new Set<string>([
      ...records.characters.flatMap((c) => c.templates.map((t) => t.imageId)),
      ...records.stories.flatMap((s) => (s.coverImageId ? [s.coverImageId] : [])),
      ...records.attempts.flatMap((a) => (a.imageId ? [a.imageId] : [])),
    ]);
    const images = new Map<string, PackedImage & { blob: Blob }>();
    let n = 0;
    for (const id of imageIds) {
      signal?.throwIfAborted();
      const image = await store.getImage(db, id);
      n++;
      if (!image || !(image.mime in BUNDLE_IMAGE_TYPES)) continue;
      const sha256 = await sha256Hex(new Uint8Array(await image.blob.arrayBuffer()));
      images.set(id, {
        id,
        sha256,
        mime: image.mime,
        width: image.width,
        height: image.height,
        bytes: image.blob.size,
        blob: image.blob,
      });
      onProgress({ done: n, total: imageIds.size, what: 'checking pictures' });
      await pause(this.#stepDelayMs, signal);
    }
    const title =
      request.scope === 'story'
        ? (records.stories[0]?.title ?? 'story')
        : request.scope === 'characters'
          ? records.characters.length === 1
            ? (records.characters[0]?.name ?? 'character')
            : 'characters'
          : 'library';
    const name = bundleFileName(title);
    const { handle, temporary } = await this.#target(request.target, name);
    const writable = await handle.createWritable();
    let bytes = 0;
    try {
      const manifest = await writeBundle(
        async (chunk) => {
          bytes += chunk.length;
          await writable.write(chunk as Uint8Array<ArrayBuffer>);
          await pause(this.#stepDelayMs, signal);
        },
        {
          bundleId: newId(),
          appVersion: pkg.version,
          exportedAt: new Date(),
          scope: request.scope,
          allAttempts: request.allAttempts,
          records,
          images,
        },
        (p) => onProgress({ ...p, what: 'writing pictures' }),
        signal,
      );
      await writable.close();
      return { file: temporary ? await handle.getFile() : null, name, manifest, bytes };
    } catch (e) {
      await writable.abort().catch(() => undefined);
      if (temporary) await this.#removeTemporary(name);
      throw e;
    }
  }

  /** The artist's file, else a fresh temporary file in the private file system (one at a time). */
  async #target(
    chosen: FileSystemFileHandle | undefined,
    name: string,
  ): Promise<{ handle: FileSystemFileHandle; temporary: boolean }> {
    if (chosen) return { handle: chosen, temporary: false };
    const root = await navigator.storage.getDirectory();
    // Earlier exports' temporary files have been downloaded by now: they go.
    await root.removeEntry(EXPORT_DIR, { recursive: true }).catch(() => undefined);
    const dir = await root.getDirectoryHandle(EXPORT_DIR, { create: true });
    return { handle: await dir.getFileHandle(name, { create: true }), temporary: true };
  }

  async #removeTemporary(name: string): Promise<void> {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(EXPORT_DIR).catch(() => null);
    await dir?.removeEntry(name).catch(() => undefined);
  }

  // ---------------------------------------------------------------- import

  /** Open and check a bundle, and say what it holds and what clashes; nothing is written. */
  async previewImport(file: File): Promise<ImportPreview> {
    const db = await libraryService.db();
    const known = new Set((await store.allIds(db)).characters);
    const bundle = await openBundle(file, file.name || 'the bundle', known);
    const { records, manifest } = bundle;
    const conflicts = await this.#conflicts(bundle);
    const token = newId();
    this.#open.set(token, bundle);
    return {
      token,
      name: bundle.name,
      scope: manifest.scope,
      exportedAt: manifest.exportedAt,
      appVersion: manifest.app.version,
      allAttempts: manifest.allAttempts,
      counts: {
        characters: records.characters.length,
        stories: records.stories.length,
        panels: records.panels.length,
        attempts: records.attempts.length,
        images: manifest.images.length,
      },
      characterNames: records.characters.map((c) => c.name),
      storyTitles: records.stories.map((s) => s.title),
      conflicts,
    };
  }

  /** What of the bundle the library already has (looked up each time: the library may have changed). */
  async #conflicts({ records, manifest }: OpenedBundle): Promise<Conflicts> {
    const library = await store.libraryConflicts(
      await libraryService.db(),
      records.characters.map((c) => c.id),
      records.stories.map((s) => s.id),
      manifest.bundleId,
    );
    return findConflicts(records, library, manifest.bundleId);
  }

  /** Forget an opened bundle (the artist cancelled the preview). */
  discard(token: string): void {
    this.#open.delete(token);
  }

  async commitImport(
    token: string,
    resolution: Resolution,
    onProgress: (p: BundleProgress) => void = () => {},
    signal?: AbortSignal,
  ): Promise<ImportResult> {
    const bundle = this.#open.get(token);
    if (!bundle) throw new StoryLoomError('not-found', 'This import was closed; choose the bundle again.');
    try {
      const db = await libraryService.db();
      const { records, manifest } = bundle;
      const plan = planImport(records, await this.#conflicts(bundle), resolution);
      const bySha = new Map(manifest.images.map((i) => [i.sha256, i]));
      const images: ImageRecord[] = [];
      const now = Date.now();
      let done = 0;
      for (const [sha, id] of plan.imageIds) {
        signal?.throwIfAborted();
        const image = bySha.get(sha);
        if (!image)
          throw new StoryLoomError(
            'unsupported-file',
            `The bundle refers to a picture it does not hold (${sha}).`,
          );
        const blob = await this.#checkedImage(bundle, image);
        images.push(importedImage(id, image, blob, now));
        onProgress({ done: ++done, total: plan.imageIds.size, what: 'checking pictures' });
        await pause(this.#stepDelayMs, signal);
      }
      signal?.throwIfAborted();
      await store.writeImport(db, {
        bundleId: manifest.bundleId,
        bundleName: bundle.name,
        characters: plan.characters,
        stories: plan.stories,
        panels: plan.panels,
        attempts: plan.attempts,
        images,
        replacedStories: plan.replacedStories,
      });
      for (const s of plan.stories) libraryService.changed('run', s.id);
      this.#open.delete(token);
      return {
        characters: plan.characters.length,
        stories: plan.stories.length,
        panels: plan.panels.length,
        attempts: plan.attempts.length,
        images: images.length,
      };
    } catch (e) {
      if (e instanceof StoryLoomError && e.code === 'unsupported-file') this.#open.delete(token);
      throw e;
    }
  }

  /** A picture from the bundle, trusted only once its bytes, its type and its decoded size agree with the manifest. */
  async #checkedImage(bundle: OpenedBundle, image: BundleImage): Promise<Blob> {
    const bytes = await readBundleImage(bundle, image);
    return checkBundleImage(bytes, image, bundle.name, browserDecoder());
  }
}

export const bundleService = new BundleService();
