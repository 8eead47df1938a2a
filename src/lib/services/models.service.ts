/**
 * The façade the UI calls for model packs: list, probe, download / pause / resume, delete,
 * import a folder, and "check the pack" (real ORT sessions in the runtime's worker).
 * The UI never touches storage, fetch or ORT itself.
 */
import {
  entriesFromDirectory,
  importFolder,
  knownPacks,
  modelStorage,
  PackDownloader,
  packFiles,
  probeCapabilities,
  type Backend,
  type Capabilities,
  type CheckReply,
  type CheckRequest,
  type FolderEntry,
  type GraphCheck,
  type ImportReport,
  type ModelProgress,
  type PackSnapshot,
  type RuntimeInfo,
} from '../models';
import type { Pack } from '../models/manifest';

export { formatBytes, formatDuration, formatRate, fraction } from '../models';
export type {
  Capabilities,
  FileState,
  FileView,
  FolderEntry,
  GraphCheck,
  ImportReport,
  ModelProgress,
  PackSnapshot,
  PackStatus,
  RuntimeInfo,
  TransferFigures,
  TransferNote,
} from '../models';
import { packBytes } from '../models/manifest';

export interface PackSummary {
  id: string;
  title: string;
  description: string;
  test: boolean;
  /** Bytes this machine downloads (chosen variants only). */
  bytes: number;
  fileCount: number;
}

export interface CheckResult {
  runtime: RuntimeInfo | null;
  checks: GraphCheck[];
  ok: boolean;
  message: string;
}

class ModelsService {
  #packs: Pack[] | null = null;
  #caps: Promise<Capabilities> | null = null;
  #downloaders = new Map<string, PackDownloader>();
  #progress = new Set<(e: ModelProgress) => void>();

  packs(): Pack[] {
    this.#packs ??= knownPacks();
    return this.#packs;
  }

  #pack(packId: string): Pack {
    const pack = this.packs().find((p) => p.id === packId);
    if (!pack) throw new Error(`There is no model pack "${packId}".`);
    return pack;
  }

  /** Probe once per page: WebGPU adapter or WASM fallback. `?backend=wasm` in the URL forces WASM. */
  probe(): Promise<Capabilities> {
    const forced =
      typeof location !== 'undefined' ? new URLSearchParams(location.search).get('backend') : null;
    this.#caps ??= probeCapabilities(forced === 'wasm' ? ('wasm' satisfies Backend) : undefined);
    return this.#caps;
  }

  async summaries(): Promise<PackSummary[]> {
    const caps = await this.probe();
    const features = caps.backend === 'webgpu' ? caps.features : [];
    return this.packs().map((p) => ({
      id: p.id,
      title: p.title,
      description: p.description,
      test: p.test,
      bytes: packBytes(p, features),
      fileCount: packFiles(p, caps).length,
    }));
  }

  async #downloader(packId: string): Promise<PackDownloader> {
    const existing = this.#downloaders.get(packId);
    if (existing) return existing;
    const pack = this.#pack(packId);
    const caps = await this.probe();
    const created = this.#downloaders.get(packId);
    if (created) return created;
    const downloader = new PackDownloader(pack, packFiles(pack, caps), {
      storage: modelStorage(),
      concurrency: 3,
    });
    downloader.onProgress((e) => this.#progress.forEach((l) => l(e)));
    this.#downloaders.set(packId, downloader);
    return downloader;
  }

  /** Progress events of every pack (initiate | download | progress | done | ready). */
  onProgress(listener: (e: ModelProgress) => void): () => void {
    this.#progress.add(listener);
    return () => this.#progress.delete(listener);
  }

  async onChange(packId: string, listener: (s: PackSnapshot) => void): Promise<() => void> {
    return (await this.#downloader(packId)).onChange(listener);
  }

  async scan(packId: string): Promise<PackSnapshot> {
    return (await this.#downloader(packId)).scan();
  }

  /** Start, or resume after a pause, a dropped connection or a reload. */
  async download(packId: string): Promise<PackSnapshot> {
    return (await this.#downloader(packId)).start();
  }

  async pause(packId: string): Promise<void> {
    (await this.#downloader(packId)).pause();
  }

  async remove(packId: string): Promise<void> {
    const downloader = await this.#downloader(packId);
    if (downloader.running) {
      downloader.pause();
      await downloader.start().catch(() => undefined);
    }
    await modelStorage().deleteFolder(packId);
    downloader.reset();
    await downloader.scan();
  }

  usage(packId: string): Promise<number> {
    return modelStorage().usage(packId);
  }

  async importFolder(packId: string, entries: FolderEntry[]): Promise<ImportReport> {
    const pack = this.#pack(packId);
    const caps = await this.probe();
    const downloader = await this.#downloader(packId);
    if (downloader.running)
      throw new Error('A download of this pack is running: pause it before importing a folder.');
    const report = await importFolder(
      modelStorage(),
      pack.id,
      pack.title,
      packFiles(pack, caps),
      packFiles(pack),
      entries,
    );
    await downloader.scan();
    return report;
  }

  async importDirectory(packId: string, dir: FileSystemDirectoryHandle): Promise<ImportReport> {
    return this.importFolder(packId, await entriesFromDirectory(dir));
  }

  #checkWorker: Worker | null = null;
  #checkId = 0;

  /**
   * The runtime's worker, kept for the page's life: once ORT and its WASM are loaded, later
   * checks need no network at all (the model bytes come from storage).
   */
  #worker(): Worker {
    this.#checkWorker ??= new Worker(new URL('../runtime/pack-check.worker.ts', import.meta.url), {
      type: 'module',
      name: 'pack-check',
    });
    return this.#checkWorker;
  }

  /** Open every chosen graph of a verified pack in a real ORT session (in the runtime's worker). */
  async check(packId: string, onGraph?: (check: GraphCheck) => void): Promise<CheckResult> {
    const pack = this.#pack(packId);
    const caps = await this.probe();
    const worker = this.#worker();
    const id = ++this.#checkId;
    let runtime: RuntimeInfo | null = null;
    try {
      const checks = await new Promise<GraphCheck[]>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<CheckReply>) => {
          const reply = e.data;
          if (reply.id !== id) return;
          if (reply.type === 'runtime') runtime = reply.runtime;
          else if (reply.type === 'graph') onGraph?.(reply.check);
          else if (reply.type === 'done') resolve(reply.checks);
          else reject(new Error(reply.message));
        };
        worker.onerror = (e) =>
          reject(new Error(`The runtime worker failed: ${e.message || 'it could not start'}`));
        const request: CheckRequest = { id, pack, caps, storage: modelStorage().kind };
        worker.postMessage(request);
      });
      const failed = checks.filter((c) => !c.ok);
      const backend = caps.backend === 'webgpu' ? 'WebGPU' : 'WASM';
      return {
        runtime,
        checks,
        ok: checks.length > 0 && failed.length === 0,
        message:
          checks.length === 0
            ? `${pack.title} has no ONNX graphs to check.`
            : failed.length === 0
              ? `All ${checks.length} graphs of ${pack.title} opened in ONNX Runtime from stored bytes (${backend} chosen).`
              : `${failed.length} of ${checks.length} graphs failed: ${failed.map((f) => f.message).join(' ')}`,
      };
    } catch (error) {
      // A worker that failed to start or crashed is not reused.
      this.#checkWorker?.terminate();
      this.#checkWorker = null;
      throw error;
    }
  }
}

export const modelsService = new ModelsService();
