/**
 * The quality gate's part of the engine worker's API: types only. The service sends a queue of
 * panels with their initial plans and a host (a comlink proxy) that the worker calls back to read
 * what lives in the database (judge spec, earlier attempts, images) and to commit each attempt.
 */
import type { Attempt, Character, GateAction, Panel, Story } from '../src/lib/domain';
import type { GateBudget, GateCapabilities, GateStatus, GenerationPlan } from '../src/lib/gate';
import type { Pack } from '../src/lib/models/manifest';
import type { JudgeSpec } from './judge-api';
import type { ReferenceSpec } from './consistency-api';

export interface GateQueueItem {
  panel: Panel;
  initialPlan: GenerationPlan;
}

export interface GateRunJob {
  runId: string;
  pack: Pack;
  overrides: Pack[];
  width: number;
  height: number;
  /** The UNet's step limit: a tuned plan asking for more runs this many (the attempt records it). */
  maxSteps: number;
  story: Pick<Story, 'id' | 'style'>;
  characters: Character[];
  items: GateQueueItem[];
  budget: GateBudget;
  capabilities: GateCapabilities;
  /** How far down the schedule a local edit repaints (0 < strength ≤ 1). */
  editStrength: number;
}

/** What the worker needs from the database before a panel's gate starts (read after earlier panels finished). */
export interface GatePanelContext {
  /** Panel attempt index of the gate's attempt 0 (attempts made before the run keep theirs). */
  base: number;
  /** The panel's attempts from `base` on, already committed (a resumed run continues after them). */
  persisted: Attempt[];
  judge: JudgeSpec;
  /** One verified template per character, for reference-guided generation. */
  figures: ReferenceSpec['figures'];
}

export interface GatePanelResult {
  panelId: string;
  status: GateStatus | 'failed';
  /** Stored id of the accepted attempt (or the best one for review); null when none was made. */
  bestAttemptId: string | null;
  attempts: number;
  error: string | null;
}

/** Progress of a run, per panel, per attempt and per denoising step. */
export type GateRunEvent =
  | { type: 'panel'; panelId: string; base: number; resumed: number }
  | { type: 'attempt'; panelId: string; attempt: number; max: number; mode: GenerationPlan['mode'] }
  | { type: 'load'; panelId: string; attempt: number; component: string }
  | { type: 'step'; panelId: string; attempt: number; step: number; total: number }
  | { type: 'judging'; panelId: string; attempt: number; stage: string }
  | {
      type: 'judged';
      panelId: string;
      attempt: number;
      verdict: 'pass' | 'fail';
      weightedScore: number;
      action: GateAction;
    };

export interface GateHost {
  prepare(panelId: string): Promise<GatePanelContext>;
  image(imageId: string): Promise<Blob | null>;
  /** Commit the attempt and its image in one transaction; resolves after the commit. */
  persist(attempt: Attempt, image: Blob | null): Promise<void>;
  /** The panel's gate ended: record its status (and accepted attempt) before the next panel starts. */
  panelDone(result: GatePanelResult): Promise<void>;
  /** Resolves at once, or when the artist resumes a paused run, with the milliseconds it was paused. */
  barrier(): Promise<number>;
  event(event: GateRunEvent): void;
}

export interface GateRunOutput {
  runId: string;
  results: GatePanelResult[];
  /** Wall time of the whole queue in the worker, pauses excluded. */
  wallMs: number;
  /** Engine and judge wall times inside this call (as they measure themselves), cut-short attempts included. */
  workMs: number;
}
