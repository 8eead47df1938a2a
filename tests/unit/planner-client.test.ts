/**
 * The planner client against a fake planner behind a real comlink channel: one plan at a time, events
 * stream to the caller, an abort cancels the running plan softly (the worker's signal) and drops a
 * waiting one, a worker that does not stop is terminated after the grace period, codes cross as
 * data, and terminate leaves no call hanging.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { PlannerClient, type PlannerEvent, type PlannerJob } from '../../src/lib/rpc/planner.client';
import type { SpawnedWorker } from '../../src/lib/rpc/engine.client';
import type { PlannerApi, PlannerOutput } from '../../workers/planner-api';

const output = (n: number): PlannerOutput =>
  ({
    outline: { title: String(n), beats: [] },
    outlineSource: 'model',
    panels: [],
    notes: [],
    stats: {
      device: 'wasm',
      dtype: 'fp32',
      loadMs: 0,
      tokens: n,
      generateMs: 0,
      panelsFromModel: 0,
      panelsFromTemplate: 0,
    },
  }) as PlannerOutput;

/** A fake planner: `panelCount` steps of `ms`, one event each; panelCount 99 never listens to cancel. */
function harness(ms = 20) {
  const log: string[] = [];
  const ports: MessagePort[] = [];
  const factory = (): SpawnedWorker => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const running = new Map<number, AbortController>();
    const api: PlannerApi = {
      async plan(job, onEvent) {
        const request = job.request as { panelCount: number };
        const n = request.panelCount;
        log.push(`start ${n}`);
        if (n === 13)
          throw Object.assign(new Error('The number of panels must be 1 to 40.'), { code: 'invalid-input' });
        const controller = new AbortController();
        running.set(job.jobId, controller);
        for (let i = 0; i < Math.min(n, 5); i++) {
          await new Promise((r) => setTimeout(r, ms));
          if (controller.signal.aborted && n !== 99)
            throw Object.assign(new Error('Planning was cancelled.'), { code: 'cancelled' });
          await onEvent?.({ type: 'token', stage: 'panel', index: i, tokens: i + 1 });
        }
        if (n === 99) await new Promise(() => undefined);
        log.push(`end ${n}`);
        return output(n);
      },
      cancel(jobId) {
        log.push(`cancel ${jobId}`);
        running.get(jobId)?.abort();
      },
    };
    Comlink.expose(api, port2);
    return {
      endpoint: port1,
      terminate: () => {
        log.push('terminate');
        port1.close();
        port2.close();
      },
    };
  };
  const client = new PlannerClient(factory, { softCancelGraceMs: 100 });
  const job = (panelCount: number): Omit<PlannerJob, 'jobId'> =>
    ({
      pack: {} as PlannerJob['pack'],
      planInput: { caps: { backend: 'wasm', features: [] } },
      allowOrigin: false,
      request: { premise: 'p', cast: [], panelCount },
    }) as Omit<PlannerJob, 'jobId'>;
  const close = () => {
    client.dispose();
    for (const p of ports) p.close();
  };
  return { client, job, log, close };
}

describe('PlannerClient', () => {
  it('plans one at a time, in order, and streams events', async () => {
    const { client, job, log, close } = harness();
    const events: PlannerEvent[] = [];
    const [a, b] = await Promise.all([
      client.plan(job(2), { onEvent: (e) => events.push(e) }),
      client.plan(job(3)),
    ]);
    expect(a.stats.tokens).toBe(2);
    expect(b.stats.tokens).toBe(3);
    expect(log).toEqual(['start 2', 'end 2', 'start 3', 'end 3']);
    expect(events.map((e) => (e.type === 'token' ? e.tokens : -1))).toEqual([1, 2]);
    close();
  });

  it('an abort cancels the running plan in the worker and drops the waiting one', async () => {
    const { client, job, log, close } = harness(30);
    const running = new AbortController();
    const waiting = new AbortController();
    const first = client.plan(job(5), { signal: running.signal });
    const second = client.plan(job(4), { signal: waiting.signal });
    const third = client.plan(job(1));
    waiting.abort();
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
    setTimeout(() => running.abort(), 45);
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect((await third).stats.tokens).toBe(1);
    expect(log).toContain('cancel 1');
    expect(log).not.toContain('start 4');
    expect(log).not.toContain('terminate');
    close();
  });

  it('a worker that does not stop is terminated after the grace period; the next plan gets a fresh one', async () => {
    const { client, job, log, close } = harness(5);
    const controller = new AbortController();
    const stuck = client.plan(job(99), { signal: controller.signal });
    setTimeout(() => controller.abort(), 40);
    await expect(stuck).rejects.toMatchObject({ code: 'cancelled' });
    expect(log).toContain('terminate');
    expect((await client.plan(job(1))).stats.tokens).toBe(1);
    expect(client.spawns).toBe(2);
    close();
  });

  it('error codes cross as data, and terminate rejects every pending plan', async () => {
    const { client, job, close } = harness(30);
    await expect(client.plan(job(13))).rejects.toMatchObject({
      code: 'invalid-input',
      message: 'The number of panels must be 1 to 40.',
    });
    const a = client.plan(job(5));
    const b = client.plan(job(5));
    setTimeout(() => client.terminate(), 10);
    await expect(a).rejects.toMatchObject({ code: 'stopped' });
    await expect(b).rejects.toMatchObject({ code: 'stopped' });
    close();
  });
});
