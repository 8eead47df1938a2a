import { run } from './run.svelte';
import { engineService } from '../services/engine.service';
import type { MaskSpec } from '../services/engine.service';
import { userMessage } from '../domain';
import type { Panel, RegionBox, Story } from '../domain';

export interface EditPicture {
  /** The attempt this picture is: an edit always repaints the attempt the artist chose. */
  attemptId: string;
  attemptIndex: number;
  imageId: string;
  url: string;
  width: number;
  height: number;
}

export interface EditFacts {
  attemptId: string;
  crop: { x: number; y: number; width: number; height: number };
  feather: number;
  supportPixels: number;
  totalMs: number;
  generateMs: number;
  ortMs: number;
  backend: string;
}

type Expression = Panel['cast'][number]['expression'];

/** The local edit of the panel being inspected: the picture, the mask, before/after. */
class EditState {
  #panelId = $state<string | null>(null);
  /** The generated picture the current chain of edits started from. */
  #source: string | null = null;
  #base = $state.raw<EditPicture | null>(null);
  #before = $state<string | null>(null);
  #after = $state.raw<EditPicture | null>(null);
  #mask = $state.raw<MaskSpec>({ box: null, brush: null });
  #target = $state<string>('');
  #expression = $state<Expression | ''>('');
  #strength = $state(0.75);
  #seed = $state(1);
  #running = $state(false);
  #step = $state(0);
  #total = $state(0);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);
  #facts = $state.raw<EditFacts | null>(null);
  /** A box the brush should show as the mask (set by "Fix this"); a new object is a new request. */
  #preset = $state.raw<RegionBox | null>(null);
  #focusPending = $state(false);
  #controller: AbortController | null = null;
  #owned: string[] = [];

  get panelId() {
    return this.#panelId;
  }
  /** The picture the next edit starts from. */
  get base() {
    return this.#base;
  }
  get before() {
    return this.#before;
  }
  get after() {
    return this.#after;
  }
  get mask() {
    return this.#mask;
  }
  get hasMask(): boolean {
    return !!(this.#mask.box || this.#mask.brush);
  }
  get target() {
    return this.#target;
  }
  set target(v: string) {
    this.#target = v;
  }
  get expression() {
    return this.#expression;
  }
  set expression(v: Expression | '') {
    this.#expression = v;
  }
  get strength() {
    return this.#strength;
  }
  set strength(v: number) {
    this.#strength = Math.min(1, Math.max(0.05, v));
  }
  get seed() {
    return this.#seed;
  }
  set seed(v: number) {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) this.#seed = v;
  }
  get running() {
    return this.#running;
  }
  get step() {
    return this.#step;
  }
  get total() {
    return this.#total;
  }
  get error() {
    return this.#error;
  }
  get status() {
    return this.#status;
  }
  get facts() {
    return this.#facts;
  }
  get preset() {
    return this.#preset;
  }
  /** The edit panel should come into view and take the focus. */
  get focusPending() {
    return this.#focusPending;
  }
  focused(): void {
    this.#focusPending = false;
  }

