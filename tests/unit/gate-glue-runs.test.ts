/**
 * Run records (store/runs.ts) in fake IndexedDB: what a reopened tab resumes from. The base of a
 * panel is fixed once; a re-persisted attempt overwrites; a finished panel and its run item change
 * together; a cancelled run leaves nothing pending.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, newCastMember, newPanel, newStory } from '../../src/lib/domain';
import type { Attempt, Panel } from '../../src/lib/domain';
import { attemptId } from '../../src/lib/gate';
import {
  GATE_RUN_SCHEMA_VERSION,
  STORE,
  finishRunPanel,
  getRun,
  listAttemptsForPanel,
  listUnfinishedRuns,
  openStoryLoomDB,
  saveAttempt,
  saveRun,
  setRunState,
  startRunPanel,
  type GateRun,
  type StoryLoomDB,
} from '../../src/lib/store';
import { fromStoredPanel, toStoredPanel } from '../../src/lib/store';
import { initialPlanFor } from '../../src/lib/services/gate.service';

let n = 0;
const dbs: StoryLoomDB[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

async function setUp(): Promise<{ db: StoryLoomDB; storyId: string; panels: Panel[] }> {
  const db = await openStoryLoomDB(`gate-runs-${Date.now()}-${++n}`);
  dbs.push(db);
  const story = newStory(1, 'Harbour');
  const panels = [0, 1].map(() => {
    const p = newPanel(story.id, 1);
    p.cast = [newCastMember('mira')];
    return p;
  });
  story.panelIds = panels.map((p) => p.id);
  const tx = db.transaction([STORE.stories, STORE.panels], 'readwrite');
  await tx.objectStore(STORE.stories).put(story);
  for (const p of panels) await tx.objectStore(STORE.panels).put(toStoredPanel(p));
  await tx.done;
  return { db, storyId: story.id, panels };
}

function record(storyId: string, panels: Panel[]): GateRun {
  return {
    schemaVersion: GATE_RUN_SCHEMA_VERSION,
    storyId,
    runId: 'run-1',
    scope: 'story',
    state: 'running',
    baseSeed: 42,
    createdAt: 1,
    updatedAt: 1,
    items: panels.map((p, i) => ({
      panelId: p.id,
      initialPlan: initialPlanFor(100 + i, 2, 0),
      base: null,
      status: 'pending',
      error: null,
      bestAttemptId: null,
      attempts: 0,
    })),
  };
}

function attempt(panel: Panel, index: number, kind: 'prompt-tune' | 'accept' | null): Attempt {
  const id = attemptId(panel.id, index);
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id,
    panelId: panel.id,
    storyId: panel.storyId,
    index,
    seed: 100,
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
    action: kind ? { kind, reason: 'because', diff: [] } : null,
    timings: { totalMs: 10 },
    createdAt: 1_700_000_000_000,
  };
}

const image = (id: string) => ({
  id,
  blob: new Blob(['png']),
  mime: 'image/png' as const,
  width: 64,
  height: 64,
  bytes: 3,
  createdAt: 1,
});

describe('gate run records', () => {
  it('fixes a panel base once, overwrites a re-persisted attempt, and finishes panel and run together', async () => {
    const { db, storyId, panels } = await setUp();
    const [p1, p2] = panels as [Panel, Panel];
    await saveRun(db, record(storyId, panels));
    expect((await listUnfinishedRuns(db)).map((r) => r.runId)).toEqual(['run-1']);

    expect(await startRunPanel(db, storyId, 'run-1', p1.id, 0)).toBe(0);
    // A resume asks again with a larger count: the stored base wins.
    expect(await startRunPanel(db, storyId, 'run-1', p1.id, 3)).toBe(0);

    const a0 = attempt(p1, 0, null);
    await saveAttempt(db, a0, image(a0.imageId as string));
    await saveAttempt(db, { ...a0, action: { kind: 'prompt-tune', reason: 'tune', diff: [] } });
    await saveAttempt(db, attempt(p1, 1, 'accept'), image(`${attemptId(p1.id, 1)}:image`));
    const stored = await listAttemptsForPanel(db, p1.id);
    expect(stored.map((a) => [a.index, a.action?.kind, a.imageId])).toEqual([
      [0, 'prompt-tune', `${attemptId(p1.id, 0)}:image`],
      [1, 'accept', `${attemptId(p1.id, 1)}:image`],
    ]);

    const first = await finishRunPanel(db, storyId, 'run-1', {
      panelId: p1.id,
      status: 'accepted',
      bestAttemptId: attemptId(p1.id, 1),
      attempts: 2,
      error: null,
    });
    expect(first.run.state).toBe('running');
    // The gate accepted it: "passed" in the status machine (only the artist makes it "accepted").
    expect(first.panel).toMatchObject({ status: 'passed', acceptedAttemptId: attemptId(p1.id, 1) });
    const rawPanel = fromStoredPanel((await db.get(STORE.panels, p1.id))!);
    expect(rawPanel.status).toBe('passed');

    await startRunPanel(db, storyId, 'run-1', p2.id, 0);
    const last = await finishRunPanel(db, storyId, 'run-1', {
      panelId: p2.id,
      status: 'needs-review',
      bestAttemptId: null,
      attempts: 4,
      error: null,
    });
    expect(last.run.state).toBe('done');
    expect(last.panel?.status).toBe('needs-review');
    expect(await listUnfinishedRuns(db)).toEqual([]);
    expect((await getRun(db, storyId))?.items.map((i) => [i.status, i.base])).toEqual([
      ['accepted', 0],
      ['needs-review', 0],
    ]);
  });

  it('cancels a run: nothing stays pending, and the panels keep their status', async () => {
    const { db, storyId, panels } = await setUp();
    await saveRun(db, record(storyId, panels));
    await startRunPanel(db, storyId, 'run-1', panels[0]!.id, 0);
    const run = await setRunState(db, storyId, 'run-1', 'cancelled');
    expect(run.items.map((i) => i.status)).toEqual(['cancelled', 'cancelled']);
    expect(await listUnfinishedRuns(db)).toEqual([]);
    const done = await finishRunPanel(db, storyId, 'run-1', {
      panelId: panels[0]!.id,
      status: 'cancelled',
      bestAttemptId: null,
      attempts: 0,
      error: null,
    });
    expect(done.run.state).toBe('cancelled');
    expect(done.panel?.status).toBe('draft');
  });

  it('refuses a run record of another run and skips unreadable ones', async () => {
    const { db, storyId, panels } = await setUp();
    await saveRun(db, record(storyId, panels));
    await expect(startRunPanel(db, storyId, 'other-run', panels[0]!.id, 0)).rejects.toMatchObject({
      code: 'not-found',
    });
    await db.put(STORE.meta, { key: 'gate-run:broken', value: { schemaVersion: 99 } });
    expect((await listUnfinishedRuns(db)).map((r) => r.storyId)).toEqual([storyId]);
  });
});
