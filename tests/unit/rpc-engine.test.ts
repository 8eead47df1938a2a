/**
 * The engine client against a fake engine behind a real comlink channel (MessageChannel): serial
 * queue, soft cancel between steps, hard terminate-and-respawn, and no call left hanging.
 */
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient, type SpawnedWorker } from '../../src/lib/rpc/engine.client';
import type { EngineApi, EngineProgress, GenerateJob, GenerateOutput } from '../../workers/api';

interface FakeOptions {
  stepMs: number;
  /** Ignore soft cancel (a worker stuck inside a step). */
  stuck?: boolean;
}

const log: string[] = [];

function fakeWorker(options: FakeOptions): SpawnedWorker {
  const { port1, port2 } = new MessageChannel();
  const cancelled = new Set<number>();
  const api: EngineApi = {
    init: async (o) => ({ backend: o.backend, fallback: null, ortVersion: 'fake', numThreads: 1 }),
    edit: () => Promise.reject(new Error('The fake engine does not edit.')),
    gate: () => Promise.reject(new Error('The fake engine does not run the gate.')),
    async generate(job: GenerateJob, onProgress?: (e: EngineProgress) => void): Promise<GenerateOutput> {
      log.push(`start ${job.seed}`);
      for (let step = 1; step <= job.numInferenceSteps; step++) {
        if (!options.stuck && cancelled.has(job.jobId)) {
          log.push(`cancel ${job.seed} at ${step - 1}`);
          throw Object.assign(
            new Error(`Generation was cancelled after step ${step - 1} of ${job.numInferenceSteps}.`),
            {
              name: 'EngineError:cancelled',
            },
          );
        }
        await new Promise((r) => setTimeout(r, options.stuck ? 60_000 : options.stepMs));
        await onProgress?.({ status: 'step', step, total: job.numInferenceSteps, preview: null });
      }
      log.push(`end ${job.seed}`);
      return {
        image: new Blob([String(job.seed)]),
        width: job.width,
        height: job.height,
        seed: job.seed,
      } as GenerateOutput;
    },
    cancel: (jobId) => void cancelled.add(jobId),
    stats: () => null,
    release: async () => undefined,
    dispose: async () => undefined,
  };
  Comlink.expose(api, port2);
  return {
    endpoint: port1 as unknown as Comlink.Endpoint,
    terminate: () => {
      log.push('terminate');
      port1.close();
      port2.close();
    },
  };
}

const job = (seed: number, steps = 3) =>
  ({ seed, numInferenceSteps: steps, width: 64, height: 64 }) as unknown as Parameters<
    EngineClient['generate']
  >[0];

let clients: EngineClient[] = [];
function client(options: FakeOptions, grace = 5000) {
  const c = new EngineClient(
    () => fakeWorker(options),
    { backend: 'wasm', planInput: { caps: { backend: 'wasm', features: [] } }, allowOrigin: false },
    { softCancelGraceMs: grace },
  );
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients) c.terminate();
  clients = [];
  log.length = 0;
});

describe('EngineClient', () => {
  it('runs calls one at a time in order and reports progress per step', async () => {
    const c = client({ stepMs: 5 });
    const steps: number[] = [];
    const [a, b] = await Promise.all([
      c.generate(job(1), { onProgress: (e) => e.status === 'step' && steps.push(e.step) }),
      c.generate(job(2)),
    ]);
    expect([a.seed, b.seed]).toEqual([1, 2]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(steps).toEqual([1, 2, 3]);
  });

  it('soft-cancels between steps and the worker takes the next job', async () => {
    const c = client({ stepMs: 30 });
    const controller = new AbortController();
    const first = c.generate(job(1, 10), {
      signal: controller.signal,
      onProgress: (e) => e.status === 'step' && e.step === 1 && controller.abort(),
    });
    await expect(first).rejects.toMatchObject({
      code: 'cancelled',
      message: expect.stringMatching(/after step [12] of 10/),
    });
    const next = await c.generate(job(2, 1));
    expect(next.seed).toBe(2);
    expect(c.spawns).toBe(1);
  });

  it('a waiting call whose signal aborts leaves the queue without running', async () => {
    const c = client({ stepMs: 10 });
    const controller = new AbortController();
    const first = c.generate(job(1));
    const second = c.generate(job(2), { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
    await first;
    expect(log).not.toContain('start 2');
  });

  it('terminate rejects the running and the waiting calls with a sentence, then respawns', async () => {
    const c = client({ stepMs: 1000, stuck: true });
    const running = c.generate(job(1));
    const waiting = c.generate(job(2));
    await new Promise((r) => setTimeout(r, 50));
    c.terminate();
    await expect(running).rejects.toMatchObject({
      code: 'stopped',
      message: expect.stringContaining('engine was stopped'),
    });
    await expect(waiting).rejects.toMatchObject({ code: 'stopped' });
    expect(c.pending).toBe(0);
    // A fresh worker serves the next call.
    const info = await c.info();
    expect(info.backend).toBe('wasm');
    expect(c.spawns).toBe(2);
  });

  it('a worker that ignores the soft cancel is terminated after the grace period', async () => {
    const c = client({ stepMs: 1000, stuck: true }, 100);
    const controller = new AbortController();
    const run = c.generate(job(1), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    await expect(run).rejects.toMatchObject({
      code: 'cancelled',
      message: expect.stringContaining('restarted'),
    });
    expect(log).toContain('terminate');
    expect(c.pending).toBe(0);
  });
});
