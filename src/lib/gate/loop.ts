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
import { StoryLoomError, userMessage } from '../domain';
import type { Attempt, GateAction, JudgeReport, Panel } from '../domain';
import { buildAttempt, type AttemptDraft } from './attempt';
import { planProblems, sameData } from './plan';
import type { GenerationPlan } from './plan';
import { bestAttempt, decide } from './policy';
import type { GateBudget, GateCapabilities } from './policy';

export interface GatePorts<TImage> {
  generate(plan: GenerationPlan, signal: AbortSignal): Promise<{ attemptDraft: AttemptDraft; image: TImage }>;
  judge(image: TImage, plan: GenerationPlan, signal: AbortSignal): Promise<JudgeReport>;
  /** Commit the attempt (and its image) before resolving; called again with the same id only to update its decision. */
  persist(attempt: Attempt, image: TImage | null): Promise<void>;
  /** Milliseconds; injected so the seconds budget is testable. */
  now(): number;
  /**
   * Called before every attempt is announced (an attempt boundary): a paused run, or a manual
   * attempt being drawn, holds here — so no attempt is said to start while the run waits.
   */
  boundary?(): Promise<void>;
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
    await ports.boundary?.();
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
    const attempt = buildAttempt({
      panel,
      index,
      seed: plan.seed,
      draft: attemptDraft,
      report,
      action: null,
      times: { startedAt: started, generatedAt, judgedAt },
      createdAt: judgedAt,
    });
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
}

export interface QueueOutcome {
  panelId: string;
  status: GateStatus | 'failed';
  best: Attempt | null;
  attempts: Attempt[];
  /** For 'failed': the sentence to show the artist. */
  error: string | null;
}

/** What the queue needs per panel from whoever hosts it (the engine worker, or a test). */
export interface QueueHost<TImage> {
  /** Called once per panel, after the earlier panels finished: its ports and its committed attempts. */
  open(item: QueueItem, signal: AbortSignal): Promise<{ ports: GatePorts<TImage>; persisted: Attempt[] }>;
  /** The panel's gate ended (recorded before the next panel starts). */
  done(outcome: QueueOutcome): Promise<void>;
}

export type RunQueueOptions<TImage> = Omit<
  RunGateOptions<TImage>,
  'panel' | 'initialPlan' | 'persisted' | 'ports'
> & {
  host: QueueHost<TImage>;
  /** An error after which nothing may go on (the GPU device is gone): the queue stops and rethrows it. */
  isFatal?: (e: unknown) => boolean | Promise<boolean>;
};

/**
 * The quality gate's queue, written once: panels one after another (one GPU). A panel whose run
 * throws is recorded as 'failed' with the attempts it committed, and the queue goes on; a fatal
 * error stops the queue at once without recording the panel (a fresh worker retries it). After an
 * abort the remaining panels are 'cancelled'.
 */
export async function runQueue<TImage>(
  items: readonly QueueItem[],
  options: RunQueueOptions<TImage>,
): Promise<QueueOutcome[]> {
  const { host, isFatal, ...gate } = options;
  const signal = gate.signal ?? new AbortController().signal;
  const outcomes: QueueOutcome[] = [];
  for (const item of items) {
    const committed = new Map<number, Attempt>();
    const history = () => [...committed.values()].sort((a, b) => a.index - b.index);
    const fail = (e: unknown, fatal: boolean): QueueOutcome => {
      if (fatal) throw e;
      const attempts = history();
      return {
        panelId: item.panel.id,
        status: 'failed',
        best: bestAttempt(attempts),
        attempts,
        error: userMessage(e),
      };
    };
    let outcome: QueueOutcome;
    if (signal.aborted)
      outcome = { panelId: item.panel.id, status: 'cancelled', best: null, attempts: [], error: null };
    else {
      try {
        const opened = await host.open(item, signal);
        for (const a of opened.persisted) committed.set(a.index, a);
        const ports: GatePorts<TImage> = {
          ...opened.ports,
          persist: async (attempt, image) => {
            await opened.ports.persist(attempt, image);
            committed.set(attempt.index, attempt);
          },
        };
        const result = await runGate({ ...gate, ...item, ports, persisted: opened.persisted });
        outcome = { panelId: item.panel.id, ...result, error: null };
      } catch (e) {
        const fatal = (await isFatal?.(e)) ?? false;
        outcome =
          signal.aborted && !fatal
            ? {
                panelId: item.panel.id,
                status: 'cancelled',
                best: bestAttempt(history()),
                attempts: history(),
                error: null,
              }
            : fail(e, fatal);
      }
    }
    await host.done(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}
