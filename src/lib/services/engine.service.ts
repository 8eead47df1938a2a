/**
 * The façade the UI calls to draw a panel: compile the panel's conditioning chunks, run the engine
 * worker (through its rpc client), and store the result as an attempt with its image, seed,
 * chunks, parameters and timings. The UI never touches the worker, the models or IndexedDB.
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
import type { Pack } from '../models/manifest';
import { compilePanel } from '../prompt';
import { EngineClient, EngineClientError, type SpawnedWorker } from '../rpc/engine.client';
import * as store from '../store';
import type { EngineProgress, GenerateOutput, ReadbackCounts, WorkerProgress } from '../../../workers/api';
import { judgeSpecFor } from './judge.service';
import { libraryService } from './library.service';
import { consistencyExtras } from './consistency-extras';
import { modelsService } from './models.service';

export type { EngineProgress, ReadbackCounts, WorkerProgress };

export interface GeneratePanelInput {
  story: Story;
  panel: Panel;
  seed: number;
  /** Defaults: the pack's native size, default steps and guidance. */
  numInferenceSteps?: number;
  width?: number;
  height?: number;
  preview?: 'none' | 'approx' | 'decoder';
  /** Above 0: image-to-image from the reference collage at this strength (at most 1). */
  referenceStrength?: number;
}

export interface GeneratedAttempt {
  attempt: Attempt;
  image: Blob;
  backend: GenerateOutput['backend'];
  encoderRuns: number;
  encoderHits: number;
  ortRuns: number;
  readbacks: ReadbackCounts;
  /** Why the judge could not run, or null (then attempt.report holds its report when it ran). */
  judgeError: string | null;
}

export interface GenerateCallOptions {
  signal?: AbortSignal;
  onProgress?: (event: WorkerProgress) => void;
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

/** The packs one drawing uses: the active pack, and the bench's UNet over it when a hook asks. */
export interface DrawingPacks {
  pack: Pack;
  overrides: Pack[];
}

class EngineService {
  #client: Promise<EngineClient> | null = null;
  #db: Promise<store.StoryLoomDB> | null = null;

  #engine(): Promise<EngineClient> {
    this.#client ??= modelsService.planInput().then((planInput) => {
      const hooks = modelsService.config.hooks;
      const delay = this.stepDelayMs();
      return new EngineClient(spawnEngineWorker, {
        backend: planInput.caps.backend,
        planInput,
        allowOrigin: hooks.servedTestPacks,
        ...(delay > 0 ? { stepDelayMs: delay } : {}),
      });
    });
    return this.#client;
  }

  /** Our own connection for attempts (the Library façade has no attempt calls yet). */
  #connection(): Promise<store.StoryLoomDB> {
    this.#db ??= store.openStoryLoomDB(store.DB.name, {
      onStale: () => (this.#db = null),
      onTerminated: () => (this.#db = null),
    });
    this.#db.catch(() => (this.#db = null));
    return this.#db;
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

  /** Wait after every step (test hooks only: the twins are too fast to cancel mid-run). */
  stepDelayMs(): number {
    return modelsService.config.hooks.engineStepDelayMs ?? 0;
  }

  /** Judge every attempt unless a test hook switched the judge off. */
  judgeOn(): boolean {
    return !modelsService.config.hooks.judgeOff;
  }

  async generatePanel(
    input: GeneratePanelInput,
    options: GenerateCallOptions = {},
  ): Promise<GeneratedAttempt> {
    const { story, panel } = input;
    const characters = new Map<string, Character>();
    for (const m of panel.cast) {
      const c = await libraryService.getCharacter(m.characterId);
      if (c) characters.set(c.id, c);
    }
    const compiled = compilePanel(panel, story, characters);
    const { pack, overrides } = await this.drawingPacks();
    const unet = [...overrides, pack].flatMap((p) => p.components).find((c) => c.role === 'unet')?.scheduler;
    if (!unet)
      throw new StoryLoomError('invalid-input', `${pack.title} has no UNet with scheduler settings.`);
    const width = input.width ?? unet.width;
    const height = input.height ?? unet.height;
    // The artist's step count from Settings, within what this model allows.
    const wanted =
      input.numInferenceSteps ?? (await libraryService.getSettings()).generation.numInferenceSteps;
    const numInferenceSteps = Math.min(Math.max(1, wanted), unet.maxSteps);
    // The worker judges the picture before it returns it; the report is saved with the attempt.
    const judge = this.judgeOn()
      ? await judgeSpecFor(await this.#connection(), { story, panel, characters, pack })
      : undefined;
    // Several characters: regional guidance; a reference strength: image-to-image from the collage.
    const extras = await consistencyExtras(panel, compiled, input.referenceStrength ?? 0);
    const client = await this.#engine();
    let output: GenerateOutput;
    try {
      output = await client.generate(
        {
          pack,
          overrides,
          chunks: compiled.chunks,
          negative: compiled.negative,
          seed: input.seed,
          width,
          height,
          numInferenceSteps,
          guidanceScale: unet.guidanceScale,
          preview: input.preview ?? 'approx',
          ...(judge ? { judge } : {}),
          ...extras,
        },
        options,
      );
    } catch (e) {
      if (e instanceof EngineClientError && (e.code === 'cancelled' || e.code === 'stopped')) throw e;
      throw e instanceof Error ? new StoryLoomError('invalid-input', e.message, { cause: e }) : e;
    }
    const db = await this.#connection();
    const index = (await store.listAttemptsForPanel(db, panel.id)).length;
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
    const t = output.timings;
    const attempt: Attempt = {
      schemaVersion: SCHEMA_VERSION.attempt,
      id: newId(),
      panelId: panel.id,
      storyId: story.id,
      index,
      seed: output.seed,
      chunks: [...compiled.chunks, compiled.negative].map(({ kind, characterId, text, weight }) => ({
        kind,
        characterId,
        text,
        weight,
      })),
      parameters: {
        mode: extras.reference ? 'img2img' : 'txt2img',
        width: output.width,
        height: output.height,
        numInferenceSteps,
        guidanceScale: unet.guidanceScale,
        scheduler: output.scheduler,
        strength: extras.reference?.strength ?? null,
        packId: pack.id,
      },
      imageId: image.id,
      report: output.judged?.report ?? null,
      action: null,
      timings: {
        totalMs: t.totalMs,
        loadMs: t.loadMs,
        tokenizeMs: t.tokenizeMs,
        encodeMs: t.encodeMs,
        denoiseMs: t.denoiseMs,
        decodeMs: t.decodeMs,
        postprocessMs: t.postprocessMs,
        ortMs: t.ortMs,
        ...(output.judged ? { judgeMs: output.judged.judgeMs, judgeLoadMs: output.judged.loadMs } : {}),
      },
      createdAt: now,
    };
    const saved = await store.saveAttempt(db, attempt, image);
    return {
      attempt: saved,
      image: output.image,
      backend: output.backend,
      encoderRuns: output.encoderRuns,
      encoderHits: output.encoderHits,
      ortRuns: output.ortRuns,
      readbacks: output.readbacks,
      judgeError: output.judgeError ?? null,
    };
  }

  /** The engine's rpc client and the attempts connection, for the consistency service. */
  engineClient(): Promise<EngineClient> {
    return this.#engine();
  }
  attemptsDb(): Promise<store.StoryLoomDB> {
    return this.#connection();
  }

  async attempts(panelId: string): Promise<Attempt[]> {
    return store.listAttemptsForPanel(await this.#connection(), panelId);
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
