/**
 * The quality gate inside the engine worker: it only hosts the queue (src/lib/gate's runQueue) —
 * per panel it reads the panel's context from the main thread, and gives the loop ports made of
 * the attempt flow (attempt-flow.ts, the same drawing a manual Generate uses), the judge and the
 * main thread's commit. What the policy asks for is what the flow draws.
 *
 * Attempt numbering: the loop counts a run's attempts of a panel 0, 1, 2, …; a panel that already
 * had attempts (manual ones, an earlier run) gets them from `base` on. Stored ids are
 * `attemptId(panelId, base + i)`, so committing an attempt twice (a resumed run re-deciding its
 * last attempt) overwrites instead of duplicating.
 */
import { attemptId, attemptImageId, runQueue, type GatePorts, type QueueOutcome } from '../src/lib/gate';
import { StoryLoomError, type Attempt } from '../src/lib/domain';
import { drawAttempt, type FlowSettings } from './attempt-flow';
import { isDeviceLost } from './errors';
import type { GateDeps, Pixels } from './gate-deps';
import type { EngineProgress } from '../src/lib/pipeline';
import type { GateHost, GatePanelResult, GateRunJob, GateRunOutput } from './gate-api';

/** The gate's image: pixels for the judge and a later edit, the PNG for the database. */
interface GateImage extends Pixels {
  blob: Blob;
}

export async function runGateJob(
  job: GateRunJob,
  host: GateHost,
  deps: GateDeps,
  signal: AbortSignal,
): Promise<GateRunOutput> {
  let pausedMs = 0;
  // Paused time is not spent on the panel: the seconds budget and the timings leave it out.
  const now = () => deps.now() - pausedMs;
  const barrier = async () => {
    pausedMs += Math.max(0, (await host.barrier()) || 0);
  };
  const started = now();
  let workMs = 0;
  const settings: FlowSettings = { ...job, preview: 'none' };
  const results: GatePanelResult[] = [];
  // The panel being run and its index base (one panel at a time), and the loop's current attempt.
  let base = 0;
  let current = 0;

  await runQueue(job.items, {
    budget: job.budget,
    capabilities: job.capabilities,
    signal,
    isFatal: isDeviceLost,
    onEvent: (e) => {
      current = e.attempt;
      if (e.status === 'attempt')
        host.event({
          type: 'attempt',
          panelId: e.panelId,
          attempt: base + e.attempt,
          max: base + e.max,
          mode: e.plan.mode,
        });
      else
        host.event({
          type: 'judged',
          panelId: e.panelId,
          attempt: base + e.attempt,
          verdict: e.verdict,
          weightedScore: e.weightedScore,
          action: e.action,
        });
    },
    host: {
      open: async ({ panel }) => {
        await barrier();
        const context = await host.prepare(panel.id);
        base = context.base;
        current = 0;
        host.event({ type: 'panel', panelId: panel.id, base, resumed: context.persisted.length });
        const persisted = context.persisted.map((a): Attempt => ({ ...a, index: a.index - base }));
        // Pixels of this panel's attempts (by the loop's index), for the judge and an edit's base.
        const pixels = new Map<number, Pixels>();
        const baseImage = async (local: number): Promise<Pixels> => {
          const kept = pixels.get(local);
          if (kept) return kept;
          const imageId = persisted.find((a) => a.index === local)?.imageId;
          const blob = imageId ? await host.image(imageId) : null;
          if (!blob)
            throw new StoryLoomError(
              'not-found',
              `The picture of attempt ${base + local + 1} is no longer stored, so it cannot be edited.`,
            );
          const decoded = await deps.decode(blob);
          pixels.set(local, decoded);
          return decoded;
        };
        const onProgress = (e: EngineProgress) =>
          host.event(
            e.status === 'load'
              ? { type: 'load', panelId: panel.id, attempt: base + current, component: e.component }
              : { type: 'step', panelId: panel.id, attempt: base + current, step: e.step, total: e.total },
          );
        const ports: GatePorts<GateImage> = {
          now,
          // An attempt boundary: a pause (or a manual attempt being drawn) holds here.
          boundary: barrier,
          generate: async (plan, portSignal) => {
            portSignal.throwIfAborted();
            const index = plan.editAttemptIndex;
            const { drawn, draft } = await drawAttempt(
              deps,
              settings,
              { panel, plan, figures: context.figures, base: () => baseImage(index ?? -1) },
              { signal: portSignal, onProgress },
            );
            workMs += drawn.timings['totalMs'] ?? 0;
            pixels.set(current, { rgba: drawn.rgba, width: drawn.width, height: drawn.height });
            return {
              attemptDraft: draft,
              image: {
                blob: drawn.image as Blob,
                rgba: drawn.rgba,
                width: drawn.width,
                height: drawn.height,
              },
            };
          },
          judge: async (image, _plan, portSignal) => {
            const out = await deps.judge(
              { rgba: image.rgba, width: image.width, height: image.height },
              context.judge,
              {
                signal: portSignal,
                onProgress: (e) =>
                  host.event({ type: 'judging', panelId: panel.id, attempt: base + current, stage: e.stage }),
              },
            );
            workMs += out.judgeMs;
            return out.report;
          },
          persist: async (attempt, image) => {
            const index = base + attempt.index;
            const id = attemptId(panel.id, index);
            const baseIndex = attempt.parameters.baseIndex;
            const parameters = {
              ...attempt.parameters,
              baseIndex: baseIndex === null ? null : base + baseIndex,
            };
            await host.persist(
              { ...attempt, index, id, imageId: attemptImageId(id), parameters },
              image?.blob ?? null,
            );
          },
        };
        return { ports, persisted };
      },
      done: async (outcome: QueueOutcome) => {
        const best = outcome.best ? attemptId(outcome.panelId, base + outcome.best.index) : null;
        const result: GatePanelResult = {
          panelId: outcome.panelId,
          status: outcome.status,
          bestAttemptId: best,
          attempts: outcome.attempts.length,
          error: outcome.error,
        };
        await host.panelDone(result);
        results.push(result);
      },
    },
  });
  return { runId: job.runId, results, wallMs: now() - started, workMs };
}
