/**
 * The engine worker's client: a serial queue over a comlink Remote, AbortSignal support (soft
 * cancel between steps, then terminate-and-respawn if the worker does not stop in time), and a
 * hard `terminate()` that rejects every pending call with a sentence — never leaves one hanging.
 */
import * as Comlink from 'comlink';
import type {
  AttemptJob,
  AttemptOutput,
  EngineApi,
  EngineInfo,
  EngineErrorCode,
  EngineInit,
  EngineStats,
  WorkerProgress,
} from '../../../workers/api';
import type { GateHost, GateRunJob, GateRunOutput } from '../../../workers/gate-api';
import { installWireErrors, remoteError, WorkerClientError } from './wire';

installWireErrors();

export interface SpawnedWorker {
  endpoint: Comlink.Endpoint;
  terminate(): void;
  /** Called with a sentence when the worker dies on its own (a crash, a failed load). */
  onFailure?(listener: (message: string) => void): void;
}
export type WorkerFactory = () => SpawnedWorker;

export type { EngineErrorCode };

const CODES: readonly EngineErrorCode[] = [
  'cancelled',
  'stopped',
  'engine-failed',
  'invalid-input',
  'not-found',
  'device-lost',
];

export class EngineClientError extends WorkerClientError<EngineErrorCode> {}

export interface EngineClientOptions {
  /** After a soft cancel, wait this long for the worker to stop before terminating it (ms). */
  softCancelGraceMs?: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Engine progress, then the judge's stages when the request asks for a judge. */
  onProgress?: (event: WorkerProgress) => void;
}

interface Pending {
  reject(e: EngineClientError): void;
  settled: boolean;
}

const WORKER_GONE = 'The engine’s worker stopped unexpectedly';
const STOPPED = 'The engine was stopped before it finished; nothing was saved. Generate again to retry.';

/** The worker's failure as it arrived (its code travels as data: rpc/wire.ts). */
const fromRemote = remoteError(
  EngineClientError,
  CODES,
  'engine-failed',
  'The engine failed without saying why.',
);

export class EngineClient {
  readonly #factory: WorkerFactory;
  readonly #init: EngineInit;
  readonly #grace: number;
  #worker: SpawnedWorker | null = null;
  #remote: Comlink.Remote<EngineApi> | null = null;
  #ready: Promise<EngineInfo> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = new Set<Pending>();
  #epoch = 0;
  #nextJob = 1;
  #spawns = 0;
  #disposed = false;
  #unwatch: () => void = () => {};

  constructor(factory: WorkerFactory, init: EngineInit, options: EngineClientOptions = {}) {
    this.#factory = factory;
    this.#init = init;
    this.#grace = options.softCancelGraceMs ?? 5000;
  }

  /** Workers started so far (a respawn after terminate counts). */
  get spawns(): number {
    return this.#spawns;
  }

  /** Calls started or waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  #spawn(): { remote: Comlink.Remote<EngineApi>; ready: Promise<EngineInfo> } {
    if (this.#disposed) throw new EngineClientError('stopped', 'The engine was shut down.');
    if (!this.#remote || !this.#ready) {
      const worker = this.#factory();
      this.#spawns++;
      this.#worker = worker;
      this.#remote = Comlink.wrap<EngineApi>(worker.endpoint);
      worker.onFailure?.((message) => {
        if (this.#worker === worker) this.terminate(`The engine stopped: ${message}`);
      });
      const aliveLock = this.#watchable() ? `storyloom-engine-alive:${this.#spawns}:${Math.random()}` : null;
      this.#ready = this.#remote.init(aliveLock ? { ...this.#init, aliveLock } : this.#init);
      this.#ready.catch(() => undefined);
      if (aliveLock)
        void this.#ready.then(
          () => this.#watch(worker, aliveLock),
          () => undefined,
        );
    }
    return { remote: this.#remote, ready: this.#ready };
  }

  #watchable(): boolean {
    return typeof navigator !== 'undefined' && !!(navigator as { locks?: LockManager }).locks;
  }

  /**
   * A worker that dies without a word (self.close(), killed by the browser) fires no event, and a
   * comlink call to it never settles. The worker holds a Web Lock for its lifetime; our request for
   * the same lock is granted the moment it dies, and then every pending call is rejected.
   */
  #watch(worker: SpawnedWorker, name: string): void {
    if (this.#worker !== worker) return;
    const stop = new AbortController();
    this.#unwatch = () => stop.abort();
    navigator.locks
      .request(name, { signal: stop.signal }, () => {
        if (this.#worker === worker) this.terminate(WORKER_GONE, 'stopped');
      })
      .catch(() => undefined);
  }

  /** Queue `work` behind every earlier call; it is rejected if the worker is terminated meanwhile. */
  #enqueue<T>(
    work: (remote: Comlink.Remote<EngineApi>, epoch: number) => Promise<T>,
    signal?: AbortSignal,
    { lane = 'queue' }: { lane?: 'queue' | 'beside' } = {},
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const entry: Pending = {
        settled: false,
        reject: (e) => {
          if (entry.settled) return;
          entry.settled = true;
          this.#pending.delete(entry);
          reject(e);
        },
      };
      this.#pending.add(entry);
      const epoch = this.#epoch;
      const notStarted = () =>
        new EngineClientError('cancelled', 'Generation was cancelled before it started.');
      // Waiting calls leave the queue at once when their signal aborts; running ones cancel softly.
      signal?.addEventListener('abort', () => !started && entry.reject(notStarted()), { once: true });
      const run = async () => {
        if (entry.settled) return;
        if (epoch !== this.#epoch) return entry.reject(new EngineClientError('stopped', STOPPED));
        if (signal?.aborted) return entry.reject(notStarted());
        started = true;
        try {
          const { remote, ready } = this.#spawn();
          await ready;
          const value = await work(remote, this.#epoch);
          if (!entry.settled) {
            entry.settled = true;
            this.#pending.delete(entry);
            resolve(value);
          }
        } catch (e) {
          entry.reject(fromRemote(e));
        }
      };
      // terminate() rejects every entry and starts a new chain, so a hung call never blocks later ones.
      if (lane === 'beside') void run();
      else this.#queue = this.#queue.then(run, run);
    });
  }

