import { userMessage } from '../domain';
import { studio } from './studio.svelte';
import {
  faultSentence,
  modelsService,
  type Capabilities,
  type FolderEntry,
  type GraphCheck,
  type PackSnapshot,
  type PackSummary,
  type RuntimeInfo,
} from '../services/models.service';

export { formatBytes, formatDuration, formatRate, fraction } from '../services/models.service';
export type {
  Capabilities,
  FileState,
  FileView,
  GraphCheck,
  PackSnapshot,
  PackStatus,
  RuntimeInfo,
  TransferFigures,
  TransferNote,
} from '../services/models.service';

export interface PackRow {
  summary: PackSummary;
  snapshot: PackSnapshot | null;
  usage: number;
  /** Last sentence for the artist (import result, refusal, fault), or null. */
  message: string | null;
  messageKind: 'info' | 'error';
  checking: boolean;
  checks: GraphCheck[];
  checkMessage: string | null;
  checkOk: boolean | null;
  runtime: RuntimeInfo | null;
  importing: boolean;
  /** The planner's own download (it is not part of the install), when the pack has one. */
  planner: PackSnapshot | null;
}

/** The Models view's state: packs, their download snapshots, the capability probe. */
class ModelsState {
  #caps = $state<Capabilities | null>(null);
  #rows = $state<PackRow[]>([]);
  #loading = $state(false);
  #error = $state<string | null>(null);
  #activePackId = $state<string | null>(null);
  #unsubscribe: (() => void)[] = [];
  /** Installs that stopped offline, waiting for the network: packId → stop waiting. */
  #waiting = new Map<string, () => void>();

  get caps(): Capabilities | null {
    return this.#caps;
  }
  get rows(): PackRow[] {
    return this.#rows;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The pack the studio draws, judges and plans with, or null (nothing installed yet). */
  get activePackId(): string | null {
    return this.#activePackId;
  }

  #row(packId: string): PackRow | undefined {
    return this.#rows.find((r) => r.summary.id === packId);
  }

