/**
 * The gate loop: generate → judge → decide → persist, until the policy accepts or gives up.
 * Pure apart from its ports, so the engine worker runs it with the real pipeline, judge and store,
 * and tests run it with fakes.
 *
 * - Every attempt is persisted (with its decision) before the next one starts.
 * - Abort: the signal is checked between steps and passed into generate and judge; an attempt cut
 *   short is never persisted, and the result is 'cancelled'.
 * - Resume: pass the attempts already persisted for the panel; the loop re-decides the last one
 *   (same inputs give the same action, so nothing is rewritten unless the budget or the artist's
 *   decision changed) and continues at the next index with the replayed plan.
 */
import { SCHEMA_VERSION, StoryLoomError, userMessage } from '../domain';
import type { Attempt, GateAction, JudgeReport, Panel } from '../domain';
import { planProblems, sameData } from './plan';
import type { GenerationPlan } from './plan';
import { bestAttempt, decide } from './policy';
import type { GateBudget, GateCapabilities } from './policy';

/** What generate() knows about the attempt; the loop adds ids, seed, report, decision and timings. */
export type AttemptDraft = Pick<Attempt, 'chunks' | 'parameters' | 'imageId'> & {
  timings?: Record<string, number>;
};

export interface GatePorts<TImage> {
  generate(plan: GenerationPlan, signal: AbortSignal): Promise<{ attemptDraft: AttemptDraft; image: TImage }>;
  judge(image: TImage, plan: GenerationPlan, signal: AbortSignal): Promise<JudgeReport>;
  /** Commit the attempt (and its image) before resolving; called again with the same id only to update its decision. */
  persist(attempt: Attempt, image: TImage | null): Promise<void>;
  /** Milliseconds; injected so the seconds budget is testable. */
  now(): number;
}

/**
 * Members of the progress union (`attempt`, `judge`) with the panel added, so the UI draws gate
 * attempts with the same bars as downloads and denoising steps.
 */
export type GateEvent =
  | { status: 'attempt'; panelId: string; attempt: number; max: number; plan: GenerationPlan }
  | {
      status: 'judge';
      panelId: string;
      attempt: number;
      /** `index` of `total` checks passed. */
      check: 'verdict';
      index: number;
      total: number;
      verdict: 'pass' | 'fail';
      weightedScore: number;
      action: GateAction;
    };

export type GateStatus = 'accepted' | 'needs-review' | 'cancelled';

export interface GateResult {
  status: GateStatus;
  /** The accepted attempt, or the best one (highest weightedScore); null if none was made. */
  best: Attempt | null;
  /** Every attempt of the panel in index order, resumed ones included. */
  attempts: Attempt[];
}

export interface RunGateOptions<TImage> {
  panel: Panel;
  initialPlan: GenerationPlan;
  ports: GatePorts<TImage>;
  budget: GateBudget;
  /** Attempts already persisted for this panel (after a reload); the loop continues after them. */
  persisted?: readonly Attempt[];
  signal?: AbortSignal;
  onEvent?: (event: GateEvent) => void;
  capabilities?: Partial<GateCapabilities>;
}

export const attemptId = (panelId: string, index: number) => `${panelId}:attempt:${index}`;

const elapsedSeconds = (attempts: readonly Attempt[]) =>
  attempts.reduce((sum, a) => sum + (a.timings['totalMs'] ?? 0), 0) / 1000;

