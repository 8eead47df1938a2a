/**
 * One attempt flow, in the engine worker, for every way a panel is drawn: a manual Generate (with
 * regional guidance for several characters and, at a reference strength, image-to-image from the
 * template collage), a box or brush edit of an attempt the artist chose, and each attempt of the
 * quality gate. Compile the conditioning → draw → (judge) → build the attempt record: the same
 * functions whoever asks. The gate calls `drawAttempt` from its ports; a manual attempt calls
 * `runAttempt`, which also judges and builds the record.
 */
import { buildAttempt, type AttemptDraft, type GenerationPlan } from '../src/lib/gate';
import { compilePanel, type CompiledChunk } from '../src/lib/prompt';
import { StoryLoomError, type Character, type Panel, type Story } from '../src/lib/domain';
import type { Pack } from '../src/lib/models/manifest';
import type { EngineProgress, MaskSpec, PlainChunk, PreviewMode } from '../src/lib/pipeline';
import type { GenerateExtras, ReferenceSpec, RegionSpec } from './consistency-api';
import type { AttemptFacts, AttemptJob, AttemptOutput } from './attempt-api';
import type { DrawnImage, GateDeps, Pixels } from './gate-deps';
import type { JudgeOutput, JudgeProgress } from './judge-api';

/** What every attempt of one job shares: the packs, the story and the image size. */
export interface FlowSettings {
  pack: Pack;
  overrides: Pack[];
  story: Pick<Story, 'id' | 'style'>;
  characters: Character[];
  width: number;
  height: number;
  /** The UNet's step limit: a plan asking for more runs this many (the attempt records it). */
  maxSteps: number;
  /** How far down the schedule a local edit repaints (0 < strength ≤ 1). */
  editStrength: number;
  preview: PreviewMode;
}

export interface DrawInput {
  panel: Panel;
  plan: GenerationPlan;
  /** One verified template per character (reference-guided drawing). */
  figures: ReferenceSpec['figures'];
  /** The picture an edit repaints (the attempt `plan.editAttemptIndex`). */
  base: () => Promise<Pixels>;
  /** A brush stroke to repaint with the plan's box (manual edits). */
  brush?: MaskSpec['brush'];
}

/** The chunk as the attempt records it (the cache key stays in the worker). */
const recorded = ({ kind, characterId, text, weight }: PlainChunk) => ({ kind, characterId, text, weight });

const overlaps = (a: RegionSpec['box'], b: RegionSpec['box']) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Regional guidance for two or more characters: the job's chunks are the scene, each region its
 * character's. One character, or none (a scene-only panel, whose only chunk is the scene), draws
 * with the chunks as they are.
 */
export function regionsFor(
  panel: Panel,
  chunks: readonly CompiledChunk[],
): Pick<GenerateExtras, 'regions'> & { chunks: CompiledChunk[] } {
  const scene = chunks.filter((c) => c.kind === 'scene');
  if (panel.cast.length < 2) return { chunks: [...chunks], regions: null };
  return {
    chunks: scene,
    regions: panel.cast.map((m) => ({
      characterId: m.characterId,
      box: { ...m.region },
      chunks: [...chunks.filter((c) => c.characterId === m.characterId), ...scene],
    })),
  };
}

/** A local edit repaints with the characters whose region meets the mask, and the scene. */
export function editChunks(
  panel: Panel,
  chunks: readonly CompiledChunk[],
  mask: RegionSpec['box'],
): CompiledChunk[] {
  const inside = new Set(panel.cast.filter((m) => overlaps(m.region, mask)).map((m) => m.characterId));
  const picked = chunks.filter(
    (c) => c.kind === 'scene' || (c.characterId !== null && inside.has(c.characterId)),
  );
  return picked.length ? picked : [...chunks];
}

