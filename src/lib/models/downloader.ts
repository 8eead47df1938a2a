/**
 * Downloads the files of one pack from the Hub's URL layout: streaming fetch, a few files at
 * once, pause and resume, HTTP Range after a reload or a dropped connection. Bytes are written
 * to `<file>.part` as they arrive and hashed incrementally; a file gets its final name only
 * after its size and SHA-256 checked out (see verify.ts).
 */
import { StoryLoomError } from '../domain/errors';
import { faults, isModelFault, isQuotaError, ModelFault } from './faults';
import { diskIsFull } from './room';
import { hashStream, IncrementalSha256 } from './hash';
import { decideRangeResponse, parseContentRange, rangeHeader } from './http-range';
import type { Pack } from './manifest';
import { progressKey, type PackFile } from './pack-files';
import {
  figures,
  RateMeter,
  type ModelProgress,
  type ProgressListener,
  type TransferFigures,
} from './progress';
import { checkQuota } from './quota';
import {
  bytesOf,
  workOf,
  nextFileState,
  packStatus,
  type FileEvent,
  type FileState,
  type PackStatus,
} from './resume';
import type { ModelStorage } from './storage';
import { widenedEntry } from './derive';
import { entryMatches, readVerified, type VerifiedEntry } from './verified';
import { verifyAndCommit } from './verify';

export interface FileView {
  label: string;
  bytes: number;
  state: FileState;
  figures: TransferFigures;
  optional: boolean;
  /** Made ready at install after the download (widened to fp32). */
  prepares: boolean;
}

/** What happened to one file in this session: how much was re-used and how much fetched. */
export interface TransferNote {
  label: string;
  resumedFrom: number;
  fetched: number;
  restarted: string | null;
  requests: number;
}

export interface PackSnapshot {
  packId: string;
  files: FileView[];
  pack: TransferFigures;
  status: PackStatus;
  running: boolean;
  notes: TransferNote[];
  /** What went wrong, a full disk first (it explains the files that failed after it). */
  faults: { label: string | null; message: string; resumable: boolean; diskFull?: boolean }[];
  /**
   * The run stopped because the browser is offline (not started, or the connection went with the
   * network): the other files were not tried, and a Resume once back online continues.
   */
  offline: boolean;
}

/** Makes a verified file ready (widens it); `onProgress` reports bytes of the source read. */
export type PrepareFile = (
  file: PackFile,
  options: { signal: AbortSignal; onProgress: (done: number) => void },
) => Promise<void>;

export interface DownloaderDeps {
  storage: ModelStorage;
  /** For files with `prepare` set (sources of widened variants). */
  prepare?: PrepareFile;
  fetch?: typeof fetch;
  concurrency?: number;
  now?: () => number;
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  /** Is the browser online (navigator.onLine)? Offline, no file is tried. */
  online?: () => boolean;
  /**
   * Does the disk take `bytes` more? Asked before each file and every ROOM_EVERY_BYTES of one, so a
   * full disk stops the download before the browser's own file system meets it (default: the OPFS
   * probe of models/room.ts).
   */
  hasRoom?: (bytes: number) => Promise<boolean>;
}

interface Slot {
  file: PackFile;
  state: FileState;
  expected: number;
  meter: RateMeter;
  lastEmit: number;
}

export interface ProgressFile {
  total: number;
  bytes: number;
  updatedAt: number;
  /** An optional file the Hub does not have: remembered so that a reload still shows the pack ready. */
  unavailable?: string;
}

const EMIT_EVERY_MS = 80;

export class PackDownloader {
  readonly pack: Pack;
  readonly #storage: ModelStorage;
  readonly #fetch: typeof fetch;
  readonly #concurrency: number;
  readonly #now: () => number;
  readonly #estimate: () => Promise<{ usage?: number; quota?: number }>;
  readonly #prepare: PrepareFile | null;
  readonly #slots = new Map<string, Slot>();
  readonly #packMeter = new RateMeter();
  #progressListeners = new Set<ProgressListener>();
  #changeListeners = new Set<(s: PackSnapshot) => void>();
  #controller: AbortController | null = null;
  #running: Promise<PackSnapshot> | null = null;
  #notes = new Map<string, TransferNote>();
  #faults: PackSnapshot['faults'] = [];
  #offline = false;
  /** This run met a full disk: no further file is tried, and storage errors after it are the disk's. */
  #diskFull = false;
  readonly #online: () => boolean;
  readonly #hasRoom: (bytes: number) => Promise<boolean>;
  #lastPackEmit = 0;

