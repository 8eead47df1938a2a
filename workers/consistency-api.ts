/**
 * Types of the consistency tools crossing the engine worker boundary (types only): regional
 * guidance and the reference collage ride on a generate job; a local edit is its own job.
 * Everything is plain data; images travel as Blobs (or RGBA when the caller has pixels).
 */
import type { Backend } from '../src/lib/models/variants';
import type { Pack } from '../src/lib/models/manifest';
import type { MaskBox, MaskSpec, PixelRect } from '../src/lib/pipeline/mask';
import type { RegionSpec } from '../src/lib/pipeline/regional';
import type { PlainChunk } from '../src/lib/pipeline/text-to-image';
import type { ReadbackCounts } from '../src/lib/pipeline/types';

export type { MaskBox, MaskSpec, PixelRect, RegionSpec };

/** Reference-guided generation: image-to-image from a collage of the characters' templates. */
export interface ReferenceSpec {
  /** 0 < strength ≤ 1: how much of the schedule runs over the collage. */
  strength: number;
  /** Tints the collage's canvas (see collage.ts sceneTint). */
  timeOfDay: string | null;
  /** One verified template per character, placed into its region box. */
  figures: { characterId: string; box: MaskBox; image: Blob }[];
}

/** Extra fields of a generate job. */
export interface GenerateExtras {
  /** Regional guidance: the job's `chunks` are the scene; each region conditions its box. */
  regions?: RegionSpec[] | null;
  reference?: ReferenceSpec | null;
}

export type EditBaseInput = { image: Blob } | { rgba: Uint8ClampedArray; width: number; height: number };

/** A local edit (masked-edit.ts) as plain data: the artist's brush and the quality gate send the same. */
export interface EditRequest {
  pack: Pack;
  overrides?: Pack[];
  base: EditBaseInput;
  mask: MaskSpec;
  chunks: PlainChunk[];
  negative: PlainChunk | null;
  seed: number;
  strength: number;
  numInferenceSteps: number;
  guidanceScale: number;
  feather?: number;
}

export interface EditJob extends EditRequest {
  jobId: number;
}

export interface EditOutput {
  image: Blob;
  width: number;
  height: number;
  seed: number;
  crop: PixelRect;
  feather: number;
  supportPixels: number;
  stepsRun: number;
  backend: Backend;
  ortRuns: number;
  readbacks: ReadbackCounts;
  timings: { totalMs: number; generateMs: number; ortMs: number; denoiseMs: number; vaeEncodeMs: number };
}

/** What a guided generation adds to GenerateOutput. */
export interface GuidedFacts {
  regions: number;
  batched: boolean;
  startStep: number;
  stepsRun: number;
}
