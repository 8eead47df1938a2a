import { run } from './run.svelte';
import { engineService, type WorkerProgress } from '../services/engine.service';
import { needsModels, userMessage } from '../domain';
import type { Panel, Progress, Story } from '../domain';

export interface PreviewImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface LastRun {
  attemptId: string;
  /** The stored picture (the base of a local edit). */
  imageId: string | null;
  index: number;
  seed: number;
  backend: string;
  encoderRuns: number;
  encoderHits: number;
  latentReadbacks: number;
  totalMs: number;
  ortMs: number;
  ortRuns: number;
}

const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

/** The Generate action of the panel being edited: progress, live preview, result, cancel. */
class GenerateState {
  #seed = $state(randomSeed());
  #referenceStrength = $state(0);
  #running = $state(false);
  #phase = $state<'idle' | 'loading' | 'denoising' | 'judging' | 'saving'>('idle');
  #step = $state(0);
  #total = $state(0);
  #preview = $state.raw<PreviewImage | null>(null);
  #imageUrl = $state<string | null>(null);
  #error = $state<string | null>(null);
  #needsModels = $state(false);
  #status = $state<string | null>(null);
  #waiting = $state<string | null>(null);
  #progress = $state.raw<Progress>({ status: 'load', component: 'models', index: 0, total: 1 });
  #last = $state.raw<LastRun | null>(null);
  #panelId = $state<string | null>(null);
  #controller: AbortController | null = null;

  get seed(): number {
    return this.#seed;
  }
  set seed(value: number) {
    this.#seed = value;
  }
  /** 0: text only; above 0: image-to-image from the reference collage at this strength. */
  get referenceStrength(): number {
    return this.#referenceStrength;
  }
  set referenceStrength(value: number) {
    this.#referenceStrength = Math.min(1, Math.max(0, value));
  }
  get running(): boolean {
    return this.#running;
  }
  get phase(): string {
    return this.#phase;
  }
  get step(): number {
    return this.#step;
  }
  get total(): number {
    return this.#total;
  }
  get preview(): PreviewImage | null {
    return this.#preview;
  }
  get imageUrl(): string | null {
    return this.#imageUrl;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The error says a model pack must be installed first (the panel links to Models). */
  get needsModels(): boolean {
    return this.#needsModels;
  }
  get status(): string | null {
    return this.#status;
  }
  /** The last progress event of the attempt under way (one member of the studio's union). */
  get progress(): Progress {
    return this.#progress;
  }
  /** What this Generate waits for (the run's current attempt), or null. */
  get waiting(): string | null {
    return this.#waiting;
  }
  get last(): LastRun | null {
    return this.#last;
  }
  /** The panel the current result belongs to. */
  get panelId(): string | null {
    return this.#panelId;
  }

  newSeed(): void {
    this.#seed = randomSeed();
  }

  #onProgress = (e: WorkerProgress): void => {
    this.#progress = e;
    if (e.status === 'load') this.#phase = 'loading';
    else if (e.status === 'judge') this.#phase = 'judging';
    else {
      this.#phase = 'denoising';
      this.#step = e.step;
      this.#total = e.total;
      if (e.preview) this.#preview = e.preview;
    }
  };

  async generate(story: Story, panel: Panel, stored: boolean): Promise<void> {
    if (this.#running) return;
    if (!stored) {
      this.#error = 'Save the story before generating: attempts are stored with their panel.';
      return;
    }
    this.#running = true;
    this.#phase = 'loading';
    this.#progress = { status: 'load', component: 'models', index: 0, total: 1 };
    this.#step = 0;
    this.#total = 0;
    this.#error = null;
    this.#needsModels = false;
    this.#status = null;
    this.#preview = null;
    this.#panelId = panel.id;
    const controller = new AbortController();
    this.#controller = controller;
    const seed = this.#seed;
    try {
      const result = await engineService.attempt(
        {
          story: $state.snapshot(story) as Story,
          panel: $state.snapshot(panel) as Panel,
          seed,
          referenceStrength: this.#referenceStrength,
        },
        {
          signal: controller.signal,
          onProgress: this.#onProgress,
          onWait: (waiting) => (this.#waiting = waiting),
        },
      );
      this.#phase = 'saving';
      if (this.#imageUrl) URL.revokeObjectURL(this.#imageUrl);
      this.#imageUrl = URL.createObjectURL(result.image);
      this.#last = {
        attemptId: result.attempt.id,
        imageId: result.attempt.imageId,
        index: result.attempt.index,
        seed: result.attempt.seed,
        backend: result.facts.backend,
        encoderRuns: result.facts.encoderRuns,
        encoderHits: result.facts.encoderHits,
        latentReadbacks: result.facts.readbacks.latent,
        // Drawing alone: the judge's time is the attempt's judgeMs.
        totalMs: result.attempt.timings.generateMs ?? 0,
        ortMs: result.attempt.timings.ortMs ?? 0,
        ortRuns: result.facts.ortRuns,
      };
      this.#status = `Attempt ${result.attempt.index + 1} saved (seed ${seed}).`;
      run.remoteChange('attempt', result.attempt.panelId);
      if (result.judgeError) this.#error = `The judge could not check this panel: ${result.judgeError}`;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'cancelled' || code === 'stopped') this.#status = userMessage(e);
      else {
        this.#error = userMessage(e);
        this.#needsModels = needsModels(e);
      }
    } finally {
      this.#running = false;
      this.#phase = 'idle';
      this.#controller = null;
    }
  }

  /** Stop between steps; the worker is restarted if it does not stop in time. */
  cancel(): void {
    this.#controller?.abort();
  }

  dismissError(): void {
    this.#error = null;
  }

  reset(): void {
    this.cancel();
    if (this.#imageUrl) URL.revokeObjectURL(this.#imageUrl);
    this.#imageUrl = null;
    this.#preview = null;
    this.#last = null;
    this.#error = null;
    this.#status = null;
    this.#step = 0;
    this.#total = 0;
    this.#panelId = null;
  }
}

export const generate = new GenerateState();
