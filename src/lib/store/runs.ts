/**
 * Quality-gate run records: the queue of a story run (or a one-panel run), kept in the meta store
 * under `gate-run:<storyId>` so a closed or crashed tab resumes it. The attempts themselves are
 * the source of truth for progress; the record holds what cannot be derived from them: the order
 * of the queue, each panel's initial plan (a resumed gate must replay from the same plan) and
 * the index its gate attempts start at.
 */
import { z } from '../domain/zod';
import { StoryLoomError, nextPanelState, parseOrThrow } from '../domain';
import type { Panel } from '../domain';
import type { GenerationPlan } from '../gate';
import type { StoryLoomDB } from './db';
import { META, STORE } from './names';
import { fromStoredPanel, toStoredPanel } from './records';
import { inTransaction } from './tx';

export const GATE_RUN_SCHEMA_VERSION = 1;

export const RUN_ITEM_STATUSES = [
  'pending',
  'running',
  'accepted',
  'needs-review',
  'failed',
  'cancelled',
] as const;
export const RUN_STATES = ['running', 'paused', 'done', 'cancelled'] as const;

const GateRunItem = z.object({
  panelId: z.string().min(1),
  /** Checked by the gate's planProblems when the run starts; stored as it was. */
  initialPlan: z.custom<GenerationPlan>(
    (v) => typeof v === 'object' && v !== null,
    'A run item needs its initial plan.',
  ),
  /** Panel attempt index of the gate's attempt 0; null until the panel's gate starts. */
  base: z.number().int().nonnegative().nullable(),
  status: z.enum(RUN_ITEM_STATUSES),
  error: z.string().nullable(),
  bestAttemptId: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
});
export type GateRunItem = z.infer<typeof GateRunItem>;

export const GateRun = z.object({
  schemaVersion: z.literal(GATE_RUN_SCHEMA_VERSION),
  storyId: z.string().min(1),
  runId: z.string().min(1),
  scope: z.enum(['story', 'panel']),
  state: z.enum(RUN_STATES),
  baseSeed: z.number().int().nonnegative(),
  createdAt: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
  items: z.array(GateRunItem),
});
export type GateRun = z.infer<typeof GateRun>;
export type GateRunState = GateRun['state'];
export type GateRunItemStatus = GateRunItem['status'];

const key = (storyId: string) => `${META.gateRunPrefix}${storyId}`;

/** Unreadable records (a newer build's) are skipped, never thrown at the artist on start-up. */
function readRun(value: unknown): GateRun | null {
  const r = GateRun.safeParse(value);
  return r.success ? r.data : null;
}

export async function getRun(db: StoryLoomDB, storyId: string): Promise<GateRun | null> {
  const record = await inTransaction(db, [STORE.meta], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.meta).get(key(storyId)),
  );
  return record ? readRun(record.value) : null;
}

export async function listRuns(db: StoryLoomDB): Promise<GateRun[]> {
  const range = IDBKeyRange.bound(META.gateRunPrefix, `${META.gateRunPrefix}\uffff`);
  const records = await inTransaction(db, [STORE.meta], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.meta).getAll(range),
  );
  return records.map((r) => readRun(r.value)).filter((r): r is GateRun => r !== null);
}

/** Runs that were going when the tab closed (paused ones wait for the artist). */
export async function listUnfinishedRuns(db: StoryLoomDB): Promise<GateRun[]> {
  return (await listRuns(db)).filter((r) => r.state === 'running' || r.state === 'paused');
}

export async function saveRun(db: StoryLoomDB, input: GateRun): Promise<GateRun> {
  const run = parseOrThrow(GateRun, input, 'gate run');
  await inTransaction(db, [STORE.meta], 'readwrite', 'save', (tx) =>
    tx.objectStore(STORE.meta).put({ key: key(run.storyId), value: run }),
  );
  return run;
}

