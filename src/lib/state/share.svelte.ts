import { bundleService } from '../services/bundle.service';
import { datasetService } from '../services/dataset.service';
import type { DatasetExportResult } from '../services/dataset.service';
import type { DatasetFormat } from '../bundle/dataset/export';
import type { ExportRequest, ImportPreview, ImportResult } from '../services/bundle.service';
import { isStoryLoomError, userMessage } from '../domain';
import type { BundleScope } from '../bundle/manifest';
import type { Resolution } from '../bundle/records';
import { library } from './library.svelte';

export interface ShareProgress {
  done: number;
  total: number;
  what: string;
}

/** A full disk's sentence already says that nothing saved was changed and what to do: no second one. */
const importFailed = (e: unknown) =>
  isStoryLoomError(e) && e.code === 'quota-exceeded'
    ? userMessage(e)
    : `${userMessage(e)} Nothing was imported.`;

/**
 * Sharing: exporting a story, characters or the library as a bundle (with progress and cancel), and
 * importing one — open and check it, show what it holds and what clashes, let the artist choose
 * copy, replace or skip, then write it all at once. Nothing is written before the artist says so,
 * and a refused or cancelled import writes nothing.
 */
class ShareState {
  #busy = $state<'export' | 'import' | null>(null);
  #progress = $state<ShareProgress | null>(null);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);
  #preview = $state.raw<ImportPreview | null>(null);
  #result = $state.raw<ImportResult | null>(null);
  #abort: AbortController | null = null;

  get busy() {
    return this.#busy;
  }
  get progress() {
    return this.#progress;
  }
  get error() {
    return this.#error;
  }
  get status() {
    return this.#status;
  }
  get preview() {
    return this.#preview;
  }
  get result() {
    return this.#result;
  }

  /** Export; returns the file to download (null when it was written where the artist chose). */
  async exportBundle(scope: BundleScope, ids: string[], allAttempts: boolean, target?: FileSystemFileHandle) {
    this.#begin('export');
    try {
      const request: ExportRequest = { scope, ids, allAttempts, target };
      const result = await bundleService.exportBundle(
        request,
        (p) => (this.#progress = p),
        this.#abort?.signal,
      );
      const m = result.manifest;
      this.#status =
        `Exported ${count(m.stories.length, 'story', 'stories')}, ${count(m.characters.length, 'character', 'characters')}, ` +
        `${count(m.panels.length, 'panel', 'panels')} and ${count(m.images.length, 'picture', 'pictures')} as “${result.name}” (${megabytes(result.bytes)}).`;
      return result;
    } catch (e) {
      this.#error = cancelled(e) ? 'Export cancelled; nothing was saved.' : userMessage(e);
      return null;
    } finally {
      this.#end();
    }
  }

  /** The library's accepted panels as a training dataset; returns the files to download. */
  async exportDataset(formats: DatasetFormat[]): Promise<DatasetExportResult | null> {
    this.#begin('export');
    try {
      const result = await datasetService.exportDataset(
        formats,
        (p) => (this.#progress = p),
        this.#abort?.signal,
      );
      const s = result.summary;
      this.#status =
        `Exported ${count(s.rows, 'accepted panel', 'accepted panels')} of ${count(s.stories, 'story', 'stories')} ` +
        `(train ${s.splits.train.toLocaleString('en')}, test ${s.splits.test.toLocaleString('en')}) in ${count(s.parts, 'file', 'files')} (${megabytes(s.bytes)})` +
        (s.missingImages
          ? `; ${count(s.missingImages, 'panel', 'panels')} left out because their picture is missing`
          : '') +
        '.';
      return result;
    } catch (e) {
      this.#error = cancelled(e) ? 'Export cancelled; nothing was saved.' : userMessage(e);
      return null;
    } finally {
      this.#end();
    }
  }

  async chooseBundle(file: File): Promise<void> {
    this.discard();
    this.#begin('import');
    try {
      this.#preview = await bundleService.previewImport(file);
    } catch (e) {
      this.#error = importFailed(e);
    } finally {
      this.#end();
    }
  }

  async commitImport(resolution: Resolution): Promise<void> {
    const preview = this.#preview;
    if (!preview) return;
    this.#begin('import');
    try {
      const r = await bundleService.commitImport(
        preview.token,
        resolution,
        (p) => (this.#progress = p),
        this.#abort?.signal,
      );
      this.#result = r;
      this.#preview = null;
      this.#status =
        `Imported ${count(r.stories, 'story', 'stories')}, ${count(r.characters, 'character', 'characters')}, ` +
        `${count(r.panels, 'panel', 'panels')}, ${count(r.attempts, 'attempt', 'attempts')} and ${count(r.images, 'picture', 'pictures')}.`;
      void library.load();
    } catch (e) {
      this.#error = cancelled(e) ? 'Import cancelled; nothing was imported.' : importFailed(e);
      if (!cancelled(e)) this.#preview = null;
    } finally {
      this.#end();
    }
  }

  /** Close the preview without importing. */
  discard(): void {
    if (this.#preview) bundleService.discard(this.#preview.token);
    this.#preview = null;
    this.#result = null;
  }

  cancel(): void {
    this.#abort?.abort();
  }

  dismiss(): void {
    this.#error = null;
    this.#status = null;
  }

  #begin(kind: 'export' | 'import') {
    this.#busy = kind;
    this.#error = null;
    this.#status = null;
    this.#progress = null;
    this.#abort = new AbortController();
  }
  #end() {
    this.#busy = null;
    this.#progress = null;
    this.#abort = null;
  }
}

const count = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
const cancelled = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

export const share = new ShareState();
