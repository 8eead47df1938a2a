/**
 * The gate service as the worker's host, with a fake engine client and fake IndexedDB: a run is
 * recorded before it starts, each attempt is committed with its image, a lost GPU device respawns
 * the worker and retries only what is unfinished, and an interrupted run resumes on start-up.
 */
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEMA_VERSION, newCastMember, newPanel, newStory } from '../../src/lib/domain';
import type { Attempt, Panel, Story } from '../../src/lib/domain';
import { attemptId } from '../../src/lib/gate';
import * as store from '../../src/lib/store';
import type { GateHost, GateRunJob, GateRunOutput } from '../../workers/gate-api';

const h = vi.hoisted(() => ({
  db: null as null | Promise<import('../../src/lib/store').StoryLoomDB>,
  story: null as null | import('../../src/lib/domain').Story,
  panels: [] as import('../../src/lib/domain').Panel[],
  gate: null as
    null | ((job: GateRunJob, host: GateHost, options?: { signal?: AbortSignal }) => Promise<GateRunOutput>),
  terminated: 0,
}));

vi.mock('../../src/lib/services/engine.service', () => ({
  engineService: {
    attemptsDb: () => h.db,
    figures: async () => [],
    manualTurn: async () => undefined,
    setRunReporter: () => undefined,
    drawingPacks: async () => ({
      pack: {
        id: 'tiny',
        title: 'Tiny',
        components: [
          { role: 'unet', scheduler: { width: 64, height: 64, maxSteps: 4, guidanceScale: 0 } },
          { role: 'vae-encoder' },
        ],
      },
      overrides: [],
    }),
    engineClient: async () => ({
      gate: (job: GateRunJob, host: GateHost, options?: { signal?: AbortSignal }) =>
        h.gate!(job, host, options),
      terminate: () => void h.terminated++,
    }),
  },
}));
vi.mock('../../src/lib/services/library.service', () => ({
  libraryService: {
    db: () => h.db,
    changed: () => undefined,
    getStory: async () => (h.story ? { story: h.story, panels: h.panels } : undefined),
    getCharacter: async () => undefined,
    getImage: async () => undefined,
  },
}));
vi.mock('../../src/lib/services/judge.service', () => ({ judgeSpecFor: async () => ({}) }));

const { gateService } = await import('../../src/lib/services/gate.service');

let n = 0;
beforeEach(async () => {
  h.db = store.openStoryLoomDB(`gate-service-${Date.now()}-${++n}`);
  const db = await h.db;
  const story: Story = newStory(1, 'Harbour');
  h.panels = [0, 1, 2].map(() => {
    const p: Panel = newPanel(story.id, 1);
    p.cast = [newCastMember('mira')];
    return p;
  });
  story.panelIds = h.panels.map((p) => p.id);
  h.story = story;
  await db.put(store.STORE.stories, story);
  for (const p of h.panels) await db.put(store.STORE.panels, store.toStoredPanel(p));
  h.terminated = 0;
});

function attempt(panelId: string, index: number, kind: 'accept' | 'prompt-tune'): Attempt {
  const id = attemptId(panelId, index);
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id,
    panelId,
    storyId: h.story!.id,
    index,
    seed: 1,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 64,
      height: 64,
      numInferenceSteps: 2,
      guidanceScale: 0,
      scheduler: 'Euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId: `${id}:image`,
    report: null,
    action: { kind, reason: 'why', diff: [] },
    timings: { totalMs: 10 },
    // The worker's clock: the service stores wall-clock time instead.
    createdAt: 1234.5,
  };
}

/** A worker that accepts every panel at its first attempt after the persisted ones. */
async function acceptAll(job: GateRunJob, host: GateHost, lose?: string): Promise<GateRunOutput> {
  const results = [];
  for (const item of job.items) {
    const ctx = await host.prepare(item.panel.id);
    await host.barrier();
    if (item.panel.id === lose)
      throw Object.assign(new Error('GPU device was lost'), { code: 'device-lost' });
    const index = ctx.base + ctx.persisted.length;
    await host.persist(attempt(item.panel.id, index, 'accept'), new Blob(['png']));
    const result = {
      panelId: item.panel.id,
      status: 'accepted' as const,
      bestAttemptId: attemptId(item.panel.id, index),
      attempts: 1,
      error: null,
    };
    await host.panelDone(result);
    results.push(result);
  }
  return { runId: job.runId, results, wallMs: 10, workMs: 9 };
}

const finished = () =>
  new Promise<{ error: string | null }>((resolve) => {
    const off = gateService.subscribe((e) => {
      if (e.type === 'finished') {
        off();
        resolve(e);
      }
    });
  });

