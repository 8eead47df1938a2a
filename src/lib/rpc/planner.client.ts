/**
 * The planner worker's client: one plan at a time (a serial queue), an AbortSignal that drops a
 * waiting plan at once and stops a running one softly (the worker interrupts generation between
 * tokens, the panels already sent stay with the caller) — and the hard way, by terminating the
 * worker, when it does not stop within the grace period — and `terminate()` that rejects every
 * pending call with a sentence. Every plan ends with the model released (the worker does that), so
 * the GPU is the engine's again; terminating the worker frees it too.
 */
import * as Comlink from 'comlink';
import type {
  PlannerApi,
  PlannerErrorCode,
  PlannerEvent,
  PlannerJob,
  PlannerOutput,
} from '../../../workers/planner-api';
import type { SpawnedWorker, WorkerFactory } from './engine.client';
import { installWireErrors, remoteError, WorkerClientError } from './wire';

installWireErrors();

export type { PlannerErrorCode, PlannerEvent, PlannerJob, PlannerOutput };

export class PlannerClientError extends WorkerClientError<PlannerErrorCode> {}

const CODES: readonly PlannerErrorCode[] = [
  'invalid-input',
  'not-found',
  'cancelled',
  'stopped',
  'planner-failed',
];
const CANCELLED = 'Planning was cancelled; the panels already planned are kept.';
const STOPPED = 'The planner was stopped before it finished; the panels already planned are kept.';

const fromRemote = remoteError(
  PlannerClientError,
  CODES,
  'planner-failed',
  'The planner failed without saying why.',
);

export interface PlanCallOptions {
  signal?: AbortSignal;
  onEvent?: (event: PlannerEvent) => void;
}

export class PlannerClient {
  readonly #factory: WorkerFactory;
  readonly #grace: number;
  #worker: SpawnedWorker | null = null;
  #remote: Comlink.Remote<PlannerApi> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = new Set<(e: PlannerClientError) => void>();
  #epoch = 0;
  #nextJob = 1;
  #spawns = 0;

  constructor(factory: WorkerFactory, options: { softCancelGraceMs?: number } = {}) {
    this.#factory = factory;
    this.#grace = options.softCancelGraceMs ?? 5000;
  }

  /** Workers started so far (a restart after a hard stop counts). */
  get spawns(): number {
    return this.#spawns;
  }

  #spawn(): Comlink.Remote<PlannerApi> {
    if (this.#remote) return this.#remote;
    const worker = this.#factory();
    this.#spawns++;
    this.#worker = worker;
    this.#remote = Comlink.wrap<PlannerApi>(worker.endpoint);
    worker.onFailure?.((message) => {
      if (this.#worker === worker) this.terminate(`The planner stopped: ${message}`, 'planner-failed');
    });
    return this.#remote;
  }

  /** One plan (or one re-planned panel); events stream while it runs. */
  plan(job: Omit<PlannerJob, 'jobId'>, options: PlanCallOptions = {}): Promise<PlannerOutput> {
    const { signal } = options;
    return new Promise<PlannerOutput>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: () => void = () => undefined;
      const finish = () => {
        settled = true;
        this.#pending.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
      const fail = (e: PlannerClientError) => {
        if (settled) return;
        finish();
        reject(e);
      };
      if (signal?.aborted) return fail(new PlannerClientError('cancelled', CANCELLED));
      // Until it runs, an abort takes the plan out of the queue.
      onAbort = () => fail(new PlannerClientError('cancelled', CANCELLED));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(fail);
      const epoch = this.#epoch;
      const jobId = this.#nextJob++;
      const run = async () => {
        if (settled) return;
        if (epoch !== this.#epoch) return fail(new PlannerClientError('stopped', STOPPED));
        const remote = this.#spawn();
        signal?.removeEventListener('abort', onAbort);
        onAbort = () => {
          void remote.cancel(jobId);
          timer = setTimeout(() => {
            if (!settled) this.terminate(CANCELLED, 'cancelled');
          }, this.#grace);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const callback = options.onEvent ? Comlink.proxy(options.onEvent) : undefined;
        try {
          const out = await remote.plan({ ...job, jobId }, callback);
          if (settled) return;
          finish();
          resolve(out);
        } catch (e) {
          fail(fromRemote(e));
        }
      };
      // terminate() starts a new chain, so a call whose worker was stopped never blocks later ones.
      this.#queue = this.#queue.then(run, run);
    });
  }

  /** Stop the worker now and reject every pending call; the next call starts a fresh worker. */
  terminate(message = STOPPED, code: PlannerErrorCode = 'stopped'): void {
    this.#epoch++;
    const worker = this.#worker;
    const remote = this.#remote;
    this.#worker = null;
    this.#remote = null;
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    for (const fail of [...this.#pending]) fail(new PlannerClientError(code, message));
    this.#queue = Promise.resolve();
  }

  dispose(): void {
    this.terminate('The planner was shut down.');
  }
}