export async function runGate<TImage>(options: RunGateOptions<TImage>): Promise<GateResult> {
  const { panel, initialPlan, ports, budget, onEvent, capabilities } = options;
  const signal = options.signal ?? new AbortController().signal;
  const problems = planProblems(initialPlan);
  if (problems.length) throw new StoryLoomError('invalid-input', problems.join(' '));
  const attempts = checkedHistory(panel, options.persisted ?? []);

  const finish = (status: GateStatus, best: Attempt | null = bestAttempt(attempts)): GateResult => ({
    status,
    best,
    attempts: [...attempts],
  });
  const decideLast = () =>
    decide({ panel, initialPlan, attempts, budget, capabilities, elapsedSeconds: elapsedSeconds(attempts) });

  let plan = initialPlan;
  const last = attempts[attempts.length - 1];
  if (last) {
    const decision = decideLast();
    if (!sameData(last.action, decision.action)) {
      if (signal.aborted) return finish('cancelled');
      const updated = { ...last, action: decision.action };
      await ports.persist(updated, null);
      attempts[attempts.length - 1] = updated;
    }
    if (!decision.next)
      return finish(decision.action.kind === 'accept' ? 'accepted' : 'needs-review', decision.best);
    plan = decision.next;
  }

  for (;;) {
    if (signal.aborted) return finish('cancelled');
    const index = attempts.length;
    onEvent?.({ status: 'attempt', panelId: panel.id, attempt: index, max: budget.maxAttempts, plan });

    const started = ports.now();
    let generated: Awaited<ReturnType<GatePorts<TImage>['generate']>>;
    let report: JudgeReport;
    let judgedAt: number;
    let generatedAt: number;
    try {
      generated = await ports.generate(plan, signal);
      generatedAt = ports.now();
      if (signal.aborted) return finish('cancelled');
      report = await ports.judge(generated.image, plan, signal);
      judgedAt = ports.now();
    } catch (e) {
      if (signal.aborted) return finish('cancelled');
      throw e;
    }
    // Aborted while judging: the report may be partial, so the attempt is dropped whole.
    if (signal.aborted) return finish('cancelled');

    const { attemptDraft, image } = generated;
    const attempt: Attempt = {
      schemaVersion: SCHEMA_VERSION.attempt,
      id: attemptId(panel.id, index),
      panelId: panel.id,
      storyId: panel.storyId,
      index,
      seed: plan.seed,
      chunks: attemptDraft.chunks,
      parameters: attemptDraft.parameters,
      imageId: attemptDraft.imageId,
      report,
      action: null,
      timings: {
        ...attemptDraft.timings,
        generateMs: generatedAt - started,
        judgeMs: judgedAt - generatedAt,
        totalMs: judgedAt - started,
      },
      createdAt: judgedAt,
    };
    attempts.push(attempt);
    const decision = decideLast();
    attempt.action = decision.action;
    try {
      await ports.persist(attempt, image);
    } catch (e) {
      attempts.pop();
      throw e;
    }
    const checks = report.checks;
    onEvent?.({
      status: 'judge',
      panelId: panel.id,
      attempt: index,
      check: 'verdict',
      index: checks.filter((c) => c.passed).length,
      total: checks.length,
      verdict: report.verdict,
      weightedScore: report.weightedScore,
      action: decision.action,
    });
    if (!decision.next)
      return finish(decision.action.kind === 'accept' ? 'accepted' : 'needs-review', decision.best);
    plan = decision.next;
  }
}

/** The persisted attempts in index order; they must belong to the panel and run 0, 1, 2, … without gaps. */
function checkedHistory(panel: Panel, persisted: readonly Attempt[]): Attempt[] {
  const attempts = [...persisted].sort((a, b) => a.index - b.index);
  attempts.forEach((a, i) => {
    if (a.panelId !== panel.id) {
      throw new StoryLoomError(
        'invalid-input',
        `Attempt ${a.id} belongs to panel ${a.panelId}, not ${panel.id}.`,
      );
    }
    if (a.index !== i) {
      throw new StoryLoomError(
        'invalid-input',
        `The panel's attempts must be numbered 0, 1, 2, … without gaps or repeats; attempt ${i} is ${a.index === i - 1 ? 'repeated' : 'missing'}.`,
      );
    }
  });
  return attempts;
}

// ------------------------------------------------------------------- queue

export interface QueueItem {
  panel: Panel;
  initialPlan: GenerationPlan;
  persisted?: readonly Attempt[];
}

export interface QueueOutcome {
  panelId: string;
  status: GateStatus | 'failed';
  best: Attempt | null;
  attempts: Attempt[];
  /** For 'failed': the sentence to show the artist. */
  error: string | null;
}

export type RunQueueOptions<TImage> = Omit<RunGateOptions<TImage>, 'panel' | 'initialPlan' | 'persisted'> & {
  onPanel?: (outcome: QueueOutcome) => void;
};

/**
 * Panels one after another (one GPU). A panel whose run throws is recorded as 'failed' with the
 * attempts it committed; the queue goes on. After an abort the remaining panels are 'cancelled'.
 */
export async function runQueue<TImage>(
  items: readonly QueueItem[],
  options: RunQueueOptions<TImage>,
): Promise<QueueOutcome[]> {
  const outcomes: QueueOutcome[] = [];
  for (const item of items) {
    const committed = new Map<number, Attempt>((item.persisted ?? []).map((a) => [a.index, a]));
    const ports: GatePorts<TImage> = {
      ...options.ports,
      persist: async (attempt, image) => {
        await options.ports.persist(attempt, image);
        committed.set(attempt.index, attempt);
      },
    };
    const history = () => [...committed.values()].sort((a, b) => a.index - b.index);
    let outcome: QueueOutcome;
    if (options.signal?.aborted) {
      outcome = {
        panelId: item.panel.id,
        status: 'cancelled',
        best: bestAttempt(history()),
        attempts: history(),
        error: null,
      };
    } else {
      try {
        const result = await runGate({ ...options, ...item, ports });
        outcome = { panelId: item.panel.id, ...result, error: null };
      } catch (e) {
        const attempts = history();
        outcome = {
          panelId: item.panel.id,
          status: 'failed',
          best: bestAttempt(attempts),
          attempts,
          error: userMessage(e),
        };
      }
    }
    outcomes.push(outcome);
    options.onPanel?.(outcome);
  }
  return outcomes;
}
