/**
 * The engine worker's API: types only. Everything that crosses the boundary is plain data;
 * images travel as Blobs (cheap to post) and previews as small RGBA arrays.
 */
import type { PlanInput } from '../src/lib/models/plan';
import type { Backend } from '../src/lib/models/variants';
import type { EngineProgress, ReadbackCounts } from '../src/lib/pipeline/types';
import type { TextToImageRequest } from '../src/lib/pipeline/text-to-image';
import type { EngineStats } from '../src/lib/pipeline/engine';
import type { JudgeOutput, JudgeProgress, JudgeSpec } from './judge-api';
import type { AttemptJob, AttemptOutput } from './attempt-api';
import type { GuidedFacts } from './consistency-api';
import type { GateHost, GateRunJob, GateRunOutput } from './gate-api';

export type { EngineErrorCode } from '../src/lib/pipeline/types';
export type { EngineProgress, EngineStats, ReadbackCounts, TextToImageRequest };
export type { JudgeOutput, JudgeProgress, JudgeSpec };

/** What a generate call reports: model loading and steps, then the judge's stages. */
export type WorkerProgress = EngineProgress | JudgeProgress;

export interface EngineInit {
  backend: Backend;
  /** The page's plan input (probe + where the judge runs): the worker opens what the plan chose. */
  planInput: PlanInput;
  /** Test packs served by our own origin may be read from there (the test hooks allow it). */
  allowOrigin: boolean;
  /** Allow loseDevice() (test hooks). */
  testDeviceLoss?: boolean;
  /** Allow crash() (test hooks). */
  testEngineCrash?: boolean;
  /** A Web Lock the worker holds while it lives: the page learns of a silent death when it is granted. */
  aliveLock?: string;
  budgetBytes?: number;
  /** Test hooks only: the engine waits this long after every step but the last (a step hook). */
  stepDelayMs?: number;
}

export interface EngineInfo {
  backend: Backend;
  fallback: string | null;
  ortVersion: string;
  numThreads: number;
}

export type { AttemptJob, AttemptOutput, GuidedFacts };

export interface EngineApi {
  init(options: EngineInit): Promise<EngineInfo>;
  /** One attempt of a panel (Generate, reference-guided Generate, a box or brush edit): drawn, judged, built. */
  attempt(
    job: AttemptJob & { jobId: number },
    onProgress?: (event: WorkerProgress) => void,
  ): Promise<AttemptOutput>;
  /** The quality gate over a queue of panels (cancel with `cancel(jobId)`); the host is a comlink proxy. */
  gate(job: GateRunJob & { jobId: number }, host: GateHost): Promise<GateRunOutput>;
  /** Soft cancel: the job stops before its next step. Unknown or finished jobs are ignored. */
  cancel(jobId: number): void;
  stats(): EngineStats | null;
  /** Release every model session and cached state; the next job loads them again. */
  release(): Promise<void>;
  /** Test hooks only (EngineInit.testDeviceLoss): destroy the GPU device, as a driver reset would. */
  loseDevice(): void;
  /** Test hooks only (EngineInit.testEngineCrash): die on purpose, by self.close() or an uncaught error. */
  crash(how: 'close' | 'throw'): void;
  dispose(): Promise<void>;
}
