/**
 * One attempt record, built in one place for every way a panel is drawn: a manual Generate, a
 * reference-guided Generate, a box or brush edit, and each attempt of the quality gate. One id
 * scheme, and timings with one meaning:
 *   generateMs  wall time of drawing (model loading included)
 *   judgeMs     wall time of the judge (0 when it did not run)
 *   totalMs     generateMs + judgeMs: the attempt's wall time (the gate's seconds budget adds these)
 * The pipeline's own figures (loadMs, encodeMs, denoiseMs, decodeMs, ortMs…) are kept beside them.
 */
import { SCHEMA_VERSION } from '../domain';
import type { Attempt, GateAction, JudgeReport, Panel } from '../domain';

/** What drawing knows about an attempt; the builder adds ids, seed, report, decision and timings. */
export type AttemptDraft = Pick<Attempt, 'chunks' | 'parameters'> & {
  timings?: Record<string, number>;
};

/** Attempt `index` of a panel: the same id whoever made it (a re-commit overwrites, never duplicates). */
export const attemptId = (panelId: string, index: number): string => `${panelId}:attempt:${index}`;

/** The image of an attempt is named after it. */
export const attemptImageId = (id: string): string => `${id}:image`;

/** The next free attempt index of a panel. */
export const nextAttemptIndex = (attempts: readonly Pick<Attempt, 'index'>[]): number =>
  attempts.reduce((n, a) => Math.max(n, a.index + 1), 0);

export interface AttemptTimes {
  startedAt: number;
  generatedAt: number;
  /** Equal to generatedAt when the judge did not run. */
  judgedAt: number;
}

export interface BuildAttemptInput {
  panel: Pick<Panel, 'id' | 'storyId'>;
  index: number;
  seed: number;
  draft: AttemptDraft;
  report: JudgeReport | null;
  action: GateAction | null;
  times: AttemptTimes;
  /** Wall clock of the commit (the worker's clock is performance.now()). */
  createdAt: number;
}

export function buildAttempt(input: BuildAttemptInput): Attempt {
  const { panel, index, times } = input;
  const id = attemptId(panel.id, index);
  const { totalMs: _pipelineTotal, ...pipeline } = input.draft.timings ?? {};
  const generateMs = times.generatedAt - times.startedAt;
  const judgeMs = times.judgedAt - times.generatedAt;
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id,
    panelId: panel.id,
    storyId: panel.storyId,
    index,
    seed: input.seed,
    chunks: input.draft.chunks,
    parameters: input.draft.parameters,
    imageId: attemptImageId(id),
    report: input.report,
    action: input.action,
    timings: { ...pipeline, generateMs, judgeMs, totalMs: generateMs + judgeMs },
    createdAt: input.createdAt,
  };
}