  /** Load the packs on offer (again when the developer switch changed which are shown). */
  async load(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    try {
      this.#caps = await modelsService.probe();
      this.#activePackId = await modelsService.activePackId();
      const summaries = await modelsService.summaries();
      const kept = new Map(this.#rows.map((r) => [r.summary.id, r]));
      this.#rows = summaries.map(
        (summary) =>
          kept.get(summary.id) ?? {
            summary,
            snapshot: null,
            usage: 0,
            message: null,
            messageKind: 'info',
            checking: false,
            checks: [],
            checkMessage: null,
            checkOk: null,
            runtime: null,
            importing: false,
            planner: null,
          },
      );
      for (const summary of summaries) {
        if (kept.has(summary.id)) continue;
        this.#unsubscribe.push(
          await modelsService.onChange(summary.id, (snapshot) => {
            const row = this.#row(summary.id);
            if (row) row.snapshot = snapshot;
          }),
        );
        await modelsService.scan(summary.id);
        if (summary.plannerBytes !== null) {
          this.#unsubscribe.push(
            await modelsService.onPlannerChange(summary.id, (snapshot) => {
              const row = this.#row(summary.id);
              if (row) row.planner = snapshot;
            }),
          );
          await modelsService.scanPlanner(summary.id);
        }
        await this.#refreshUsage(summary.id);
      }
    } catch (e) {
      this.#error = userMessage(e);
    } finally {
      this.#loading = false;
    }
  }

  async #refreshUsage(packId: string) {
    const row = this.#row(packId);
    if (row) row.usage = await modelsService.usage(packId).catch(() => 0);
  }

  #say(packId: string, message: string | null, kind: 'info' | 'error' = 'info') {
    const row = this.#row(packId);
    if (!row) return;
    row.message = message;
    row.messageKind = kind;
  }

  /** Install (download, verify, widen where needed); the first installed pack becomes the active one. */
  async download(packId: string): Promise<void> {
    this.#stopWaiting(packId);
    this.#say(packId, null);
    try {
      const snapshot = await modelsService.install(packId);
      if (snapshot.offline) {
        // One sentence for the whole pack, however many files wait; no Resume needed.
        this.#say(
          packId,
          `You are offline: the download of ${this.#row(packId)?.summary.title ?? 'this pack'} continues by itself when the connection returns, and what has arrived is kept.`,
        );
        this.#stopWaiting(packId);
        this.#waiting.set(
          packId,
          modelsService.whenOnline(() => {
            this.#waiting.delete(packId);
            void this.download(packId);
          }),
        );
        return;
      }
      this.#activePackId = await modelsService.activePackId();
      void studio.checkPack();
      const status = snapshot.status;
      if (status.kind === 'verified') {
        const note = status.missing.length
          ? ` Left out, because the Hub does not have ${status.missing.length === 1 ? 'it' : 'them'}: ${status.missing.join(', ')}.`
          : '';
        const active = this.#activePackId === packId ? ' The studio now uses it.' : '';
        this.#say(packId, `Installed: every file is downloaded and verified.${active}${note}`);
      } else {
        // One sentence for the whole pack: the faults of many files would bury the one that matters.
        const fault = faultSentence(snapshot.files, snapshot.faults);
        if (fault) this.#say(packId, fault, 'error');
      }
    } catch (e) {
      this.#say(packId, userMessage(e), 'error');
    } finally {
      await this.#refreshUsage(packId);
    }
  }

  /** The planner's first download, from the pack's card (the plan form offers the same). */
  async downloadPlanner(packId: string): Promise<void> {
    this.#say(packId, null);
    try {
      const snapshot = await modelsService.downloadPlanner(packId);
      const title = this.#row(packId)?.summary.title ?? 'this pack';
      if (snapshot.offline)
        this.#say(packId, `You are offline: download the planner of ${title} once the connection returns.`);
      else if (snapshot.status.kind === 'verified' && snapshot.status.missing.length === 0)
        this.#say(
          packId,
          `The planner of ${title} is downloaded and verified: plans now come from the model.`,
        );
      else if (snapshot.faults[0]) this.#say(packId, snapshot.faults[0].message, 'error');
    } catch (e) {
      this.#say(packId, userMessage(e), 'error');
    } finally {
      await this.#refreshUsage(packId);
    }
  }

  async pausePlanner(packId: string): Promise<void> {
    await modelsService.pausePlanner(packId);
    this.#say(packId, 'The planner download is paused. The bytes received so far are kept.');
  }

  async activate(packId: string): Promise<void> {
    try {
      await modelsService.setActivePack(packId);
      this.#activePackId = packId;
      void studio.checkPack();
      this.#say(packId, 'The studio now draws, judges and plans with this pack.');
    } catch (e) {
      this.#say(packId, userMessage(e), 'error');
    }
  }

  #stopWaiting(packId: string) {
    this.#waiting.get(packId)?.();
    this.#waiting.delete(packId);
  }

  async pause(packId: string): Promise<void> {
    this.#stopWaiting(packId);
    await modelsService.pause(packId);
    this.#say(packId, 'Paused. The bytes received so far are kept; press Resume to continue.');
  }

  async remove(packId: string): Promise<void> {
    this.#stopWaiting(packId);
    try {
      await modelsService.remove(packId);
      const row = this.#row(packId);
      if (row) {
        row.checks = [];
        row.checkMessage = null;
        row.checkOk = null;
      }
      this.#activePackId = await modelsService.activePackId();
      this.#say(packId, 'The pack was deleted from this browser.');
    } catch (e) {
      this.#say(packId, userMessage(e), 'error');
    } finally {
      await this.#refreshUsage(packId);
    }
  }

  /** Files from `<input type=file webkitdirectory>`. */
  async importFiles(packId: string, files: FileList | File[]): Promise<void> {
    const entries: FolderEntry[] = [...files].map((file) => ({
      relativePath: file.webkitRelativePath || file.name,
      file,
    }));
    await this.#import(packId, () => modelsService.importFolder(packId, entries));
  }

  /** showDirectoryPicker, where the browser has it (call from a click). */
  async importWithPicker(packId: string): Promise<void> {
    const picker = (window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> })
      .showDirectoryPicker;
    if (!picker) return;
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await picker();
    } catch {
      return; // the artist cancelled
    }
    await this.#import(packId, () => modelsService.importDirectory(packId, dir));
  }

  async #import(packId: string, run: () => Promise<{ ok: boolean; message: string }>) {
    const row = this.#row(packId);
    if (!row) return;
    row.importing = true;
    this.#say(packId, 'Importing and checking the folder…');
    try {
      const report = await run();
      this.#say(packId, report.message, report.ok ? 'info' : 'error');
    } catch (e) {
      this.#say(packId, userMessage(e), 'error');
    } finally {
      row.importing = false;
      await this.#refreshUsage(packId);
    }
  }

  async check(packId: string): Promise<void> {
    const row = this.#row(packId);
    if (!row || row.checking) return;
    row.checking = true;
    row.checks = [];
    row.checkMessage = 'Opening each graph in ONNX Runtime…';
    row.checkOk = null;
    try {
      const result = await modelsService.check(packId, (check) => {
        row.checks = [...row.checks, check];
      });
      row.checks = result.checks;
      row.runtime = result.runtime;
      row.checkMessage = result.message;
      row.checkOk = result.ok;
    } catch (e) {
      row.checkMessage = userMessage(e);
      row.checkOk = false;
    } finally {
      row.checking = false;
      await modelsService.scan(packId).catch(() => undefined);
    }
  }

  reset(): void {
    this.#unsubscribe.forEach((u) => u());
    this.#unsubscribe = [];
    this.#waiting.forEach((stop) => stop());
    this.#waiting.clear();
    this.#rows = [];
    this.#caps = null;
    this.#activePackId = null;
    this.#error = null;
  }
}

export const models = new ModelsState();
