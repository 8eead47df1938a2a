/**
 * The judge's part of the engine worker's API: types only. The service sends the panel's spec, the
 * cast's verified template images and crops of earlier accepted panels as Blobs (cheap to post);
 * the worker judges the picture it has just drawn, before the picture leaves it.
 */
import type { Character, JudgeReport, Panel, Progress, RegionBox } from '../src/lib/domain';
import type { Pack } from '../src/lib/models/manifest';
import type { Backend } from '../src/lib/models/variants';

export interface JudgeTemplateSet {
  characterId: string;
  /** Embeddings are cached per character and templateVersion. */
  templateVersion: number;
  images: Blob[];
}

/** One character in an earlier accepted panel of the story (self consistency). */
export interface JudgeEarlierCrop {
  attemptId: string;
  characterId: string;
  box: RegionBox;
  image: Blob;
}

export interface JudgeSpec {
  /** The pack whose detector, image-text encoder and VLM judge (any that it has). */
  pack: Pack;
  panel: Pick<Panel, 'cast' | 'scene' | 'composition'>;
  characters: Character[];
  templates: JudgeTemplateSet[];
  earlier: JudgeEarlierCrop[];
  /** settings.thresholds (overrides of the defaults). */
  thresholds: Record<string, number>;
}

export interface JudgeOutput {
  report: JudgeReport;
  /** Wall time of the judge in the worker, model loading included. */
  judgeMs: number;
  /** Of which decoding and embedding template / earlier-panel references (models load on first use, in the checks). */
  loadMs: number;
  device: Backend;
}

/** The `judge` member of the studio's progress union. */
export type JudgeProgress = Extract<Progress, { status: 'judge' }>;