  /** Info about the runtime (backend, fallback reason); starts the worker. */
  info(): Promise<EngineInfo> {
    return this.#enqueue((_remote) => this.#ready as Promise<EngineInfo>);
  }

  /** One attempt of a panel (Generate, reference-guided Generate, an edit): drawn, judged, built. */
  attempt(job: AttemptJob, options: GenerateOptions = {}): Promise<AttemptOutput> {
    const callback = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    return this.#cancellable('The attempt was', options.signal, (remote, jobId) =>
      remote.attempt({ ...job, jobId }, callback),
    );
  }

  /**
   * The quality gate over a queue of panels. The worker calls `host` back (a comlink proxy) to read
   * and commit; the signal cancels softly between steps. The run does not hold the queue: a manual
   * attempt goes to the worker beside it and is drawn at the run's next attempt boundary (the host's
   * barrier waits for it), so a paused run never keeps the artist waiting.
   */
  gate(job: GateRunJob, host: GateHost, options: { signal?: AbortSignal } = {}): Promise<GateRunOutput> {
    return this.#cancellable(
      'The run was',
      options.signal,
      (remote, jobId) => remote.gate({ ...job, jobId }, Comlink.proxy(host)),
      { lane: 'beside' },
    );
  }

  /** Test hooks only: make the worker's GPU device go away. */
  loseDevice(): Promise<void> {
    return this.#enqueue((remote) => remote.loseDevice(), undefined, { lane: 'beside' });
  }

  /** Test hooks only: make the worker die on its own (`close`: self.close(); `throw`: an uncaught error). */
  crash(how: 'close' | 'throw'): Promise<void> {
    return this.#enqueue((remote) => remote.crash(how), undefined, { lane: 'beside' });
  }

  /**
   * One job with a jobId the worker checks between steps: an abort cancels it softly, and a worker
   * stuck inside one long step is stopped the hard way after the grace period.
   */
  #cancellable<T>(
    what: string,
    signal: AbortSignal | undefined,
    call: (remote: Comlink.Remote<EngineApi>, jobId: number) => Promise<T>,
    lane: { lane?: 'queue' | 'beside' } = {},
  ): Promise<T> {
    const jobId = this.#nextJob++;
    return this.#enqueue(
      async (remote, epoch) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => {
          void remote.cancel(jobId);
          timer = setTimeout(() => {
            if (epoch === this.#epoch)
              this.terminate(
                `${what} cancelled; the engine did not stop in time and was restarted.`,
                'cancelled',
              );
          }, this.#grace);
        };
        if (signal?.aborted) throw new EngineClientError('cancelled', `${what} cancelled before it started.`);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          return await call(remote, jobId);
        } finally {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        }
      },
      signal,
      lane,
    );
  }

  stats(): Promise<EngineStats | null> {
    return this.#enqueue((remote) => remote.stats());
  }

  release(): Promise<void> {
    return this.#enqueue((remote) => remote.release());
  }

  /**
   * Hard stop: terminate the worker now, reject every pending call with a sentence, and start a
   * fresh worker on the next call.
   */
  terminate(message = STOPPED, code: EngineErrorCode = 'stopped'): void {
    this.#epoch++;
    const worker = this.#worker;
    const remote = this.#remote;
    this.#worker = null;
    this.#remote = null;
    this.#ready = null;
    this.#unwatch();
    this.#unwatch = () => {};
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    for (const p of [...this.#pending]) p.reject(new EngineClientError(code, message));
    this.#queue = Promise.resolve();
  }

  async dispose(): Promise<void> {
    const remote = this.#remote;
    if (remote && this.#pending.size === 0) await remote.dispose().catch(() => undefined);
    this.terminate('The engine was shut down.');
    this.#disposed = true;
  }
}