  constructor(pack: Pack, files: PackFile[], deps: DownloaderDeps) {
    this.pack = pack;
    this.#storage = deps.storage;
    this.#fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#concurrency = Math.max(1, deps.concurrency ?? 3);
    this.#now = deps.now ?? (() => performance.now());
    this.#prepare = deps.prepare ?? null;
    this.#online = deps.online ?? (() => globalThis.navigator?.onLine ?? true);
    this.#hasRoom = deps.hasRoom ?? (async (bytes) => !(await diskIsFull(bytes, isQuotaError)));
    this.#estimate =
      deps.estimate ?? (async () => (navigator.storage?.estimate ? navigator.storage.estimate() : {}));
    for (const file of files)
      this.#slots.set(file.label, {
        file,
        state: { kind: 'missing' },
        expected: file.bytes,
        meter: new RateMeter(),
        lastEmit: 0,
      });
  }

  onProgress(listener: ProgressListener): () => void {
    this.#progressListeners.add(listener);
    return () => this.#progressListeners.delete(listener);
  }

  onChange(listener: (s: PackSnapshot) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Read what is already on disk: verified files, and `.part` bytes kept from before. */
  async scan(): Promise<PackSnapshot> {
    const verified = await readVerified(this.#storage, this.pack.id);
    const progress = (
      await this.#storage.readJson<{ files: Record<string, ProgressFile> }>(progressKey(this.pack.id))
    )?.files;
    for (const slot of this.#slots.values()) {
      const kind = slot.state.kind;
      if (kind === 'downloading' || kind === 'verifying' || kind === 'preparing') continue;
      const entry = verified.files[slot.file.label];
      if (entryMatches(entry, slot.file) && (await this.#complete(slot.file, entry, verified.files))) {
        slot.state = { kind: 'verified', bytes: entry.size };
        slot.expected = entry.size;
        continue;
      }
      const gone = progress?.[slot.file.label]?.unavailable;
      if (slot.file.optional && gone) {
        slot.state = { kind: 'unavailable', bytes: 0, message: gone };
        continue;
      }
      // A final file without a matching entry is never loadable (the loader reads only listed files);
      // it is replaced on the next commit. Not deleted here: an import may be committing it right now.
      const part = await this.#storage.partSize(slot.file.key);
      const known = progress?.[slot.file.label]?.total;
      if (!slot.file.bytesExact && known) slot.expected = known;
      if (slot.state.kind === 'failed' || slot.state.kind === 'interrupted' || slot.state.kind === 'paused')
        slot.state = { ...slot.state, bytes: part };
      else slot.state = part > 0 ? { kind: 'partial', bytes: part } : { kind: 'missing' };
    }
    this.#changed();
    return this.snapshot();
  }

  /** A verified entry is complete when its file is there, or (prepared files) its widened copy is. */
  async #complete(file: PackFile, entry: VerifiedEntry, files: Record<string, VerifiedEntry>) {
    if (file.prepare) return widenedEntry(files, file) !== null;
    return (await this.#storage.fileSize(file.key)) === entry.size;
  }

  /** Download every file that is not verified. Resolves when all are done, or paused, or failed. */
  start(): Promise<PackSnapshot> {
    if (this.#running) return this.#running;
    this.#running = this.#run().finally(() => {
      this.#running = null;
      this.#controller = null;
      this.#changed();
    });
    this.#changed();
    return this.#running;
  }

  /** Stop transfers; the bytes received stay in their `.part` files for Resume. */
  pause(): void {
    this.#controller?.abort(new DOMException('Paused', 'AbortError'));
  }

  async #run(): Promise<PackSnapshot> {
    await this.scan();
    this.#faults = [];
    this.#diskFull = false;
    // Offline, every file would fail alike: try none, and say so once (the caller resumes when online).
    this.#offline = !this.#online();
    if (this.#offline) return this.snapshot();
    const todo = [...this.#slots.values()].filter(
      (s) => s.state.kind !== 'verified' && s.state.kind !== 'unavailable',
    );
    const remaining = todo.reduce((sum, s) => sum + Math.max(0, s.expected - bytesOf(s.state)), 0);
    const estimate = await this.#estimate().catch(() => ({}) as { usage?: number; quota?: number });
    const verdict = checkQuota(this.pack.title, { remaining, usage: estimate.usage, quota: estimate.quota });
    if (!verdict.ok) {
      const fault = new ModelFault('quota', null, verdict.message);
      this.#faults.push({ label: null, message: fault.message, resumable: false });
      throw fault;
    }
    const controller = new AbortController();
    this.#controller = controller;
    this.#packMeter.reset();
    this.#emit({ status: 'initiate', packId: this.pack.id, file: null, total: this.#packTotal() });
    const queue = [...todo];
    const worker = async () => {
      for (
        let slot = queue.shift();
        slot && !controller.signal.aborted && !this.#offline && !this.#diskFull;
        slot = queue.shift()
      )
        await this.#downloadOne(slot, controller.signal);
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, queue.length) }, worker));
    // Files never started because of a pause stay as they were.
    await this.#saveProgress();
    const snapshot = this.snapshot();
    if (snapshot.status.kind === 'verified') this.#emit({ status: 'ready', packId: this.pack.id });
    return snapshot;
  }

  #apply(slot: Slot, event: FileEvent) {
    slot.state = nextFileState(slot.state, event);
  }

  async #downloadOne(slot: Slot, signal: AbortSignal): Promise<void> {
    const { file } = slot;
    const entry = (await readVerified(this.#storage, this.pack.id)).files[file.label];
    if (file.prepare && entryMatches(entry, file) && !entry.replacedBy) {
      // Downloaded and verified before, not yet widened (the tab closed while it was): widen only.
      slot.state = { kind: 'verifying', bytes: entry.size };
      slot.expected = entry.size;
      try {
        await this.#prepareOne(slot, signal);
      } catch (error) {
        this.#failed(slot, await this.#explain(error), signal, entry.size);
      } finally {
        this.#changed();
      }
      return;
    }
    let offset = await this.#storage.partSize(file.key);
    if (file.bytesExact && offset > file.bytes) {
      await this.#storage.deletePart(file.key);
      offset = 0;
    }
    const note: TransferNote = this.#notes.get(file.label) ?? {
      label: file.label,
      resumedFrom: offset,
      fetched: 0,
      restarted: null,
      requests: 0,
    };
    note.resumedFrom = offset;
    note.fetched = 0;
    this.#notes.set(file.label, note);
    // Bytes kept from before are hashed again: the hash state itself is not persisted.
    const hasher = new IncrementalSha256();
    if (offset > 0) await hashStream((await this.#storage.readPart(file.key)).stream(), hasher);
    this.#apply(slot, { type: 'start', offset });
    slot.meter.reset();
    this.#emit({ status: 'download', packId: this.pack.id, file: file.label, offset, resumed: offset > 0 });
    this.#changed();

    let sink: Awaited<ReturnType<ModelStorage['openPart']>> | null = null;
    try {
      // The disk must take this file (up to ROOM_PROBE_BYTES of it) before a byte of it is asked for.
      await this.#ensureRoom(file.label, offset, Math.max(0, slot.expected - offset));
      note.requests++;
      const response = await this.#fetch(file.url, {
        headers: offset > 0 ? { Range: rangeHeader(offset) } : {},
        signal,
        cache: 'no-store',
        credentials: 'omit',
      });
      const contentRange = response.headers.get('Content-Range');
      if (!file.bytesExact) slot.expected = serverTotal(response) ?? slot.expected;
      const decision = decideRangeResponse(response.status, contentRange, offset, slot.expected);
      let truncate = offset === 0;
      if (decision.kind === 'error') {
        await response.body?.cancel().catch(() => undefined);
        throw response.status === 404
          ? faults.missingOnHub(file.label, file.url)
          : faults.http(file.label, decision.status);
      }
      if (decision.kind === 'restart') {
        // The server will not continue where we stopped: start this file over, and say so.
        if (response.status !== 200) {
          await response.body?.cancel();
          throw faults.http(file.label, response.status);
        }
        note.restarted = decision.reason;
        hasher.reset();
        truncate = true;
        offset = 0;
        this.#apply(slot, { type: 'restart', reason: decision.reason });
        this.#emit({
          status: 'download',
          packId: this.pack.id,
          file: file.label,
          offset: 0,
          resumed: false,
          restarted: decision.reason,
        });
      }
      if (file.bytesExact && decision.kind !== 'complete') {
        const declared = serverTotal(response);
        if (declared !== null && declared !== file.bytes) {
          await response.body?.cancel();
          throw faults.truncated(file.label, declared, file.bytes);
        }
      }
      sink = await this.#storage.openPart(file.key, { truncate });
      if (sink.size !== offset) throw new Error(`${file.label}.part changed while it was being resumed`);
      if (decision.kind !== 'complete' && response.body) {
        const reader = response.body.getReader();
        let sinceRoom = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          sinceRoom += value.byteLength;
          if (sinceRoom >= ROOM_EVERY_BYTES) {
            sinceRoom = 0;
            await this.#ensureRoom(file.label, sink.size, ROOM_PROBE_BYTES).catch(async (e: unknown) => {
              await reader.cancel().catch(() => undefined);
              throw e;
            });
          }
          hasher.update(value);
          await sink.write(value);
          note.fetched += value.byteLength;
          this.#apply(slot, { type: 'chunk', bytes: value.byteLength });
          slot.meter.add(value.byteLength, this.#now());
          this.#packMeter.add(value.byteLength, this.#now());
          if (file.bytesExact && sink.size > file.bytes)
            throw faults.tooLong(file.label, sink.size, file.bytes);
          this.#progress(slot, false);
        }
      }
      await sink.close();
      const size = sink.size;
      sink = null;
      if (size < slot.expected) {
        // The body ended early although the server promised the whole file: a dropped connection.
        throw faults.network(file.label, size);
      }
      this.#progress(slot, true);
      this.#apply(slot, { type: 'received-all' });
      this.#changed();
      await verifyAndCommit(this.#storage, this.pack.id, file, hasher, size, slot.expected, 'download');
      if (file.prepare) await this.#prepareOne(slot, signal);
      this.#apply(slot, { type: 'verified' });
      this.#emit({
        status: 'done',
        packId: this.pack.id,
        file: file.label,
        bytesFetched: note.fetched,
        resumedFrom: note.restarted ? 0 : note.resumedFrom,
      });
    } catch (error) {
      await sink?.close().catch(() => undefined);
      const kept = await this.#storage.partSize(file.key).catch(() => 0);
      this.#failed(slot, await this.#explain(error), signal, kept);
      await this.#saveProgress();
    } finally {
      this.#changed();
    }
  }

  /** Throws the disk-full fault when the disk does not take `bytes` (at most ROOM_PROBE_BYTES) more. */
  async #ensureRoom(label: string, kept: number, bytes: number): Promise<void> {
    const probe = Math.min(ROOM_PROBE_BYTES, bytes + ROOM_SLACK_BYTES);
    if (this.#diskFull || !(await this.#hasRoom(probe))) throw faults.diskFull(label, kept);
  }

  /**
   * A storage error that names no cause (a DOMException other than quota, network or abort) is the
   * full disk's when this run has met one, or when the disk takes no more now (Chromium fails pack
   * files on a full disk with an InvalidStateError, and its file system keeps failing so after).
   */
  async #explain(error: unknown): Promise<unknown> {
    if (isModelFault(error) || isQuotaError(error) || !(error instanceof DOMException)) return error;
    if (error.name === 'NetworkError' || error.name === 'AbortError') return error;
    if (!this.#diskFull && (await this.#hasRoom(ROOM_PROBE_BYTES))) return error;
    return new DOMException(`The disk is full (${error.name}: ${error.message})`, 'QuotaExceededError');
  }

  /** Widen a verified source; the bar counts the source's bytes a second time while it runs. */
  async #prepareOne(slot: Slot, signal: AbortSignal): Promise<void> {
    if (!this.#prepare)
      throw new StoryLoomError(
        'invalid-input',
        `${slot.file.label} must be prepared, but nothing can prepare it here.`,
      );
    this.#apply(slot, { type: 'prepare', done: 0 });
    this.#changed();
    await this.#prepare(slot.file, {
      signal,
      onProgress: (done) => {
        this.#apply(slot, { type: 'prepare', done });
        this.#progress(slot, false);
      },
    });
  }

  #failed(slot: Slot, error: unknown, signal: AbortSignal, kept: number) {
    const { file } = slot;
    if (signal.aborted) {
      this.#apply(slot, { type: 'pause' });
      slot.state = { kind: 'paused', bytes: kept };
      return;
    }
    const fault = toFault(error, file.label, kept);
    if (file.optional && fault.fault === 'missing-file') {
      // The pack is ready without an optional component the Hub does not publish; say what is missing.
      slot.state = { kind: 'unavailable', bytes: 0, message: fault.message };
      this.#faults.push({ label: file.label, message: fault.message, resumable: false });
      return;
    }
    const diskFull = fault.fault === 'disk-full';
    if (diskFull) this.#diskFull = true;
    this.#faults.push({ label: file.label, message: fault.message, resumable: fault.resumable, diskFull });
    // The network went away: the files still queued are not tried (they would fail the same way).
    if (fault.fault === 'network' && !this.#online()) this.#offline = true;
    if (fault.resumable) {
      this.#apply(slot, { type: 'network-error', message: fault.message });
      slot.state = { kind: 'interrupted', bytes: kept, message: fault.message };
    } else this.#apply(slot, { type: 'rejected', message: fault.message, kept });
  }

  #packTotal(): number {
    let total = 0;
    for (const slot of this.#slots.values())
      if (slot.state.kind !== 'unavailable') total += (slot.file.prepare ? 2 : 1) * slot.expected;
    return total;
  }

  #packLoaded(): number {
    let loaded = 0;
    for (const slot of this.#slots.values())
      loaded += workOf(slot.state, slot.expected, slot.file.prepare !== null);
    return loaded;
  }

  #progress(slot: Slot, force: boolean) {
    const t = this.#now();
    if (force || t - slot.lastEmit >= EMIT_EVERY_MS) {
      slot.lastEmit = t;
      const prepares = slot.file.prepare !== null;
      this.#emit({
        status: 'progress',
        packId: this.pack.id,
        file: slot.file.label,
        ...figures(
          workOf(slot.state, slot.expected, prepares),
          (prepares ? 2 : 1) * slot.expected,
          slot.meter.rate(),
        ),
      });
    }
    if (force || t - this.#lastPackEmit >= EMIT_EVERY_MS) {
      this.#lastPackEmit = t;
      this.#emit({
        status: 'progress',
        packId: this.pack.id,
        file: null,
        ...figures(this.#packLoaded(), this.#packTotal(), this.#packMeter.rate()),
      });
      this.#changed();
      if (t - this.#lastSave > 2000) void this.#saveProgress();
    }
  }

  #lastSave = 0;
  #saving: Promise<void> = Promise.resolve();

  /** The small progress JSON: what a reload needs to show "partial x%" and the server's sizes. */
  #saveProgress(): Promise<void> {
    this.#lastSave = this.#now();
    const files: Record<string, ProgressFile> = {};
    for (const slot of this.#slots.values())
      files[slot.file.label] = {
        total: slot.expected,
        bytes: bytesOf(slot.state),
        updatedAt: Date.now(),
        ...(slot.state.kind === 'unavailable' ? { unavailable: slot.state.message } : {}),
      };
    // Merged into what is stored: another downloader of the same pack (the planner's, after the
    // install) keeps its own files' entries there, and neither may drop the other's.
    this.#saving = this.#saving
      .then(() =>
        updateProgress(this.#storage, this.pack.id, (stored) => {
          Object.assign(stored, files);
        }),
      )
      .catch(() => undefined);
    return this.#saving;
  }

  /**
   * Cancel: stop, and throw away the bytes received of every file that is not verified yet. Verified
   * files stay (of this downloader and of any other of the pack); only this downloader's parts go.
   */
  async discard(): Promise<PackSnapshot> {
    if (this.#running) {
      this.pause();
      await this.#running.catch(() => undefined);
    }
    const dropped: string[] = [];
    for (const slot of this.#slots.values()) {
      if (slot.state.kind === 'verified' || slot.state.kind === 'unavailable') continue;
      await this.#storage.deletePart(slot.file.key);
      slot.state = { kind: 'missing' };
      slot.expected = slot.file.bytes;
      dropped.push(slot.file.label);
    }
    await this.#saving;
    await updateProgress(this.#storage, this.pack.id, (stored) => {
      for (const label of dropped) delete stored[label];
    });
    this.#notes.clear();
    this.#faults = [];
    this.#offline = false;
    this.#changed();
    return this.snapshot();
  }

  #emit(event: ModelProgress) {
    for (const listener of this.#progressListeners) listener(event);
  }

  #changed() {
    if (this.#changeListeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const listener of this.#changeListeners) listener(snapshot);
  }

  snapshot(): PackSnapshot {
    const files: FileView[] = [...this.#slots.values()].map((slot) => ({
      label: slot.file.label,
      bytes: slot.expected,
      state: slot.state,
      optional: slot.file.optional,
      prepares: slot.file.prepare !== null,
      figures: figures(
        workOf(slot.state, slot.expected, slot.file.prepare !== null),
        (slot.file.prepare ? 2 : 1) * slot.expected,
        slot.state.kind === 'downloading' ? slot.meter.rate() : 0,
      ),
    }));
    return {
      packId: this.pack.id,
      files,
      pack: figures(this.#packLoaded(), this.#packTotal(), this.#running ? this.#packMeter.rate() : 0),
      status: packStatus(
        files.map((f) => ({
          label: f.label,
          size: f.bytes,
          state: f.state,
          optional: f.optional,
          prepares: f.prepares,
        })),
      ),
      running: this.#running !== null,
      notes: [...this.#notes.values()],
      faults: [...this.#faults.filter((f) => f.diskFull), ...this.#faults.filter((f) => !f.diskFull)],
      offline: this.#offline,
    };
  }

  /** Forget every file state (after the pack was deleted). */
  reset(): void {
    for (const slot of this.#slots.values()) slot.state = { kind: 'missing' };
    this.#notes.clear();
    this.#faults = [];
    this.#offline = false;
    this.#changed();
  }
}

// Updates of one pack's progress file are chained, as the verified manifest's are (verified.ts).
const progressChains = new Map<string, Promise<unknown>>();

/** Read, change and write one pack's progress file; entries of files `change` leaves alone stay. */
export function updateProgress(
  storage: ModelStorage,
  packId: string,
  change: (files: Record<string, ProgressFile>) => void,
): Promise<void> {
  const run = (progressChains.get(packId) ?? Promise.resolve()).then(async () => {
    const stored = await storage.readJson<{ packId?: string; files?: Record<string, ProgressFile> }>(
      progressKey(packId),
    );
    const files = stored && typeof stored.files === 'object' && stored.files ? { ...stored.files } : {};
    change(files);
    await storage.writeJson(progressKey(packId), { packId, files });
  });
  progressChains.set(
    packId,
    run.catch(() => undefined),
  );
  return run;
}

/** Full length of the file as the server declares it. */
function serverTotal(response: Response): number | null {
  if (response.status === 206) return parseContentRange(response.headers.get('Content-Range'))?.size ?? null;
  const length = Number(response.headers.get('Content-Length') ?? NaN);
  if (response.status === 200 && Number.isFinite(length) && !response.headers.get('Content-Encoding'))
    return length;
  return null;
}

/** The room asked of the disk before a file (or what is left of it, if less) and every ROOM_EVERY_BYTES. */
const ROOM_PROBE_BYTES = 2 * 1024 * 1024;
/** Room kept beyond a small file's own bytes (the file system's own records). */
const ROOM_SLACK_BYTES = 64 * 1024;
/** Bytes of one file received between two room checks. */
const ROOM_EVERY_BYTES = 64 * 1024 * 1024;

function toFault(error: unknown, label: string, kept: number): ModelFault {
  if (isModelFault(error)) return error;
  if (isQuotaError(error)) return faults.diskFull(label, kept, error);
  if (error instanceof StoryLoomError)
    return new ModelFault('storage', label, error.message, { cause: error });
  if (error instanceof DOMException && error.name !== 'NetworkError' && error.name !== 'AbortError')
    return faults.storage(label, error);
  return faults.network(label, kept, error);
}
