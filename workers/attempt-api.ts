/**
 * A manual attempt as a job of the engine worker (types only): Generate, reference-guided Generate,
 * and a box or brush edit of an attempt the artist chose all send one of these. The worker draws,
 * judges and builds the attempt record with the same code the quality gate uses (attempt-flow.ts);
 * the service stores it.
 */
import type { Attempt, Panel } from '../src/lib/domain';
import type { GenerationPlan } from '../src/lib/gate';
import type { MaskSpec, ReadbackCounts } from '../src/lib/pipeline';
import type { Backend } from '../src/lib/models/variants';
import type { FlowSettings } from './attempt-flow';
import type { GuidedFacts, PixelRect, ReferenceSpec } from './consistency-api';
import type { JudgeSpec } from './judge-api';

export interface AttemptJob extends FlowSettings {
  panel: Panel;
  plan: GenerationPlan;
  /** The attempt's index in its panel (the service knows the panel's attempts). */
  index: number;
  figures: ReferenceSpec['figures'];
  /** The picture of the attempt an edit repaints (`plan.editAttemptIndex`), as stored. */
  base: Blob | null;
  /** The artist's brush stroke, repainted together with the plan's box. */
  brush: MaskSpec['brush'] | null;
  /** Judge the picture before it leaves the worker; null when the artist switched the judge off. */
  judge: JudgeSpec | null;
}

/** What a drawing tells about itself (the panel view's facts line, the e2e checks). */
export interface AttemptFacts {
  backend: Backend;
  encoderRuns: number;
  encoderHits: number;
  ortRuns: number;
  readbacks: ReadbackCounts;
  guided: GuidedFacts | null;
  /** For an edit: the crop it worked in and the pixels it may change. */
  edit: { crop: PixelRect; feather: number; supportPixels: number } | null;
  judgeDevice: Backend | null;
}

export interface AttemptOutput {
  attempt: Attempt;
  image: Blob;
  /** Why the judge could not run (the attempt is kept without a report), or null. */
  judgeError: string | null;
  facts: AttemptFacts;
}
