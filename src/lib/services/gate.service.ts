/**
 * The quality gate's façade: start a run over a story (or one panel), pause, resume, cancel, and
 * resume an interrupted run when the studio starts. The loop itself runs in the engine worker;
 * this service is its host: it reads what the worker needs from the database, commits each
 * attempt with its image in one transaction before the worker goes on, and records each panel's
 * outcome. The run record (store/runs.ts) is what a reopened tab resumes from.
 */
import {
  StoryLoomError,
  decidedByArtist,
  newId,
  userMessage,
  type Attempt,
  type Character,
  type ImageRecord,
} from '../domain';
import { deriveSeed, type GenerationPlan } from '../gate';
import type { Pack } from '../models/manifest';
import * as store from '../store';
import type { GateRun } from '../store';
import { EngineClientError } from '../rpc/engine.client';
import type {
  GateHost,
  GatePanelContext,
  GatePanelResult,
  GateRunEvent,
  GateRunJob,
  GateRunOutput,
} from '../../../workers/gate-api';
import { engineService } from './engine.service';
import { judgeSpecFor } from './judge.service';
import { libraryService } from './library.service';

export type { GateRun, GateRunEvent, GateRunOutput, GatePanelResult };

/** How far down the schedule the gate's local edits repaint. */
export const GATE_EDIT_STRENGTH = 0.75;
/**
 * Losses of the device or the worker during one attempt before the run is paused for the artist:
 * the first is retried on a fresh worker, the second pauses.
 */
const MAX_LOSSES_PER_ATTEMPT = 2;
const LOCK = 'storyloom-gate-run';

export type GateServiceEvent =
  | GateRunEvent
  | { type: 'run'; run: GateRun }
  | { type: 'saved'; attempt: Attempt }
  | { type: 'finished'; storyId: string; output: GateRunOutput | null; error: string | null }
  | { type: 'respawn'; storyId: string; message: string }
  /** The run was paused because the engine was lost again in the same attempt. */
  | { type: 'halted'; storyId: string; message: string }
  /** Another tab runs the gate; this tab waits to take the run over if that tab closes. */
  | { type: 'waiting'; storyId: string }
  /** The tab that ran this story's gate went away; this tab took the run over. */
  | { type: 'took-over'; storyId: string };

export type GateListener = (event: GateServiceEvent) => void;

export interface StartRunInput {
  storyId: string;
  /**
   * Only these panels ("Run this panel again"): the artist asks, so an accepted or overridden panel
   * runs too. Default: every panel of the story the artist has not decided.
   */
  panelIds?: string[];
  /** Run the panels the artist accepted or overrode as well (their decision is lifted). */
  includeAccepted?: boolean;
  /** Seeds of the panels derive from it; default: random. */
  baseSeed?: number;
}

/** The first plan of a panel's gate: text-to-image with the settings' steps and the pack's guidance. */
export function initialPlanFor(
  seed: number,
  numInferenceSteps: number,
  guidanceScale: number,
): GenerationPlan {
  return {
    seed,
    mode: 'txt2img',
    compileOptions: {},
    referenceStrength: null,
    numInferenceSteps,
    guidanceScale,
    mask: null,
    editAttemptIndex: null,
  };
}

const unetOf = (packs: Pack[]) =>
  packs.flatMap((p) => p.components).find((c) => c.role === 'unet')?.scheduler;
const hasRole = (packs: Pack[], role: string) => packs.some((p) => p.components.some((c) => c.role === role));

interface Active {
  storyId: string;
  runId: string;
  /** What the run is drawing right now, in words, or null between attempts. */
  drawing: string | null;
  controller: AbortController;
  paused: { since: number; release: () => void; wait: Promise<void> } | null;
  done: Promise<void>;
  /** Waiting for another tab's run to end (the Web Lock is not ours yet). */
  waiting: boolean;
  /** Device or worker losses since the last committed attempt. */
  losses: number;
}

