/**
 * Types of the consistency tools crossing the engine worker boundary (types only): regional
 * guidance and the reference collage ride on an attempt's drawing.
 * Everything is plain data; images travel as Blobs.
 */
import type { MaskBox, MaskSpec, PixelRect } from '../src/lib/pipeline/mask';
import type { RegionSpec } from '../src/lib/pipeline/regional';

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

/** What a guided generation adds to GenerateOutput. */
export interface GuidedFacts {
  regions: number;
  batched: boolean;
  startStep: number;
  stepsRun: number;
}