/** Draw one attempt of a panel from its plan; the record's draft comes with it. */
export async function drawAttempt(
  deps: GateDeps,
  job: FlowSettings,
  input: DrawInput,
  options: { signal: AbortSignal; onProgress: (e: EngineProgress) => void },
): Promise<{ drawn: DrawnImage; draft: AttemptDraft }> {
  const { panel, plan } = input;
  const characters = new Map(job.characters.map((c) => [c.id, c]));
  const compiled = compilePanel(panel, job.story, characters, plan.compileOptions);
  const numInferenceSteps = Math.min(plan.numInferenceSteps, job.maxSteps);
  const common = {
    pack: job.pack,
    overrides: job.overrides,
    negative: compiled.negative,
    seed: plan.seed,
    numInferenceSteps,
    guidanceScale: plan.guidanceScale,
  };
  let drawn: DrawnImage;
  let chunks: PlainChunk[];
  if (plan.mode === 'edit') {
    if (!plan.mask || plan.editAttemptIndex === null)
      throw new StoryLoomError('invalid-input', 'An edit needs a region and the attempt it repaints.');
    const used = editChunks(panel, compiled.chunks, plan.mask);
    drawn = await deps.edit(
      {
        ...common,
        base: await input.base(),
        mask: { box: { ...plan.mask }, ...(input.brush ? { brush: input.brush } : {}) },
        chunks: used,
        strength: job.editStrength,
        preview: job.preview,
      },
      options,
    );
    chunks = [...used, compiled.negative];
  } else {
    const { chunks: drawnChunks, regions } = regionsFor(panel, compiled.chunks);
    const reference =
      plan.mode === 'img2img' && plan.referenceStrength
        ? { strength: plan.referenceStrength, timeOfDay: panel.scene.timeOfDay, figures: input.figures }
        : null;
    drawn = await deps.generate(
      {
        ...common,
        chunks: drawnChunks,
        width: job.width,
        height: job.height,
        preview: job.preview,
        regions,
        reference,
      },
      options,
    );
    chunks = [...compiled.chunks, compiled.negative];
  }
  if (!drawn.image)
    throw new StoryLoomError('invalid-input', 'This browser could not encode the picture as PNG.');
  const strength =
    plan.mode === 'edit' ? job.editStrength : plan.mode === 'img2img' ? plan.referenceStrength : null;
  const draft: AttemptDraft = {
    chunks: chunks.map(recorded),
    parameters: {
      mode: plan.mode,
      width: drawn.width,
      height: drawn.height,
      numInferenceSteps,
      guidanceScale: plan.guidanceScale,
      scheduler: drawn.scheduler ?? 'EulerDiscreteScheduler',
      strength,
      packId: job.pack.id,
      baseIndex: plan.mode === 'edit' ? plan.editAttemptIndex : null,
    },
    timings: drawn.timings,
  };
  return { drawn, draft };
}

/**
 * A manual attempt: draw, judge (unless the job has no judge spec), build the record. A judge that
 * fails does not lose the picture: the attempt is kept without a report and says why.
 */
export async function runAttempt(
  deps: GateDeps,
  job: AttemptJob,
  options: { signal: AbortSignal; onProgress: (e: EngineProgress | JudgeProgress) => void },
): Promise<AttemptOutput> {
  const startedAt = deps.now();
  const base = async (): Promise<Pixels> => {
    if (!job.base) throw new StoryLoomError('not-found', 'The picture to edit is no longer stored.');
    return deps.decode(job.base);
  };
  const { drawn, draft } = await drawAttempt(
    deps,
    job,
    {
      panel: job.panel,
      plan: job.plan,
      figures: job.figures,
      base,
      ...(job.brush ? { brush: job.brush } : {}),
    },
    options,
  );
  const generatedAt = deps.now();
  let judged: JudgeOutput | null = null;
  let judgeError: string | null = null;
  if (job.judge) {
    try {
      judged = await deps.judge(drawn, job.judge, { signal: options.signal, onProgress: options.onProgress });
    } catch (e) {
      // A cancel stops the attempt; a broken judge model must not lose the picture.
      if (options.signal.aborted) throw e;
      judgeError = e instanceof Error ? e.message : String(e);
    }
  }
  const judgedAt = deps.now();
  const attempt = buildAttempt({
    panel: job.panel,
    index: job.index,
    seed: job.plan.seed,
    draft,
    report: judged?.report ?? null,
    action: null,
    times: { startedAt, generatedAt, judgedAt },
    createdAt: Date.now(),
  });
  const facts: AttemptFacts = { ...drawn.facts, judgeDevice: judged?.device ?? null };
  return { attempt, image: drawn.image as Blob, judgeError, facts };
}