  /** Start from a generated picture (a new generation replaces the base and clears the edit). */
  useBase(panelId: string, picture: EditPicture | null): void {
    if (this.#running) return;
    if (this.#panelId === panelId && this.#source === (picture?.imageId ?? null)) return;
    this.#start(panelId, picture);
  }

  /**
   * Redraw `box` of `picture` (the judged attempt, even when a chain of edits started elsewhere):
   * the box, snapped to whole pixels, becomes the mask, and the edit panel is brought into view.
   */
  fix(panelId: string, picture: EditPicture, box: RegionBox): void {
    if (this.#running) return;
    if (this.#panelId !== panelId || this.#base?.attemptId !== picture.attemptId)
      this.#start(panelId, picture);
    const { width: W, height: H } = picture;
    const x0 = Math.max(0, Math.floor(box.x * W));
    const y0 = Math.max(0, Math.floor(box.y * H));
    const x1 = Math.min(W, Math.max(x0 + 1, Math.ceil((box.x + box.w) * W)));
    const y1 = Math.min(H, Math.max(y0 + 1, Math.ceil((box.y + box.h) * H)));
    const snapped = { x: x0 / W, y: y0 / H, w: (x1 - x0) / W, h: (y1 - y0) / H };
    this.#mask = { box: snapped, brush: null };
    this.#preset = snapped;
    this.#error = null;
    this.#focusPending = true;
  }

  #start(panelId: string, picture: EditPicture | null): void {
    this.#panelId = panelId;
    this.#source = picture?.imageId ?? null;
    this.#base = picture;
    this.#before = null;
    this.#after = null;
    this.#facts = null;
    this.#status = null;
    this.#error = null;
    this.#mask = { box: null, brush: null };
    this.#preset = null;
  }

  /** The next local-edit panel to appear takes the focus (the review queue's "Edit region"). */
  requestFocus(): void {
    this.#focusPending = true;
  }

  /** The artist changed the mask with the brush. */

  setMask(mask: MaskSpec): void {
    this.#mask = mask;
    this.#preset = null;
  }

  async run(story: Story, panel: Panel): Promise<void> {
    const base = this.#base;
    if (this.#running || !base) return;
    if (!this.hasMask) {
      this.#error = 'Brush over the part to redraw, or drag a box around it, first.';
      return;
    }
    this.#running = true;
    this.#error = null;
    this.#status = null;
    this.#step = 0;
    this.#total = 0;
    const controller = new AbortController();
    this.#controller = controller;
    try {
      const target = this.#target;
      const expression = this.#expression;
      const result = await engineService.attempt(
        {
          story: $state.snapshot(story) as Story,
          panel: $state.snapshot(panel) as Panel,
          seed: this.#seed,
          edit: {
            attemptId: base.attemptId,
            mask: this.#mask,
            strength: this.#strength,
            ...(target && expression ? { expression: { characterId: target, expression } } : {}),
          },
          preview: 'none',
        },
        {
          signal: controller.signal,
          onProgress: (e) => {
            if (e.status === 'step') {
              this.#step = e.step;
              this.#total = e.total;
            }
          },
        },
      );
      const url = URL.createObjectURL(result.image);
      this.#owned.push(url);
      this.#before = base.url;
      const after: EditPicture = {
        attemptId: result.attempt.id,
        attemptIndex: result.attempt.index,
        imageId: result.attempt.imageId ?? '',
        url,
        width: result.attempt.parameters.width,
        height: result.attempt.parameters.height,
      };
      this.#after = after;
      // The next edit continues from the edited picture.
      this.#base = after;
      this.#mask = { box: null, brush: null };
      this.#preset = null;
      const editFacts = result.facts.edit;
      this.#facts = {
        attemptId: result.attempt.id,
        crop: editFacts?.crop ?? { x: 0, y: 0, width: 0, height: 0 },
        feather: editFacts?.feather ?? 0,
        supportPixels: editFacts?.supportPixels ?? 0,
        totalMs: result.attempt.timings.totalMs ?? 0,
        generateMs: result.attempt.timings.generateMs ?? 0,
        ortMs: result.attempt.timings.ortMs ?? 0,
        backend: result.facts.backend,
      };
      const verdict = result.attempt.report?.verdict;
      this.#status = `Edit of attempt ${base.attemptIndex + 1} saved as attempt ${result.attempt.index + 1} (seed ${result.attempt.seed})${
        verdict ? `; the judge says ${verdict === 'pass' ? 'it passes' : 'it fails'}` : ''
      }.`;
      if (result.judgeError) this.#error = `The judge could not check this edit: ${result.judgeError}`;
      run.remoteChange('attempt', result.attempt.panelId);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'cancelled' || code === 'stopped') this.#status = userMessage(e);
      else this.#error = userMessage(e);
    } finally {
      this.#running = false;
      this.#controller = null;
    }
  }

  cancel(): void {
    this.#controller?.abort();
  }

  reset(): void {
    this.cancel();
    for (const url of this.#owned) URL.revokeObjectURL(url);
    this.#owned = [];
    this.#panelId = null;
    this.#source = null;
    this.#base = null;
    this.#before = null;
    this.#after = null;
    this.#facts = null;
    this.#status = null;
    this.#error = null;
    this.#preset = null;
    this.#focusPending = false;
  }
}

export const edit = new EditState();
