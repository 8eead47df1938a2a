/**
 * The façade the UI calls for model packs: list, probe, install (download, widen where the GPU
 * needs it) / pause / resume, delete, import a folder, "check the pack", and which pack is active.
 * It owns the one variant decision for this page (plan.ts, fed with the probe and the injected
 * configuration), so the downloader, the engine and the judge all get the same answer.
 * The UI never touches storage, fetch or ORT itself.
 */
import * as Comlink from 'comlink';
import type { StudioConfig } from '../config';
import { createStudioConfig } from '../config/studio-config';
import { StoryLoomError } from '../domain';
import {
  entriesFromDirectory,
  everyPack,
  importFolder,
  knownPacks,
  modelStorage,
  PackDownloader,
  packFiles,
  probeCapabilities,
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
import { deriveWidened, type Widener } from '../models/derive';
import { validatePack, type Device, type Feature, type Pack } from '../models/manifest';
import {
  downloadBytes,
  featureBlocker,
  INSTALL_FEATURES,
  openedBytes,
  planPack,
  preferredDevices,
  type ComponentPlan,
  type PackPlan,
  type PlanInput,
} from '../models/plan';
import type { WidenWorkerApi } from '../models/widen.worker';
import { libraryService } from './library.service';

export { faultSentence, formatBytes, formatDuration, formatRate, fraction } from '../models';
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

/** One component as the first-run path explains it. */
export interface ComponentSummary {
  id: string;
  title: string;
  feature: Feature;
  /** What the artist gets from it, in a sentence. */
  purpose: string;
  optional: boolean;
  device: Device;
  /** e.g. "fp16", "fp32 (widened from fp16 at install: this GPU has no shader-f16)". */
  precision: string;
  downloadBytes: number;
  /** Bytes its sessions hold once open (widened weights count double). */
  residentBytes: number;
  licence: { id: string; url: string; note: string | null };
  /** Why it cannot run on this machine, or null. */
  unavailable: string | null;
}

export interface PackSummary {
  id: string;
  title: string;
  description: string;
  test: boolean;
  /** Bytes this machine downloads for an install (chosen variants only, planner excluded). */
  bytes: number;
  fileCount: number;
  components: ComponentSummary[];
  /** Why this pack cannot draw on this machine, or null. */
  cannotDraw: string | null;
  /** Drawing goes through fp32 copies widened at install (no shader-f16 on this GPU). */
  widens: boolean;
  /** Bytes of the planner's first download here, or null (no planner, or it cannot run here). */
  plannerBytes: number | null;
}

export interface CheckResult {
  runtime: RuntimeInfo | null;
  checks: GraphCheck[];
  ok: boolean;
  message: string;
}

/** What Generate and Run need: the active pack, ready on this machine. */
export interface UsablePack {
  pack: Pack;
  plan: PackPlan;
  /** The plan input, for the workers (they plan again from it and open the same files). */
  planInput: PlanInput;
  /** Test packs served by our own origin may be read from there (the test hooks allow it). */
  servedFromOrigin: boolean;
}

const PURPOSE: Record<string, string> = {
  'text-encoder': 'Turns the panel’s words into what the image model understands.',
  unet: 'Draws the picture, step by step, from noise.',
  'vae-decoder': 'Turns the drawing into pixels.',
  'vae-encoder': 'Reads a picture back in, for reference-guided drawing and local edits.',
  'preview-decoder': 'Shows a quick preview while a panel is drawn (optional).',
  detector: 'Finds and counts the characters in a panel, for the quality check.',
  'image-text-encoder': 'Compares each character with their template, and checks pose and expression.',
  'vlm-judge': 'Answers the checklist questions about each panel (optional).',
  'planner-llm': 'Writes a story plan from a premise (downloaded the first time you plan).',
};

/** The sentence that Generate and Run show when no usable pack is there (the UI links to Models). */
export class NeedsModelsError extends StoryLoomError {
  constructor(message: string) {
    super('needs-models', message);
  }
}

/** The widener in its own worker (the page stays responsive while gigabytes are converted). */
const workerWidener: Widener = async (source, sourcePath, options) => {
  const worker = new Worker(new URL('../models/widen.worker.ts', import.meta.url), {
    type: 'module',
    name: 'widen',
  });
  const api = Comlink.wrap<WidenWorkerApi>(worker);
  const onAbort = () => void api.cancel();
  options.signal?.addEventListener('abort', onAbort);
  try {
    return await api.widen(
      source,
      sourcePath,
      Comlink.proxy({
        openData: async (name: string) => Comlink.proxy(await options.openData(name)),
        progress: (read: number, total: number) => options.onProgress?.(read, total),
      }),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    api[Comlink.releaseProxy]();
    worker.terminate();
  }
};

class ModelsService {
  #config: StudioConfig = createStudioConfig();
  #packs: Pack[] | null = null;
  #caps: Promise<Capabilities> | null = null;
  #downloaders = new Map<string, PackDownloader>();
  #progress = new Set<(e: ModelProgress) => void>();
  #widener: Widener = workerWidener;

  /** The composition root injects the configuration once, before anything is shown. */
  configure(config: StudioConfig, options: { widener?: Widener } = {}): void {
    this.#config = config;
    if (options.widener) this.#widener = options.widener;
    this.#caps = null;
    this.#packs = null;
    this.#downloaders.clear();
  }

  get config(): StudioConfig {
    return this.#config;
  }

  /** Every pack this build knows, test packs included (a test hook may replace one by id). */
  allPacks(): Pack[] {
    if (!this.#packs) {
      const replaced = this.#config.hooks.packs.map((json) => validatePack(json));
      this.#packs = knownPacks().map((p) => replaced.find((r) => r.id === p.id) ?? p);
    }
    return this.#packs;
  }

  pack(packId: string): Pack {
    const pack =
      this.allPacks().find((p) => p.id === packId) ?? everyPack().find((p) => p.test && p.id === packId);
    if (!pack) throw new StoryLoomError('not-found', `There is no model pack "${packId}".`);
    return pack;
  }

  /** The packs offered to the artist: real ones; test packs only behind the developer switch. */
  async packs(): Promise<Pack[]> {
    const settings = await libraryService.getSettings();
    const allowTest = this.#config.testPacksAllowed(settings.models.developerTestPacks);
    return this.allPacks().filter((p) => !p.test || allowTest);
  }

  /** Probe once per page: WebGPU adapter or WASM fallback (a test hook may force WASM). */
  probe(): Promise<Capabilities> {
    this.#caps ??= probeCapabilities(this.#config.preferBackend);
    return this.#caps;
  }

  /** The plan input of this page: capabilities and where the judge runs. */
  async planInput(features: readonly Feature[] = INSTALL_FEATURES): Promise<PlanInput> {
    const probed = await this.probe();
    const caps = { backend: probed.backend, features: [...probed.features] };
    const judge = this.#config.judgeDevice;
    return {
      caps,
      devices: judge ? { judge } : preferredDevices(caps),
      features: [...features],
    };
  }

  async plan(packId: string, features: readonly Feature[] = INSTALL_FEATURES): Promise<PackPlan> {
    return planPack(this.pack(packId), await this.planInput(features));
  }

  async summaries(): Promise<PackSummary[]> {
    const packs = await this.packs();
    const all = await this.planInput([...INSTALL_FEATURES, 'plan']);
    return packs.map((p) => {
      const install = planPack(p, { ...all, features: INSTALL_FEATURES });
      const everything = planPack(p, all);
      return {
        id: p.id,
        title: p.title,
        description: p.description,
        test: p.test,
        bytes: downloadBytes(install),
        fileCount: packFiles(p, install).length,
        components: everything.components.map((cp) => summarise(cp)),
        cannotDraw: featureBlocker(p, install, 'draw'),
        widens: install.components.some((cp) => cp.graphs.some((g) => g.variant.derive)),
        plannerBytes: plannerDownload(planPack(p, { ...all, features: PLANNER_FEATURES })),
      };
    });
  }

  /**
   * The downloader of a pack's install (drawing, editing, preview, judging), or with `features`
   * ['plan'] the one of its planner: a second downloader over the same storage, whose files are
   * added to the pack's verified record beside the install's (entries are merged file by file, see
   * verified.ts and updateProgress), so a planner download that runs, pauses, fails or is cancelled
   * never touches the files the pack draws with.
   */
  async #downloader(
    packId: string,
    features: readonly Feature[] = INSTALL_FEATURES,
  ): Promise<PackDownloader> {
    const key = downloaderKey(packId, features);
    const existing = this.#downloaders.get(key);
    if (existing) return existing;
    const pack = this.pack(packId);
    const plan = await this.plan(packId, features);
    const created = this.#downloaders.get(key);
    if (created) return created;
    const storage = modelStorage();
    const downloader = new PackDownloader(pack, packFiles(pack, plan), {
      storage,
      concurrency: 3,
      prepare: async (file, { signal, onProgress }) => {
        await deriveWidened(storage, pack.id, file, {
          widen: this.#widener,
          signal,
          onProgress: (done) => onProgress(done),
        });
      },
    });
    // The planner's events are its own: a listener of the pack's install must not read its "ready".
    if (key === packId) downloader.onProgress((e) => this.#progress.forEach((l) => l(e)));
    this.#downloaders.set(key, downloader);
    return downloader;
  }

  // ------------------------------------------------------------------ the planner's first download

  /** Bytes this machine downloads for the pack's planner (its variant for the planner's device). */
  async plannerBytes(packId: string): Promise<number> {
    return downloadBytes(await this.plan(packId, PLANNER_FEATURES));
  }

  async onPlannerChange(packId: string, listener: (s: PackSnapshot) => void): Promise<() => void> {
    return (await this.#downloader(packId, PLANNER_FEATURES)).onChange(listener);
  }

  /** What of the planner is stored: verified files and the bytes of a paused or interrupted transfer. */
  async scanPlanner(packId: string): Promise<PackSnapshot> {
    return (await this.#downloader(packId, PLANNER_FEATURES)).scan();
  }

  /** Download (or resume) the planner's files; the pack's installed files are left as they are. */
  async downloadPlanner(packId: string): Promise<PackSnapshot> {
    return (await this.#downloader(packId, PLANNER_FEATURES)).start();
  }

  async pausePlanner(packId: string): Promise<void> {
    (await this.#downloader(packId, PLANNER_FEATURES)).pause();
  }

  /** Stop the planner's download and delete what it received; the installed pack stays. */
  async cancelPlanner(packId: string): Promise<PackSnapshot> {
    return (await this.#downloader(packId, PLANNER_FEATURES)).discard();
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

  /** Install a pack and, when none is active yet (or it is the active one), make it active. */
  async install(packId: string): Promise<PackSnapshot> {
    const snapshot = await this.download(packId);
    if (snapshot.status.kind === 'verified') {
      const settings = await libraryService.getSettings();
      if (!settings.models.activePackId) await libraryService.setActivePack(packId);
    }
    return snapshot;
  }

  async pause(packId: string): Promise<void> {
    (await this.#downloader(packId)).pause();
  }

  /** Call `listener` once, when the browser is back online (an install stopped offline resumes then). */
  whenOnline(listener: () => void): () => void {
    const once = () => {
      globalThis.removeEventListener('online', once);
      listener();
    };
    globalThis.addEventListener('online', once);
    return () => globalThis.removeEventListener('online', once);
  }

  async remove(packId: string): Promise<void> {
    const downloader = await this.#downloader(packId);
    const planner = this.#downloaders.get(downloaderKey(packId, PLANNER_FEATURES));
    const both = planner ? [downloader, planner] : [downloader];
    for (const d of both)
      if (d.running) {
        d.pause();
        await d.start().catch(() => undefined);
      }
    await modelStorage().deleteFolder(packId);
    for (const d of both) d.reset();
    await downloader.scan();
    const settings = await libraryService.getSettings();
    if (settings.models.activePackId === packId) await libraryService.setActivePack(null);
  }

  usage(packId: string): Promise<number> {
    return modelStorage().usage(packId);
  }

  async importFolder(packId: string, entries: FolderEntry[]): Promise<ImportReport> {
    const pack = this.pack(packId);
    const plan = await this.plan(packId);
    const downloader = await this.#downloader(packId);
    if (downloader.running)
      throw new StoryLoomError(
        'invalid-input',
        'A download of this pack is running: pause it before importing a folder.',
      );
    const report = await importFolder(
      modelStorage(),
      pack.id,
      pack.title,
      packFiles(pack, plan),
      packFiles(pack),
      entries,
    );
    const snapshot = await downloader.scan();
    // Imported fp16 sources still need widening on this GPU: that is the rest of the install.
    if (snapshot.files.some((f) => f.prepares && f.state.kind !== 'verified')) await downloader.start();
    return report;
  }

  async importDirectory(packId: string, dir: FileSystemDirectoryHandle): Promise<ImportReport> {
    return this.importFolder(packId, await entriesFromDirectory(dir));
  }

  // ------------------------------------------------------------------ the active pack

  async activePackId(): Promise<string | null> {
    const hooked = this.#config.hooks.activePack;
    if (hooked) return hooked;
    return (await libraryService.getSettings()).models.activePackId;
  }

  /**
   * The size panels are drawn at: the UNet's native size in the active pack (or the test hooks'
   * UNet pack). Null when no pack is chosen or it has no UNet.
   */
  async drawingSize(): Promise<{ width: number; height: number } | null> {
    const id = await this.activePackId();
    if (!id) return null;
    for (const packId of [this.#config.hooks.unetPack, id]) {
      if (!packId) continue;
      const found = this.allPacks().find((p) => p.id === packId) ?? everyPack().find((p) => p.id === packId);
      const unet = found?.components.find((c) => c.role === 'unet' && c.scheduler)?.scheduler;
      if (unet) return { width: unet.width, height: unet.height };
    }
    return null;
  }

  async setActivePack(packId: string | null): Promise<void> {
    if (packId !== null) this.pack(packId);
    await libraryService.setActivePack(packId);
  }

  /**
   * The active pack, ready for `feature` on this machine — or a NeedsModelsError whose sentence says
   * what is missing (the UI adds the link to Models). Never a silent fallback to a test pack.
   */
  async usablePack(feature: Feature = 'draw'): Promise<UsablePack> {
    const id = await this.activePackId();
    if (!id)
      throw new NeedsModelsError('No model pack is installed yet: install one in Models to draw panels.');
    const pack = this.allPacks().find((p) => p.id === id);
    if (!pack) throw new NeedsModelsError(`The chosen model pack "${id}" is not known to this version.`);
    const servedFromOrigin = pack.test && !!pack.localRoot && this.#config.hooks.servedTestPacks;
    const planInput = await this.planInput([
      ...INSTALL_FEATURES,
      ...(feature === 'plan' ? ['plan' as const] : []),
    ]);
    const plan = planPack(pack, planInput);
    const blocker = featureBlocker(pack, plan, feature);
    if (blocker) throw new NeedsModelsError(`${pack.title} cannot run here: ${blocker}`);
    if (!servedFromOrigin) {
      const snapshot = await this.scan(pack.id);
      if (snapshot.status.kind !== 'verified') {
        const missing = snapshot.files.filter((f) => !f.optional && f.state.kind !== 'verified').length;
        throw new NeedsModelsError(
          `${pack.title} is not fully installed (${missing} of ${snapshot.files.length} files missing): finish the install in Models.`,
        );
      }
    }
    return { pack, plan, planInput, servedFromOrigin };
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

  /** Open every planned graph of a verified pack in a real ORT session (in the runtime's worker). */
  async check(packId: string, onGraph?: (check: GraphCheck) => void): Promise<CheckResult> {
    const pack = this.pack(packId);
    const planInput = await this.planInput();
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
        const request: CheckRequest = { id, pack, planInput, storage: modelStorage().kind };
        worker.postMessage(request);
      });
      const failed = checks.filter((c) => !c.ok);
      return {
        runtime,
        checks,
        ok: checks.length > 0 && failed.length === 0,
        message:
          checks.length === 0
            ? `${pack.title} has no ONNX graphs to check.`
            : failed.length === 0
              ? `All ${checks.length} graphs of ${pack.title} opened in ONNX Runtime from stored bytes.`
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

const PLANNER_FEATURES: readonly Feature[] = ['plan'];

/** The install's downloader is keyed by the pack's id; one for other features by id and features. */
const downloaderKey = (packId: string, features: readonly Feature[]) =>
  features === INSTALL_FEATURES ? packId : `${packId}#${[...features].sort().join('+')}`;

function plannerDownload(plan: PackPlan): number | null {
  const cp = plan.components.find((c) => c.component.role === 'planner-llm');
  return cp && !cp.unavailable ? downloadBytes(plan) : null;
}

function summarise(cp: ComponentPlan): ComponentSummary {
  const c = cp.component;
  const g = cp.graphs[0];
  const dtype = g?.variant.dtype ?? '—';
  const precision = !g
    ? 'not available here'
    : g.variant.derive === 'widen-fp16'
      ? `fp32, widened from fp16 once at install (this GPU has no shader-f16)`
      : dtype;
  const bytes = cp.download.reduce((s, p) => s + (c.files.find((f) => f.path === p)?.bytes ?? 0), 0);
  return {
    id: c.id,
    title: c.title,
    feature: cp.feature,
    purpose: PURPOSE[c.role] ?? c.title,
    optional: c.optional,
    device: cp.device,
    precision,
    downloadBytes: bytes,
    residentBytes: openedBytes(cp),
    licence: { id: c.licence.id, url: c.licence.url, note: c.licence.note ?? null },
    unavailable: cp.unavailable,
  };
}

export const modelsService = new ModelsService();
