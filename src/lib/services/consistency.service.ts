/**
 * The consistency tools as the UI (and later the quality gate) call them: regional guidance and
 * the reference collage for a panel's generation, and a local edit of a masked region stored as
 * an attempt of its own ('edit'). Plain data in, plain data out; the engine worker does the work.
 */
import {
  StoryLoomError,
  newId,
  type Attempt,
  type Character,
  type ImageRecord,
  type Panel,
  type Story,
} from '../domain';
import { SCHEMA_VERSION } from '../domain/schema';
import { compilePanel, type CompiledChunk } from '../prompt';
import * as store from '../store';
import type { MaskSpec, PixelRect } from '../../../workers/consistency-api';
import type { EditOutput } from '../../../workers/consistency-api';
import { EngineClientError } from '../rpc/engine.client';
import { libraryService } from './library.service';
import { engineService, type GenerateCallOptions } from './engine.service';

export type { MaskSpec, PixelRect };

/** What a local edit regenerates the region with. */
export interface EditConditioning {
  /** The character the region shows (null: the scene only). */
  characterId: string | null;
  /** A corrected expression for that character (e.g. the judge's expected one). */
  expression?: Panel['cast'][number]['expression'];
  /** Ready-made chunks (the gate's tuned prompt) instead of compiling the panel. */
  chunks?: CompiledChunk[];
}

/** A local edit as plain data: the artist's brush and the quality gate send the same. */
export interface EditRegionInput {
  story: Story;
  panel: Panel;
  /** The image to edit: a stored image id, or pixels. */
  baseImageId?: string;
  pixels?: { rgba: Uint8ClampedArray; width: number; height: number };
  mask: MaskSpec;
  conditioning: EditConditioning;
  seed: number;
  /** 0 < strength ≤ 1. */
  strength: number;
  steps?: number;
}

export interface EditedAttempt {
  attempt: Attempt;
  image: Blob;
  crop: PixelRect;
  feather: number;
  supportPixels: number;
  backend: EditOutput['backend'];
  timings: EditOutput['timings'];
}

async function editChunks(
  input: EditRegionInput,
): Promise<{ chunks: CompiledChunk[]; negative: CompiledChunk }> {
  const { story, panel, conditioning } = input;
  const characters = new Map<string, Character>();
  for (const m of panel.cast) {
    const c = await libraryService.getCharacter(m.characterId);
    if (c) characters.set(c.id, c);
  }
  const edited: Panel = {
    ...panel,
    cast: panel.cast.map((m) =>
      m.characterId === conditioning.characterId && conditioning.expression
        ? { ...m, expression: conditioning.expression }
        : m,
    ),
  };
  const compiled = compilePanel(edited, story, characters);
  if (conditioning.chunks?.length) return { chunks: conditioning.chunks, negative: compiled.negative };
  const chunks = compiled.chunks.filter(
    (c) =>
      c.kind === 'scene' || (conditioning.characterId !== null && c.characterId === conditioning.characterId),
  );
  return { chunks, negative: compiled.negative };
}

export async function editRegion(
  input: EditRegionInput,
  options: GenerateCallOptions = {},
): Promise<EditedAttempt> {
  if (!(input.strength > 0 && input.strength <= 1))
    throw new StoryLoomError(
      'invalid-input',
      `The edit strength must be above 0 and at most 1, got ${input.strength}.`,
    );
  let base: { image: Blob } | { rgba: Uint8ClampedArray; width: number; height: number };
  if (input.pixels) base = input.pixels;
  else if (input.baseImageId) {
    const record = await libraryService.getImage(input.baseImageId);
    if (!record)
      throw new StoryLoomError(
        'not-found',
        'The picture to edit is no longer stored; generate the panel again.',
      );
    base = { image: record.blob };
  } else throw new StoryLoomError('invalid-input', 'A local edit needs the picture to edit.');
  const { chunks, negative } = await editChunks(input);
  const { pack, overrides } = await engineService.drawingPacks();
  const unet = [...overrides, pack].flatMap((p) => p.components).find((c) => c.role === 'unet')?.scheduler;
  if (!unet) throw new StoryLoomError('invalid-input', `${pack.title} has no UNet with scheduler settings.`);
  const wanted = input.steps ?? (await libraryService.getSettings()).generation.numInferenceSteps;
  const numInferenceSteps = Math.min(Math.max(1, wanted), unet.maxSteps);
  const client = await engineService.engineClient();
  let output: EditOutput;
  try {
    output = await client.edit(
      {
        pack,
        overrides,
        base,
        mask: input.mask,
        chunks,
        negative,
        seed: input.seed,
        strength: input.strength,
        numInferenceSteps,
        guidanceScale: unet.guidanceScale,
      },
      options,
    );
  } catch (e) {
    if (e instanceof EngineClientError && (e.code === 'cancelled' || e.code === 'stopped')) throw e;
    throw e instanceof Error ? new StoryLoomError('invalid-input', e.message, { cause: e }) : e;
  }
  const db = await engineService.attemptsDb();
  const index = (await store.listAttemptsForPanel(db, input.panel.id)).length;
  const now = Date.now();
  const image: ImageRecord = {
    id: newId(),
    blob: output.image,
    mime: 'image/png',
    width: output.width,
    height: output.height,
    bytes: output.image.size,
    createdAt: now,
  };
  const attempt: Attempt = {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: newId(),
    panelId: input.panel.id,
    storyId: input.story.id,
    index,
    seed: output.seed,
    chunks: [...chunks, negative].map(({ kind, characterId, text, weight }) => ({
      kind,
      characterId,
      text,
      weight,
    })),
    parameters: {
      mode: 'edit',
      width: output.width,
      height: output.height,
      numInferenceSteps,
      guidanceScale: unet.guidanceScale,
      scheduler: unet.type,
      strength: input.strength,
      packId: pack.id,
    },
    imageId: image.id,
    report: null,
    action: null,
    timings: { ...output.timings },
    createdAt: now,
  };
  const saved = await store.saveAttempt(db, attempt, image);
  return {
    attempt: saved,
    image: output.image,
    crop: output.crop,
    feather: output.feather,
    supportPixels: output.supportPixels,
    backend: output.backend,
    timings: output.timings,
  };
}
