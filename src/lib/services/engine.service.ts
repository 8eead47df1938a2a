/**
 * The façade the UI calls to draw a panel — Generate, reference-guided Generate, and a box or brush
 * edit of the attempt the artist chose are all one attempt: the worker draws, judges (unless the
 * judge is off) and builds the record with the code the quality gate uses (workers/attempt-flow.ts);
 * this service stores it with its image in one transaction, moving the panel through the status
 * machine, and tells the other tabs. The UI never touches the worker, the models or IndexedDB.
 *
 * Fair use of the one engine: a quality-gate run does not hold it. A manual attempt goes to the
 * worker at once; while a run is drawing, the run waits at its next attempt boundary until the
 * manual attempt is done (`manualTurn`), and the panel view says what is waiting for what.
 */
import {
  StoryLoomError,
  type Attempt,
  type Character,
  type ImageRecord,
  type Panel,
  type RegionBox,
  type Story,
} from '../domain';
import { attemptId, nextAttemptIndex, type GenerationPlan } from '../gate';
import type { Pack } from '../models/manifest';
import type { MaskSpec, PreviewMode } from '../pipeline';
import { EngineClient, EngineClientError, type SpawnedWorker } from '../rpc/engine.client';
import * as store from '../store';
import type { AttemptFacts } from '../../../workers/attempt-api';
import type { ReferenceSpec } from '../../../workers/consistency-api';
import type { EngineProgress, ReadbackCounts, WorkerProgress } from '../../../workers/api';
import { judgeSpecFor } from './judge.service';
import { libraryService } from './library.service';
import { modelsService } from './models.service';

export type { AttemptFacts, EngineProgress, MaskSpec, ReadbackCounts, WorkerProgress };

type Expression = Panel['cast'][number]['expression'];

/** A local edit: the attempt it repaints (the one the artist chose), the region, how far down the schedule. */
export interface EditInput {
  attemptId: string;
  mask: MaskSpec;
  /** 0 < strength ≤ 1. */
  strength: number;
  /** A corrected expression for a character of the panel (e.g. the one the judge expected). */
  expression?: { characterId: string; expression: Expression };
}

export interface AttemptInput {
  story: Story;
  panel: Panel;
  seed: number;
  /** Above 0: image-to-image from the reference collage at this strength (at most 1). */
  referenceStrength?: number;
  edit?: EditInput;
  preview?: PreviewMode;
}

export interface AttemptResult {
  attempt: Attempt;
  image: Blob;
  facts: AttemptFacts;
  /** Why the judge could not run (the attempt is kept without a report), or null. */
  judgeError: string | null;
}

export interface GenerateCallOptions {
  signal?: AbortSignal;
  onProgress?: (event: WorkerProgress) => void;
  /** Told when the attempt waits for the run's current attempt (and when it may go). */
  onWait?: (waiting: string | null) => void;
}

/** The packs one drawing uses: the active pack, and the bench's UNet over it when a hook asks. */
export interface DrawingPacks {
  pack: Pack;
  overrides: Pack[];
}

function spawnEngineWorker(): SpawnedWorker {
  const worker = new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'engine',
  });
  return {
    endpoint: worker,
    terminate: () => worker.terminate(),
    onFailure: (listener) => {
      worker.onerror = (e) => listener(e.message || 'the engine worker could not start');
    },
  };
}

const unetOf = (packs: Pack[]) =>
  packs.flatMap((p) => p.components).find((c) => c.role === 'unet')?.scheduler;

/** The box a brush stroke covers, in panel fractions (the attempt records where the edit was). */
function maskBox(mask: MaskSpec): RegionBox {
  if (mask.box) return { ...mask.box };
  const brush = mask.brush;
  if (!brush)
    throw new StoryLoomError(
      'invalid-input',
      'Brush over the part to redraw, or drag a box around it, first.',
    );
  let x0 = brush.width;
  let y0 = brush.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < brush.height; y++)
    for (let x = 0; x < brush.width; x++)
      if ((brush.data[y * brush.width + x] ?? 0) > 127) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0)
    throw new StoryLoomError('invalid-input', 'The brush stroke is empty: brush over the part to redraw.');
  return {
    x: x0 / brush.width,
    y: y0 / brush.height,
    w: (x1 - x0 + 1) / brush.width,
    h: (y1 - y0 + 1) / brush.height,
  };
}