const lossSentences = (code: string) =>
  code === 'device-lost'
    ? {
        retry:
          'The GPU stopped working; the engine was restarted on a fresh device and the attempt is being retried.',
        halt: 'The GPU stopped working twice during the same attempt, so the run is paused; everything drawn so far is kept — press Resume to go on.',
      }
    : {
        retry: 'The engine stopped unexpectedly; it was restarted and the attempt is being retried.',
        halt: 'The engine stopped unexpectedly twice during the same attempt, so the run is paused; everything drawn so far is kept — press Resume to go on.',
      };

class GateService {
  #listeners = new Set<GateListener>();
  #active: Active | null = null;

  subscribe(listener: GateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: GateServiceEvent): void {
    for (const l of this.#listeners) l(event);
  }

  #db(): Promise<store.StoryLoomDB> {
    return libraryService.db();
  }

  /** The story this tab is running, or null. */
  get activeStoryId(): string | null {
    const a = this.#active;
    return a && !a.waiting ? a.storyId : null;
  }

  /** The story whose run this tab waits to take over from another tab, or null. */
  get waitingStoryId(): string | null {
    const a = this.#active;
    return a?.waiting ? a.storyId : null;
  }

  async run(storyId: string): Promise<GateRun | null> {
    return store.getRun(await this.#db(), storyId);
  }

  async attempts(panelId: string): Promise<Attempt[]> {
    return store.listAttemptsForPanel(await this.#db(), panelId);
  }

  async storyAttempts(storyId: string): Promise<Map<string, Attempt[]>> {
    const found = await libraryService.getStory(storyId);
    const out = new Map<string, Attempt[]>();
    for (const p of found?.panels ?? []) out.set(p.id, await this.attempts(p.id));
    return out;
  }

  async image(imageId: string): Promise<Blob | null> {
    return (await store.getImage(await this.#db(), imageId))?.blob ?? null;
  }

  /** Queue the story's panels (or the given ones) and start the gate on them. */
  async start(input: StartRunInput): Promise<GateRun> {
    if (this.#active)
      throw new StoryLoomError('invalid-input', 'A run is already going; wait for it or cancel it first.');
    const db = await this.#db();
    const found = await libraryService.getStory(input.storyId);
    if (!found)
      throw new StoryLoomError('not-found', 'This story is not in the library (it may have been deleted).');
    const previous = await store.getRun(db, input.storyId);
    if (previous && (previous.state === 'running' || previous.state === 'paused'))
      throw new StoryLoomError(
        'invalid-input',
        'This story has an unfinished run; resume or cancel it first.',
      );
    const byId = new Map(found.panels.map((p) => [p.id, p]));
    const order = found.story.panelIds.filter((id) => byId.has(id));
    const asked = input.panelIds ? order.filter((id) => input.panelIds?.includes(id)) : order;
    if (asked.length === 0)
      throw new StoryLoomError('invalid-input', 'There is no panel to run: add a panel to the story first.');
    // The artist's accept and override are final: such panels run only when the artist asks.
    const explicit = input.panelIds !== undefined || input.includeAccepted === true;
    const panelIds = explicit ? asked : asked.filter((id) => !decidedByArtist(byId.get(id)!));
    if (panelIds.length === 0)
      throw new StoryLoomError(
        'invalid-input',
        'You accepted or overrode every panel of this story, so there is nothing to run. Use “Run this panel again” on a panel, or include accepted panels.',
      );
    // Before anything is written: a run needs an installed pack that can draw here.
    const drawing = await engineService.drawingPacks();
    const pack = drawing.pack;
    const unet = unetOf([...drawing.overrides, pack]);
    if (!unet)
      throw new StoryLoomError('invalid-input', `${pack.title} has no UNet with scheduler settings.`);
    const settings = await store.getSettings(db);
    const steps = Math.min(Math.max(1, settings.generation.numInferenceSteps), unet.maxSteps);
    const baseSeed = (input.baseSeed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    if (explicit)
      await store.reopenPanels(
        db,
        panelIds.filter((id) => decidedByArtist(byId.get(id)!)),
      );
    const now = Date.now();
    const run = await store.saveRun(db, {
      schemaVersion: store.GATE_RUN_SCHEMA_VERSION,
      storyId: input.storyId,
      runId: newId(),
      scope: input.panelIds ? 'panel' : 'story',
      state: 'running',
      baseSeed,
      createdAt: now,
      updatedAt: now,
      items: panelIds.map((panelId) => ({
        panelId,
        // Each panel its own reproducible seed, from the run's seed and the panel's place in the story.
        initialPlan: initialPlanFor(
          deriveSeed(baseSeed, order.indexOf(panelId), 0),
          steps,
          unet.guidanceScale,
        ),
        base: null,
        status: 'pending' as const,
        error: null,
        bestAttemptId: null,
        attempts: 0,
      })),
    });
    this.#emit({ type: 'run', run });
    this.#launch(run);
    return run;
  }

  /** Resume a stored unfinished run (after a reload, or a paused one). */
  async resume(storyId: string): Promise<GateRun | null> {
    if (this.#active?.storyId === storyId) {
      this.#unpause();
      const db = await this.#db();
      const run = await store.setRunState(db, storyId, this.#active.runId, 'running');
      this.#emit({ type: 'run', run });
      return run;
    }
    if (this.#active) return null;
    const db = await this.#db();
    let run = await store.getRun(db, storyId);
    if (!run || run.state === 'done' || run.state === 'cancelled') return run;
    if (run.state === 'paused') run = await store.setRunState(db, storyId, run.runId, 'running');
    this.#emit({ type: 'run', run });
    this.#launch(run);
    return run;
  }

  /** On start-up: resume the run that was going when the tab closed (paused ones wait to be asked). */
  async resumeInterrupted(): Promise<GateRun | null> {
    if (this.#active) return null;
    const runs = await store.listUnfinishedRuns(await this.#db());
    const interrupted = runs.find((r) => r.state === 'running');
    if (!interrupted) return runs[0] ?? null;
    return this.resume(interrupted.storyId);
  }

  /** Stop before the next attempt (the current one finishes and is kept); resume() goes on. */
  async pause(storyId: string): Promise<void> {
    const active = this.#active;
    if (!active || active.storyId !== storyId || active.paused) return;
    let release = () => {};
    const wait = new Promise<void>((r) => (release = r));
    active.paused = { since: performance.now(), release, wait };
    const run = await store.setRunState(await this.#db(), storyId, active.runId, 'paused');
    this.#emit({ type: 'run', run });
  }

  async cancel(storyId: string): Promise<void> {
    const db = await this.#db();
    const active = this.#active;
    if (active && active.storyId === storyId) {
      active.controller.abort();
      this.#unpause();
      await active.done;
    }
    const run = await store.getRun(db, storyId);
    if (run && run.state !== 'done' && run.state !== 'cancelled') {
      const cancelled = await store.setRunState(db, storyId, run.runId, 'cancelled');
      this.#emit({ type: 'run', run: cancelled });
    }
  }

  #unpause(): void {
    const p = this.#active?.paused;
    if (!p || !this.#active) return;
    this.#active.paused = null;
    p.release();
  }

  #launch(run: GateRun): void {
    // A manual Generate asks what the run is drawing: it waits for that attempt, never for a pause.
    engineService.setRunReporter(() => {
      const a = this.#active;
      if (!a || a.paused || !a.drawing) return null;
      return a.drawing;
    });
    const controller = new AbortController();
    const active: Active = {
      storyId: run.storyId,
      runId: run.runId,
      drawing: null,
      controller,
      paused: null,
      done: Promise.resolve(),
      waiting: false,
      losses: 0,
    };
    if (run.state === 'paused') void this.pause(run.storyId);
    this.#active = active;
    const work = async () => {
      let output: GateRunOutput | null = null;
      let error: string | null = null;
      try {
        output = await this.#withLock(active, () => this.#execute(active));
      } catch (e) {
        error = userMessage(e);
      } finally {
        if (this.#active === active) this.#active = null;
      }
      const db = await this.#db();
      const stored = await store.getRun(db, run.storyId).catch(() => null);
      if (stored) this.#emit({ type: 'run', run: stored });
      this.#emit({ type: 'finished', storyId: run.storyId, output, error });
    };
    active.done = work();
  }

  /**
   * One tab runs the gate at a time (the GPU is one, and two tabs would write the same attempts).
   * A tab that finds the lock held waits for it: when the running tab closes, the browser hands the
   * lock to one waiting tab, which resumes the stored run — only if it is still running (the other
   * tab may have finished it, or the artist paused or cancelled it there).
   */
  async #withLock<T>(active: Active, work: () => Promise<T | null>): Promise<T | null> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks) return work();
    const now = await locks.request(LOCK, { ifAvailable: true }, async (lock) =>
      lock ? { value: await work() } : null,
    );
    if (now) return now.value;
    active.waiting = true;
    this.#emit({ type: 'waiting', storyId: active.storyId });
    try {
      return await locks.request(LOCK, { signal: active.controller.signal }, async () => {
        active.waiting = false;
        const run = await store.getRun(await this.#db(), active.storyId);
        if (!run || run.runId !== active.runId || run.state !== 'running') return null;
        this.#emit({ type: 'took-over', storyId: active.storyId });
        return work();
      });
    } catch (e) {
      // Cancelled while waiting: the other tab's run is left alone.
      if (active.controller.signal.aborted) return null;
      throw e;
    } finally {
      active.waiting = false;
    }
  }

  async #execute(active: Active): Promise<GateRunOutput | null> {
    for (;;) {
      const job = await this.#job(active);
      if (!job) return null;
      const client = await engineService.engineClient();
      try {
        return await client.gate(job, this.#host(active, job), { signal: active.controller.signal });
      } catch (e) {
        const code = (e as { code?: string }).code ?? '';
        if (active.controller.signal.aborted || code === 'cancelled') return null;
        // The worker died or lost its GPU: a fresh worker retries the attempt that was cut short.
        if (code !== 'device-lost' && code !== 'stopped') throw e;
        client.terminate('The engine is being restarted.', 'stopped');
        const sentences = lossSentences(code);
        active.losses++;
        if (active.losses >= MAX_LOSSES_PER_ATTEMPT) {
          // Lost again before the retried attempt was stored: the artist decides when to go on.
          const run = await store.setRunState(await this.#db(), active.storyId, active.runId, 'paused');
          this.#emit({ type: 'run', run });
          this.#emit({ type: 'halted', storyId: active.storyId, message: sentences.halt });
          return null;
        }
        this.#emit({ type: 'respawn', storyId: active.storyId, message: sentences.retry });
      }
    }
  }

  /** The worker's job for the run's unfinished panels, from the stored record. */
  async #job(active: Active): Promise<GateRunJob | null> {
    const db = await this.#db();
    const run = await store.getRun(db, active.storyId);
    if (!run || run.runId !== active.runId) return null;
    const found = await libraryService.getStory(run.storyId);
    if (!found)
      throw new StoryLoomError('not-found', 'This story is not in the library (it may have been deleted).');
    const panels = new Map(found.panels.map((p) => [p.id, p]));
    const items: GateRunJob['items'] = [];
    for (const item of run.items) {
      if (item.status !== 'pending' && item.status !== 'running') continue;
      const panel = panels.get(item.panelId);
      if (!panel) {
        await store.finishRunPanel(db, run.storyId, run.runId, {
          panelId: item.panelId,
          status: 'failed',
          bestAttemptId: null,
          attempts: 0,
          error: 'This panel was deleted from the story.',
        });
        continue;
      }
      items.push({ panel, initialPlan: item.initialPlan });
    }
    if (items.length === 0) return null;
    const characters = new Map<string, Character>();
    for (const p of items)
      for (const m of p.panel.cast) {
        if (characters.has(m.characterId)) continue;
        const c = await libraryService.getCharacter(m.characterId);
        if (c) characters.set(c.id, c);
      }
    const { pack, overrides } = await engineService.drawingPacks();
    const packs = [...overrides, pack];
    const unet = unetOf(packs);
    if (!unet)
      throw new StoryLoomError('invalid-input', `${pack.title} has no UNet with scheduler settings.`);
    const settings = await store.getSettings(db);
    const encoder = hasRole(packs, 'vae-encoder');
    return {
      runId: run.runId,
      pack,
      overrides,
      width: unet.width,
      height: unet.height,
      maxSteps: unet.maxSteps,
      story: { id: found.story.id, style: found.story.style },
      characters: [...characters.values()],
      items,
      budget: { ...settings.budget },
      capabilities: { localEdit: encoder, referenceGuided: encoder },
      editStrength: GATE_EDIT_STRENGTH,
    };
  }

  #host(active: Active, job: GateRunJob): GateHost {
    const { storyId, runId } = active;
    const characters = new Map(job.characters.map((c) => [c.id, c]));
    return {
      prepare: async (panelId): Promise<GatePanelContext> => {
        const db = await this.#db();
        const found = await libraryService.getStory(storyId);
        const panel = found?.panels.find((p) => p.id === panelId);
        if (!found || !panel) throw new StoryLoomError('not-found', 'This panel was deleted from the story.');
        const all = await store.listAttemptsForPanel(db, panelId);
        const base = await store.startRunPanel(db, storyId, runId, panelId, all.length);
        const judge = await judgeSpecFor(db, { story: found.story, panel, characters, pack: job.pack });
        return {
          base,
          persisted: all.filter((a) => a.index >= base),
          judge,
          figures: await engineService.figures(panel, characters),
        };
      },
      image: (imageId) => this.image(imageId),
      persist: async (attempt, blob) => {
        const db = await this.#db();
        // The worker's clock is performance.now(); the record keeps wall-clock time.
        const createdAt = attempt.createdAt > 1e12 ? attempt.createdAt : Date.now();
        const image: ImageRecord | undefined =
          blob && attempt.imageId
            ? {
                id: attempt.imageId,
                blob,
                mime: 'image/png',
                width: attempt.parameters.width,
                height: attempt.parameters.height,
                bytes: blob.size,
                createdAt,
              }
            : undefined;
        // Resolves after the commit: the worker starts the next attempt only then.
        const saved = await store.saveAttempt(db, { ...attempt, createdAt }, image);
        active.losses = 0;
        libraryService.changed('attempt', saved.panelId);
        this.#emit({ type: 'saved', attempt: saved });
      },
      panelDone: async (result) => {
        const db = await this.#db();
        const { run } = await store.finishRunPanel(db, storyId, runId, result);
        libraryService.changed('panel', result.panelId);
        libraryService.changed('run', storyId);
        this.#emit({ type: 'run', run });
      },
      barrier: async () => {
        // An attempt boundary: a pause holds here, and so does a manual attempt being drawn.
        const held = performance.now();
        const p = active.paused;
        if (p) await p.wait;
        await engineService.manualTurn();
        // The artist may have cancelled this run from another tab (one waiting to take it over).
        const stored = await store.getRun(await this.#db(), storyId);
        if (!stored || stored.runId !== runId || stored.state === 'cancelled') active.controller.abort();
        return performance.now() - held;
      },
      event: (e) => {
        if (e.type === 'attempt')
          active.drawing = `its current attempt (attempt ${e.attempt + 1} of a panel)`;
        else if (e.type === 'judged') active.drawing = null;
        this.#emit(e);
      },
    };
  }
}

export const gateService = new GateService();
export { EngineClientError };