describe('the gate service', () => {
  it('records the run, commits each attempt with its image, and respawns after a lost device', async () => {
    const jobs: GateRunJob[] = [];
    const events: string[] = [];
    const off = gateService.subscribe((e) => events.push(e.type));
    h.gate = (job, host) => {
      jobs.push(job);
      return acceptAll(job, host, jobs.length === 1 ? h.panels[1]!.id : undefined);
    };
    const done = finished();
    const run = await gateService.start({ storyId: h.story!.id, baseSeed: 7 });
    expect(run.items.map((i) => i.status)).toEqual(['pending', 'pending', 'pending']);
    expect(new Set(run.items.map((i) => i.initialPlan.seed)).size).toBe(3);
    expect((await done).error).toBeNull();
    off();

    expect(h.terminated).toBe(1);
    expect(events).toContain('respawn');
    // The retry gets only the panels that were not finished.
    expect(jobs.map((j) => j.items.map((i) => h.panels.indexOf(i.panel)))).toEqual([
      [0, 1, 2],
      [1, 2],
    ]);
    expect(jobs[0]?.capabilities).toEqual({ localEdit: true, referenceGuided: true });
    const db = await h.db!;
    const stored = await store.getRun(db, h.story!.id);
    expect(stored?.state).toBe('done');
    expect(stored?.items.map((i) => [i.status, i.base])).toEqual([
      ['accepted', 0],
      ['accepted', 0],
      ['accepted', 0],
    ]);
    for (const p of h.panels) {
      const attempts = await store.listAttemptsForPanel(db, p.id);
      expect(attempts.map((a) => a.index)).toEqual([0]);
      expect(attempts[0]!.createdAt).toBeGreaterThan(1e12);
      expect((await store.getImage(db, attempts[0]!.imageId!))?.blob.size).toBe(3);
      const panel = store.fromStoredPanel((await db.get(store.STORE.panels, p.id))!);
      expect(panel).toMatchObject({ status: 'passed', acceptedAttemptId: attemptId(p.id, 0) });
    }
  });

  it('retries a loss once per attempt; a second loss in the same attempt pauses the run', async () => {
    const events: { type: string; message?: string }[] = [];
    const off = gateService.subscribe((e) => events.push(e));
    // Job 1 loses the device at panel 1 (after panel 0 was stored); job 2, the retry, loses it again
    // before storing anything; a worker that died silently ends with `stopped`, the same way.
    let calls = 0;
    h.gate = (job, host) => {
      calls++;
      if (calls === 1) return acceptAll(job, host, h.panels[1]!.id);
      if (calls === 2)
        return Promise.reject(Object.assign(new Error('The worker stopped'), { code: 'stopped' }));
      return acceptAll(job, host);
    };
    const storyId = h.story!.id;
    let done = finished();
    await gateService.start({ storyId, baseSeed: 5 });
    expect((await done).error).toBeNull();
    const db = await h.db!;
    const paused = await store.getRun(db, storyId);
    expect(paused?.state).toBe('paused');
    expect(paused?.items.map((i) => i.status)).toEqual(['accepted', 'running', 'pending']);
    expect(events.filter((e) => e.type === 'respawn')).toHaveLength(1);
    const halted = events.filter((e) => e.type === 'halted');
    expect(halted).toHaveLength(1);
    expect(halted[0]?.message).toContain('paused');
    expect(h.terminated).toBe(2);
    expect(gateService.activeStoryId).toBeNull();
    // The artist resumes: the run goes on from the stored record and finishes, nothing twice.
    done = finished();
    await gateService.resume(storyId);
    expect((await done).error).toBeNull();
    off();
    expect((await store.getRun(db, storyId))?.state).toBe('done');
    for (const p of h.panels)
      expect((await store.listAttemptsForPanel(db, p.id)).map((a) => a.index)).toEqual([0]);
  });

  it('stops at the next attempt boundary when another tab cancelled the stored run', async () => {
    let aborted: boolean | null = null;
    const storyId = h.story!.id;
    h.gate = async (job, host, options) => {
      await host.prepare(job.items[0]!.panel.id);
      // The waiting tab's Cancel: only the stored record changes.
      const db = await h.db!;
      await store.setRunState(db, storyId, job.runId, 'cancelled');
      await host.barrier();
      aborted = options?.signal?.aborted ?? null;
      throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
    };
    const done = finished();
    await gateService.start({ storyId, baseSeed: 8 });
    expect((await done).error).toBeNull();
    expect(aborted).toBe(true);
    expect((await store.getRun(await h.db!, storyId))?.state).toBe('cancelled');
    expect(await store.listAttemptsForPanel(await h.db!, h.panels[0]!.id)).toHaveLength(0);
  });

  it('a loss after a stored attempt is retried again (the count is per attempt)', async () => {
    let calls = 0;
    h.gate = (job, host) => {
      calls++;
      // Each job stores one panel, then loses the device at the next one.
      return acceptAll(job, host, calls <= 2 ? job.items[1]?.panel.id : undefined);
    };
    const done = finished();
    await gateService.start({ storyId: h.story!.id, baseSeed: 6 });
    expect((await done).error).toBeNull();
    expect(calls).toBe(3);
    expect((await store.getRun(await h.db!, h.story!.id))?.state).toBe('done');
  });

  it('resumes an interrupted run on start-up and refuses a second run meanwhile', async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((r) => (release = r));
    h.gate = async (job, host) => {
      await hold;
      return acceptAll(job, host);
    };
    const db = await h.db!;
    // A tab closed mid-run: the record says running, panel 0 has a committed attempt.
    await store.saveRun(db, {
      schemaVersion: store.GATE_RUN_SCHEMA_VERSION,
      storyId: h.story!.id,
      runId: 'old-run',
      scope: 'story',
      state: 'running',
      baseSeed: 1,
      createdAt: 1,
      updatedAt: 1,
      items: h.panels.map((p, i) => ({
        panelId: p.id,
        initialPlan: {
          seed: i,
          mode: 'txt2img',
          compileOptions: {},
          referenceStrength: null,
          numInferenceSteps: 2,
          guidanceScale: 0,
          mask: null,
          editAttemptIndex: null,
        },
        base: i === 0 ? 0 : null,
        status: i === 0 ? 'running' : 'pending',
        error: null,
        bestAttemptId: null,
        attempts: 0,
      })),
    });
    await store.saveAttempt(db, { ...attempt(h.panels[0]!.id, 0, 'prompt-tune'), createdAt: 1 });
    const done = finished();
    const resumed = await gateService.resumeInterrupted();
    expect(resumed?.runId).toBe('old-run');
    expect(gateService.activeStoryId).toBe(h.story!.id);
    await expect(gateService.start({ storyId: h.story!.id })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    release();
    expect((await done).error).toBeNull();
    // Panel 0 continued after its committed attempt: indexes 0, 1 and nothing twice.
    expect((await store.listAttemptsForPanel(db, h.panels[0]!.id)).map((a) => a.index)).toEqual([0, 1]);
    expect((await store.getRun(db, h.story!.id))?.state).toBe('done');
  });

  it('pauses before the next attempt and cancels a paused run', async () => {
    let entered: () => void = () => {};
    const atBarrier = new Promise<void>((r) => (entered = r));
    let pausedMs = -1;
    h.gate = async (job, host) => {
      await host.prepare(job.items[0]!.panel.id);
      entered();
      pausedMs = await host.barrier();
      return { runId: job.runId, results: [], wallMs: 0, workMs: 0 };
    };
    const storyId = h.story!.id;
    await gateService.pause(storyId);
    const done = finished();
    await gateService.start({ storyId, baseSeed: 3 });
    await gateService.pause(storyId);
    await atBarrier;
    expect((await store.getRun(await h.db!, storyId))?.state).toBe('paused');
    await gateService.cancel(storyId);
    await done;
    expect(pausedMs).toBeGreaterThanOrEqual(0);
    const run = await store.getRun(await h.db!, storyId);
    expect(run?.state).toBe('cancelled');
    expect(run?.items.every((i) => i.status === 'cancelled')).toBe(true);
  });
});