class EngineService {
  #client: Promise<EngineClient> | null = null;
  #manual = 0;
  #manualDone: { promise: Promise<void>; resolve: () => void } | null = null;
  #runDrawing: (() => string | null) | null = null;

  #engine(): Promise<EngineClient> {
    this.#client ??= modelsService.planInput().then((planInput) => {
      const hooks = modelsService.config.hooks;
      return new EngineClient(spawnEngineWorker, {
        backend: planInput.caps.backend,
        planInput,
        allowOrigin: hooks.servedTestPacks,
        ...(hooks.engineStepDelayMs ? { stepDelayMs: hooks.engineStepDelayMs } : {}),
        testDeviceLoss: hooks.testDeviceLoss,
        testEngineCrash: hooks.testEngineCrash,
      });
    });
    return this.#client;
  }

  /**
   * The packs to draw with: the active pack, ready on this machine — else a sentence (NeedsModelsError)
   * that the UI shows with a link to Models. Never a silent fallback to a test pack.
   */
  async drawingPacks(): Promise<DrawingPacks> {
    const { pack } = await modelsService.usablePack('draw');
    const unetPack = modelsService.config.hooks.unetPack;
    return { pack, overrides: unetPack ? [modelsService.pack(unetPack)] : [] };
  }

  /** Judge every attempt unless a test hook switched the judge off. */
  judgeOn(): boolean {
    return !modelsService.config.hooks.judgeOff;
  }

  /** The gate service says what its run is drawing (null when it is paused or idle). */
  setRunReporter(report: (() => string | null) | null): void {
    this.#runDrawing = report;
  }

  /** The gate's attempt boundary: hold while a manual attempt is being drawn. */
  async manualTurn(): Promise<void> {
    while (this.#manualDone) await this.#manualDone.promise;
  }

  /**
   * One verified template per cast member, for reference-guided drawing (manual and the gate), from
   * the characters the caller has already read.
   */
  async figures(panel: Panel, characters: ReadonlyMap<string, Character>): Promise<ReferenceSpec['figures']> {
    const figures: ReferenceSpec['figures'] = [];
    for (const m of panel.cast) {
      const template = characters.get(m.characterId)?.templates[0];
      if (!template) continue;
      const image = await libraryService.getImage(template.imageId);
      if (image) figures.push({ characterId: m.characterId, box: { ...m.region }, image: image.blob });
    }
    return figures;
  }

  /** Draw, judge and store one attempt of a panel. */
  async attempt(input: AttemptInput, options: GenerateCallOptions = {}): Promise<AttemptResult> {
    const { story, edit } = input;
    const { pack, overrides } = await this.drawingPacks();
    const unet = unetOf([...overrides, pack]);
    if (!unet)
      throw new StoryLoomError('invalid-input', `${pack.title} has no UNet with scheduler settings.`);
    const db = await libraryService.db();
    const settings = await libraryService.getSettings();
    // An expression correction changes what the edit draws, never the stored panel.
    const panel: Panel = edit?.expression
      ? {
          ...input.panel,
          cast: input.panel.cast.map((m) =>
            m.characterId === edit.expression?.characterId
              ? { ...m, expression: edit.expression.expression }
              : m,
          ),
        }
      : input.panel;
    const characters: Character[] = [];
    for (const m of panel.cast) {
      const c = await libraryService.getCharacter(m.characterId);
      if (c) characters.push(c);
    }
    const attempts = await store.listAttemptsForPanel(db, panel.id);
    let base: Blob | null = null;
    let editAttemptIndex: number | null = null;
    if (edit) {
      const chosen = attempts.find((a) => a.id === edit.attemptId);
      const image = chosen?.imageId ? await store.getImage(db, chosen.imageId) : undefined;
      if (!chosen || !image)
        throw new StoryLoomError(
          'not-found',
          'The picture to edit is no longer stored; generate the panel again.',
        );
      if (!(edit.strength > 0 && edit.strength <= 1))
        throw new StoryLoomError(
          'invalid-input',
          `The edit strength must be above 0 and at most 1, got ${edit.strength}.`,
        );
      base = image.blob;
      editAttemptIndex = chosen.index;
    }
    // The reference collage is made of the cast's templates: a scene-only panel draws from text.
    const reference =
      !edit && panel.cast.length > 0 && (input.referenceStrength ?? 0) > 0
        ? Math.min(1, input.referenceStrength ?? 0)
        : null;
    const plan: GenerationPlan = {
      seed: input.seed,
      mode: edit ? 'edit' : reference ? 'img2img' : 'txt2img',
      compileOptions: {},
      referenceStrength: reference,
      numInferenceSteps: Math.min(Math.max(1, settings.generation.numInferenceSteps), unet.maxSteps),
      guidanceScale: unet.guidanceScale,
      mask: edit ? maskBox(edit.mask) : null,
      editAttemptIndex,
    };
    const byId = new Map(characters.map((c) => [c.id, c]));
    const judge = this.judgeOn() ? await judgeSpecFor(db, { story, panel, characters: byId, pack }) : null;
    const client = await this.#engine();
    const index = nextAttemptIndex(attempts);
    const job = {
      pack,
      overrides,
      story: { id: story.id, style: story.style },
      characters,
      width: unet.width,
      height: unet.height,
      maxSteps: unet.maxSteps,
      editStrength: edit?.strength ?? 1,
      preview: input.preview ?? ('approx' as const),
      panel,
      plan,
      index,
      figures: reference ? await this.figures(panel, byId) : [],
      base,
      brush: edit?.mask.brush ?? null,
      judge,
    };
    // A run that is drawing finishes its current attempt first; say so while we wait.
    const drawing = this.#runDrawing?.() ?? null;
    if (drawing) options.onWait?.(`Waiting for the run to finish ${drawing}…`);
    let release = () => {};
    const turn = new Promise<void>((r) => (release = r));
    this.#manual++;
    this.#manualDone ??= { promise: turn, resolve: release };
    let output;
    try {
      output = await client.attempt(job, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (e) => {
          options.onWait?.(null);
          options.onProgress?.(e);
        },
      });
    } catch (e) {
      // The GPU is gone: a fresh worker (and device) serves the next attempt.
      if (e instanceof EngineClientError && e.code === 'device-lost')
        client.terminate(e.message, 'device-lost');
      throw e;
    } finally {
      this.#manual--;
      if (this.#manual === 0 && this.#manualDone) {
        const done = this.#manualDone;
        this.#manualDone = null;
        done.resolve();
      }
      release();
      options.onWait?.(null);
    }
    // The stored record: the panel's place of this attempt, the real panel (not the edit's copy).
    const attempt: Attempt = {
      ...output.attempt,
      panelId: input.panel.id,
      id: attemptId(input.panel.id, index),
    };
    const image: ImageRecord = {
      id: attempt.imageId ?? `${attempt.id}:image`,
      blob: output.image,
      mime: 'image/png',
      width: attempt.parameters.width,
      height: attempt.parameters.height,
      bytes: output.image.size,
      createdAt: attempt.createdAt,
    };
    const saved = await store.saveAttempt(db, attempt, image, {
      type: 'attempt-judged',
      attemptId: attempt.id,
      verdict: attempt.report?.verdict ?? null,
    });
    libraryService.changed('attempt', panel.id);
    libraryService.changed('panel', panel.id);
    return { attempt: saved, image: output.image, facts: output.facts, judgeError: output.judgeError };
  }

  /** The engine's rpc client, for the gate service. */
  engineClient(): Promise<EngineClient> {
    return this.#engine();
  }

  async attempts(panelId: string): Promise<Attempt[]> {
    return store.listAttemptsForPanel(await libraryService.db(), panelId);
  }

  /** Test hooks only: make the engine's GPU device go away (the next step fails with device-lost). */
  async loseDevice(): Promise<void> {
    await (await this.#engine()).loseDevice();
  }

  /** Test hooks only: make the engine worker die on its own, as a crash would. */
  async crash(how: 'close' | 'throw'): Promise<void> {
    await (await this.#engine()).crash(how);
  }

  /** Test hooks only: engine workers started so far (a respawn counts). */
  async spawns(): Promise<number> {
    return (await this.#client)?.spawns ?? 0;
  }

  /** Stop the engine now (hard): pending generations are rejected, a fresh worker starts next time. */
  async stop(): Promise<void> {
    (await this.#client)?.terminate();
  }

  async release(): Promise<void> {
    await (await this.#client)?.release();
  }
}

export const engineService = new EngineService();
export { EngineClientError };