/** Change one run in a transaction; `change` gets the stored run (throws when there is none). */
async function updateRun(
  db: StoryLoomDB,
  storyId: string,
  runId: string,
  change: (run: GateRun) => GateRun,
): Promise<GateRun> {
  return inTransaction(db, [STORE.meta], 'readwrite', 'save', async (tx) => {
    const record = await tx.objectStore(STORE.meta).get(key(storyId));
    const run = record ? readRun(record.value) : null;
    if (!run || run.runId !== runId)
      throw new StoryLoomError('not-found', 'This run is no longer stored; start the story run again.');
    const next = parseOrThrow(GateRun, change(run), 'gate run');
    await tx.objectStore(STORE.meta).put({ key: key(storyId), value: next });
    return next;
  });
}

export function setRunState(
  db: StoryLoomDB,
  storyId: string,
  runId: string,
  state: GateRunState,
  now = Date.now(),
): Promise<GateRun> {
  return updateRun(db, storyId, runId, (run) => ({
    ...run,
    state,
    updatedAt: now,
    // A cancelled run leaves nothing "running" behind.
    items:
      state === 'cancelled'
        ? run.items.map((i) =>
            i.status === 'pending' || i.status === 'running' ? { ...i, status: 'cancelled' } : i,
          )
        : run.items,
  }));
}

/**
 * A panel's gate starts: fix its base index the first time (later starts — a resume — keep it),
 * and mark it running. Returns the base.
 */
export async function startRunPanel(
  db: StoryLoomDB,
  storyId: string,
  runId: string,
  panelId: string,
  base: number,
  now = Date.now(),
): Promise<number> {
  let fixed = base;
  await updateRun(db, storyId, runId, (run) => ({
    ...run,
    updatedAt: now,
    items: run.items.map((i) => {
      if (i.panelId !== panelId) return i;
      fixed = i.base ?? base;
      return { ...i, base: fixed, status: 'running' };
    }),
  }));
  return fixed;
}

export interface RunPanelResult {
  panelId: string;
  status: 'accepted' | 'needs-review' | 'failed' | 'cancelled';
  bestAttemptId: string | null;
  attempts: number;
  error: string | null;
}

/**
 * A panel's gate ended: the run item and the panel (status, accepted attempt) change in one
 * transaction, so the story view and a resumed run never disagree.
 */
export async function finishRunPanel(
  db: StoryLoomDB,
  storyId: string,
  runId: string,
  result: RunPanelResult,
  now = Date.now(),
): Promise<{ run: GateRun; panel: Panel | null }> {
  return inTransaction(db, [STORE.meta, STORE.panels], 'readwrite', 'save', async (tx) => {
    const record = await tx.objectStore(STORE.meta).get(key(storyId));
    const run = record ? readRun(record.value) : null;
    if (!run || run.runId !== runId)
      throw new StoryLoomError('not-found', 'This run is no longer stored; start the story run again.');
    const items = run.items.map((i) =>
      i.panelId === result.panelId
        ? {
            ...i,
            status: result.status,
            bestAttemptId: result.bestAttemptId,
            attempts: result.attempts,
            error: result.error,
          }
        : i,
    );
    const finished = items.every((i) => i.status !== 'pending' && i.status !== 'running');
    // A run whose panels were cancelled ended cancelled, never "done".
    const cancelled = run.state === 'cancelled' || items.some((i) => i.status === 'cancelled');
    const runState = finished ? (cancelled ? 'cancelled' : 'done') : run.state;
    const next = parseOrThrow(GateRun, { ...run, items, updatedAt: now, state: runState }, 'gate run');
    await tx.objectStore(STORE.meta).put({ key: key(storyId), value: next });

    const stored = await tx.objectStore(STORE.panels).get(result.panelId);
    if (!stored) return { run: next, panel: null };
    const panel = fromStoredPanel(stored);
    // The artist's accept or override written meanwhile stands: the machine never undoes it.
    const state = nextPanelState(panel, {
      type: 'gate-finished',
      outcome: result.status,
      bestAttemptId: result.bestAttemptId,
    });
    if (state.status === panel.status && state.acceptedAttemptId === panel.acceptedAttemptId)
      return { run: next, panel };
    const updated: Panel = { ...panel, ...state, updatedAt: now };
    await tx.objectStore(STORE.panels).put(toStoredPanel(updated));
    return { run: next, panel: updated };
  });
}