describe('the gate service and scene-only panels', () => {
  it('runs a panel without characters like any other (it used to be refused)', async () => {
    const db = await h.db!;
    h.panels[1]!.cast = [];
    await db.put(store.STORE.panels, store.toStoredPanel(h.panels[1]!));
    const jobs: GateRunJob[] = [];
    h.gate = (job, host) => {
      jobs.push(job);
      return acceptAll(job, host);
    };
    const done = finished();
    const run = await gateService.start({ storyId: h.story!.id, baseSeed: 3 });
    expect(run.items.map((i) => i.panelId)).toEqual(h.panels.map((p) => p.id));
    expect((await done).error).toBeNull();
    expect(jobs[0]?.items.map((i) => i.panel.cast.length)).toEqual([1, 0, 1]);
    const stored = await store.getRun(db, h.story!.id);
    expect(stored?.state).toBe('done');
    expect(stored?.items.map((i) => i.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const panel = store.fromStoredPanel((await db.get(store.STORE.panels, h.panels[1]!.id))!);
    expect(panel).toMatchObject({ status: 'passed', acceptedAttemptId: attemptId(h.panels[1]!.id, 0) });
  });

  it('runs a story made only of scene-only panels, with no characters to read', async () => {
    const db = await h.db!;
    for (const p of h.panels) {
      p.cast = [];
      await db.put(store.STORE.panels, store.toStoredPanel(p));
    }
    const jobs: GateRunJob[] = [];
    h.gate = (job, host) => {
      jobs.push(job);
      return acceptAll(job, host);
    };
    const done = finished();
    await gateService.start({ storyId: h.story!.id, panelIds: [h.panels[0]!.id] });
    expect((await done).error).toBeNull();
    expect(jobs[0]?.characters).toEqual([]);
    expect(jobs[0]?.items.map((i) => i.panel.id)).toEqual([h.panels[0]!.id]);
  });
});
