/**
 * The render worker's client: one page at a time (a serial queue), an AbortSignal that drops a
 * waiting page at once and stops a running one by terminating the worker (a paint cannot be
 * interrupted between steps; a fresh worker starts on the next call), and `terminate()` that
 * rejects every pending call with a sentence.
 */
import * as Comlink from 'comlink';
import type { RenderApi, RenderErrorCode, RenderJob } from '../../../workers/render-api';
import type { SpawnedWorker, WorkerFactory } from './engine.client';
import { installWireErrors, remoteError, WorkerClientError } from './wire';

installWireErrors();

export type { RenderErrorCode, RenderJob };

export class RenderClientError extends WorkerClientError<RenderErrorCode> {}

const CODES: readonly RenderErrorCode[] = ['invalid-input', 'render-failed', 'cancelled', 'stopped'];
const CANCELLED = 'The page render was cancelled.';
const STOPPED = 'The page renderer was stopped before it finished; render the page again.';

const fromRemote = remoteError(RenderClientError, CODES, 'render-failed', 'The page could not be rendered.');

export class RenderClient {
  readonly #factory: WorkerFactory;
  #worker: SpawnedWorker | null = null;
  #remote: Comlink.Remote<RenderApi> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = new Set<(e: RenderClientError) => void>();
  #epoch = 0;
  #spawns = 0;

  constructor(factory: WorkerFactory) {
    this.#factory = factory;
  }

  /** Workers started so far (a restart after a cancel counts). */
  get spawns(): number {
    return this.#spawns;
  }

  #spawn(): Comlink.Remote<RenderApi> {
    if (this.#remote) return this.#remote;
    const worker = this.#factory();
    this.#spawns++;
    this.#worker = worker;
    this.#remote = Comlink.wrap<RenderApi>(worker.endpoint);
    worker.onFailure?.((message) => {
      if (this.#worker === worker) this.terminate(`The page renderer stopped: ${message}`, 'render-failed');
    });
    return this.#remote;
  }

  /** One page as PNG bytes (no pHYs yet). The job's Blobs are posted, not copied. */
  renderPage(job: RenderJob, signal?: AbortSignal): Promise<Blob> {
    return new Promise<Blob>((resolve, reject) => {
      let settled = false;
      let running = false;
      let release: () => void = () => undefined;
      // A running call whose worker was stopped never answers: the queue moves on when it fails.
      const failed = new Promise<never>((_, stop) => (release = () => stop(new Error('failed'))));
      failed.catch(() => undefined);
      const finish = () => {
        settled = true;
        this.#pending.delete(fail);
        signal?.removeEventListener('abort', onAbort);
        release();
      };
      const fail = (e: RenderClientError) => {
        if (settled) return;
        finish();
        reject(e);
      };
      const onAbort = () => {
        if (running) this.#restart();
        fail(new RenderClientError('cancelled', CANCELLED));
      };
      if (signal?.aborted) return fail(new RenderClientError('cancelled', CANCELLED));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(fail);
      const epoch = this.#epoch;
      const run = async () => {
        if (settled) return;
        if (epoch !== this.#epoch) return fail(new RenderClientError('stopped', STOPPED));
        running = true;
        try {
          const blob = await Promise.race([this.#spawn().renderPage(job), failed]);
          if (settled) return;
          finish();
          resolve(blob);
        } catch (e) {
          fail(fromRemote(e));
        }
      };
      this.#queue = this.#queue.then(run, run);
    });
  }

  /** Stop the running worker only (a cancelled page); waiting calls go on in a fresh one. */
  #restart(): void {
    const worker = this.#worker;
    const remote = this.#remote;
    this.#worker = null;
    this.#remote = null;
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
  }

  /** Stop the worker now and reject every pending call; the next call starts a fresh worker. */
  terminate(message = STOPPED, code: RenderErrorCode = 'stopped'): void {
    this.#epoch++;
    this.#restart();
    for (const fail of [...this.#pending]) fail(new RenderClientError(code, message));
    this.#queue = Promise.resolve();
  }

  dispose(): void {
    this.terminate('The page renderer was shut down.');
  }
}
