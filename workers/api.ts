/**
 * The engine worker's API: types only. Everything that crosses the boundary is plain data;
 * images travel as Blobs (cheap to post) and previews as small RGBA arrays.
 */
import type { PlanInput } from '../src/lib/models/plan';
import type { Backend } from '../src/lib/models/variants';
import type { EngineProgress, ReadbackCounts } from '../src/lib/pipeline/types';
import type { TextToImageRequest, TextToImageTimings } from '../src/lib/pipeline/text-to-image';
import type { EngineStats } from '../src/lib/pipeline/engine';
import type { JudgeOutput, JudgeProgress, JudgeSpec } from './judge-api';
import type { EditJob, EditOutput, GenerateExtras, GuidedFacts } from './consistency-api';
import type { GateHost, GateRunJob, GateRunOutput } from './gate-api';

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

export type { EditJob, EditOutput, GenerateExtras, GuidedFacts };

export interface GenerateJob extends TextToImageRequest, GenerateExtras {
  /** Chosen by the client; `cancel(jobId)` stops this job between steps. */
  jobId: number;
  /** Judge the picture in the worker before it is returned (the report rides on the output). */
  judge?: JudgeSpec;
}

export interface GenerateOutput {
  image: Blob;
  width: number;
  height: number;
  seed: number;
  scheduler: string;
  timesteps: number[];
  backend: Backend;
  encoderRuns: number;
  encoderHits: number;
  ortRuns: number;
  readbacks: ReadbackCounts;
  timings: TextToImageTimings;
  /** Present when the job asked for a judge. */
  judged?: JudgeOutput | null;
  /** Why the judge could not run (the picture is still returned and saved, without a report). */
  judgeError?: string | null;
  /** Regional guidance / image-to-image facts, when the job asked for them. */
  guided?: GuidedFacts | null;
}

export interface EngineApi {
  init(options: EngineInit): Promise<EngineInfo>;
  generate(job: GenerateJob, onProgress?: (event: WorkerProgress) => void): Promise<GenerateOutput>;
  /** A local edit of a masked region (cancel with `cancel(jobId)` like a generation). */
  edit(job: EditJob, onProgress?: (event: EngineProgress) => void): Promise<EditOutput>;
  /** The quality gate over a queue of panels (cancel with `cancel(jobId)`); the host is a comlink proxy. */
  gate(job: GateRunJob & { jobId: number }, host: GateHost): Promise<GateRunOutput>;
  /** Soft cancel: the job stops before its next step. Unknown or finished jobs are ignored. */
  cancel(jobId: number): void;
  stats(): EngineStats | null;
  /** Release every model session and cached state; the next job loads them again. */
  release(): Promise<void>;
  dispose(): Promise<void>;
}
