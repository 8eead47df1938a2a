/**
 * The engine client against a fake engine behind a real comlink channel (MessageChannel): serial
 * queue, soft cancel between steps, hard terminate-and-respawn, no call left hanging, error codes
 * that cross the boundary as data, and a gate run that does not hold the queue.
 */
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient, type SpawnedWorker } from '../../src/lib/rpc/engine.client';
import { installWireErrors } from '../../src/lib/rpc/wire';
import type { AttemptJob, AttemptOutput, EngineApi, WorkerProgress } from '../../workers/api';
import type { GateHost, GateRunOutput } from '../../workers/gate-api';

installWireErrors();

type Job = AttemptJob & { jobId: number };

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
    async gate(job, host: GateHost): Promise<GateRunOutput> {
      log.push('gate start');
      await host.barrier();
      log.push('gate end');
      return { runId: job.runId, results: [], wallMs: 0, workMs: 0 };
    },
    loseDevice: () => undefined,
    crash: () => undefined,
    async attempt(job: Job, onProgress?: (e: WorkerProgress) => void): Promise<AttemptOutput> {
      const seed = job.plan.seed;
      const steps = job.plan.numInferenceSteps;
      log.push(`start ${seed}`);
      if (seed === 666) throw Object.assign(new Error('The GPU stopped working.'), { code: 'device-lost' });
      for (let step = 1; step <= steps; step++) {
        if (!options.stuck && cancelled.has(job.jobId)) {
          log.push(`cancel ${seed} at ${step - 1}`);
          throw Object.assign(new Error(`Generation was cancelled after step ${step - 1} of ${steps}.`), {
            code: 'cancelled',
          });
        }
        await new Promise((r) => setTimeout(r, options.stuck ? 60_000 : options.stepMs));
        await onProgress?.({ status: 'step', step, total: steps, preview: null });
      }
      log.push(`end ${seed}`);
      return { attempt: { seed } } as unknown as AttemptOutput;
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
  ({ plan: { seed, numInferenceSteps: steps } }) as unknown as Parameters<EngineClient['attempt']>[0];
const seedOf = (o: AttemptOutput) => o.attempt.seed;

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
      c.attempt(job(1), { onProgress: (e) => e.status === 'step' && steps.push(e.step) }),
      c.attempt(job(2)),
    ]);
    expect([seedOf(a), seedOf(b)]).toEqual([1, 2]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(steps).toEqual([1, 2, 3]);
  });

  it('soft-cancels between steps and the worker takes the next job', async () => {
    const c = client({ stepMs: 30 });
    const controller = new AbortController();
    const first = c.attempt(job(1, 10), {
      signal: controller.signal,
      onProgress: (e) => e.status === 'step' && e.step === 1 && controller.abort(),
    });
    await expect(first).rejects.toMatchObject({
      code: 'cancelled',
      message: expect.stringMatching(/after step [12] of 10/),
    });
    const next = await c.attempt(job(2, 1));
    expect(seedOf(next)).toBe(2);
    expect(c.spawns).toBe(1);
  });

  it('a waiting call whose signal aborts leaves the queue without running', async () => {
    const c = client({ stepMs: 10 });
    const controller = new AbortController();
    const first = c.attempt(job(1));
    const second = c.attempt(job(2), { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
    await first;
    expect(log).not.toContain('start 2');
  });

  it('terminate rejects the running and the waiting calls with a sentence, then respawns', async () => {
    const c = client({ stepMs: 1000, stuck: true });
    const running = c.attempt(job(1));
    const waiting = c.attempt(job(2));
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
    const run = c.attempt(job(1), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    controller.abort();
    await expect(run).rejects.toMatchObject({
      code: 'cancelled',
      message: expect.stringContaining('restarted'),
    });
    expect(log).toContain('terminate');
    expect(c.pending).toBe(0);
  });

  it('error codes cross the worker boundary as data (no code in a name, no regex over a message)', async () => {
    const c = client({ stepMs: 1 });
    const failure = await c.attempt(job(666)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'device-lost', message: 'The GPU stopped working.' });
    expect((failure as Error).name).toBe('StoryLoomError');
  });

  it('a gate run does not hold the queue: a manual attempt runs while the run waits at its barrier', async () => {
    const c = client({ stepMs: 5 });
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const host = {
      barrier: async () => {
        await held;
        return 0;
      },
    } as unknown as GateHost;
    const run = c.gate({ runId: 'r' } as never, host);
    await new Promise((r) => setTimeout(r, 20));
    const manual = await c.attempt(job(7, 1));
    expect(seedOf(manual)).toBe(7);
    expect(log).toEqual(['gate start', 'start 7', 'end 7']);
    release();
    await run;
    expect(log.at(-1)).toBe('gate end');
  });
});
