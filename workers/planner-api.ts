/**
 * The planner worker's API: types only. A plan crosses the boundary as plain data: the request,
 * the outline, one planned panel at a time as it is finished (so the board fills while the model
 * writes), and the figures the bench reads.
 */
import type { Progress } from '../src/lib/domain/progress';
import type { Pack } from '../src/lib/models/manifest';
import type { PlanInput } from '../src/lib/models/plan';
import type { Outline, PanelPlan, PlannedPanel, PlanRequestInput, PlanSource } from '../src/lib/planner';

export type { Outline, PanelPlan, PlannedPanel, PlanSource };

export interface PlannerJob {
  jobId: number;
  /** The active pack; its planner-llm component is loaded for this plan and released after it. */
  pack: Pack;
  planInput: PlanInput;
  /** Test packs served by our own origin may be read from there (the test hooks allow it). */
  allowOrigin: boolean;
  request: PlanRequestInput;
  /** Re-plan one panel: its index, the outline it belongs to and the plans of the panels before it. */
  replan?: { index: number; outline: Outline; previous: PanelPlan[] };
  /** Default true. False is the bench's baseline: the same prompts without the constraint. */
  constrained?: boolean;
  /** The bench only: a lower ceiling of new tokens per call (the unconstrained baseline never stops early). */
  maxNewTokens?: number;
  /** Test hooks only: wait this long before each panel (the twin is too fast to cancel mid-plan otherwise). */
  panelDelayMs?: number;
}

export type PlannerEvent =
  /** Loading the model (status 'load'), then panels done of the plan (status 'run'). */
  | { type: 'progress'; progress: Progress }
  | { type: 'outline'; outline: Outline; source: PlanSource; note: string | null }
  /** One more token of the current call (stage outline, or the panel at `index`). */
  | { type: 'token'; stage: 'outline' | 'panel'; index: number; tokens: number }
  /** A finished panel; `note` says why it came from the template when it did. */
  | { type: 'panel'; panel: PlannedPanel; note: string | null };

export interface PlannerStats {
  /** Where the model ran and which variant it opened. */
  device: string;
  dtype: string;
  loadMs: number;
  /** Generated tokens and the time of the generate calls that made them (warm-up excluded). */
  tokens: number;
  generateMs: number;
  /** Panels whose first or second model answer validated; the rest came from the template. */
  panelsFromModel: number;
  panelsFromTemplate: number;
}

export interface PlannerOutput {
  outline: Outline;
  outlineSource: PlanSource;
  panels: PlannedPanel[];
  /** One sentence per panel (or the outline) that fell back to the template, saying why. */
  notes: string[];
  stats: PlannerStats;
}

export type PlannerErrorCode = 'invalid-input' | 'not-found' | 'cancelled' | 'stopped' | 'planner-failed';

export interface PlannerApi {
  /** Load the planner, warm it, plan (outline, then one call per panel), release it. */
  plan(job: PlannerJob, onEvent?: (event: PlannerEvent) => void): Promise<PlannerOutput>;
  /** Soft cancel: generation is interrupted at the next token; unknown jobs are remembered. */
  cancel(jobId: number): void;
}
