import { reviewService } from '../services/review.service';
import { buildQueue, keyAfterChange, stepKey, userMessage } from '../domain';
import type { ReviewItem } from '../domain';
import { judge } from './judge.svelte';
import { run } from './run.svelte';
import { edit } from './edit.svelte';
import { storyEditor } from './story-editor.svelte';
import { router } from './router.svelte';

/**
 * The review queue: the panels that wait for the artist in one story (or the whole library), the
 * one on screen, and the artist's accept / reject / regenerate / edit on it. Decisions go through
 * the judge's state exactly as the story editor's Accept / Reject do.
 */
class ReviewState {
  /** The story of the queue; null: the whole library. */
  #storyId = $state<string | null>(null);
  #items = $state.raw<ReviewItem[]>([]);
  #key = $state<string | null>(null);
  #loaded = $state(false);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);
  #libraryCount = $state<number | null>(null);
  #title = $state('');
  #loads = 0;

  get storyId(): string | null {
    return this.#storyId;
  }
  /** The story's title (one story's queue). */
  get title(): string {
    return this.#title;
  }
  get items(): ReviewItem[] {
    return this.#items;
  }
  get current(): ReviewItem | null {
    return this.#items.find((x) => x.key === this.#key) ?? null;
  }
  /** 1-based place of the current panel in the queue (0 when the queue is empty). */
  get position(): number {
    return this.#items.findIndex((x) => x.key === this.#key) + 1;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get status(): string | null {
    return this.#status;
  }
  /** How many panels of the whole library need review (the library page's link); null until counted. */
  get libraryCount(): number | null {
    return this.#libraryCount;
  }
  /** The judge shows the current panel's attempt (its picture and report). */
  get showing(): boolean {
    const c = this.current;
    return !!c?.attempt && judge.panelId === c.panelId && judge.selected?.id === c.attempt.id;
  }
  /** The gate is drawing this panel again (after Regenerate). */
  regenerating(item: ReviewItem | null): boolean {
    if (!item || run.storyId !== item.storyId || !(run.active || run.unfinished)) return false;
    const status = run.run?.items.find((i) => i.panelId === item.panelId)?.status;
    return status === 'pending' || status === 'running';
  }

  async open(storyId: string | null): Promise<void> {
    this.#storyId = storyId;
    this.#key = null;
    this.#items = [];
    this.#title = '';
    this.#loaded = false;
    this.#error = null;
    this.#status = null;
    await this.refresh();
  }

  /** Read the queue again; the same panel stays on screen if it still needs review, else the next. */
  async refresh(): Promise<void> {
    const ticket = ++this.#loads;
    try {
      const sources = await reviewService.load(this.#storyId);
      if (ticket !== this.#loads) return;
      const items = buildQueue(sources);
      this.#title = this.#storyId ? (sources[0]?.story.title ?? '') : '';
      const before = this.#items;
      this.#items = items;
      this.#key = keyAfterChange(before, items, this.#key);
      if (this.#storyId === null) this.#libraryCount = items.length;
      this.#loaded = true;
      await this.#show();
    } catch (e) {
      if (ticket === this.#loads) {
        this.#error = userMessage(e);
        this.#loaded = true;
      }
    }
  }

  /** Count the library's panels that need review (the library page). */
  async countLibrary(): Promise<void> {
    try {
      this.#libraryCount = buildQueue(await reviewService.load(null)).length;
    } catch {
      this.#libraryCount = null; // the link is a convenience: without a count it is not shown
    }
  }

  next(): void {
    this.#go(1);
  }
  previous(): void {
    this.#go(-1);
  }

  async accept(): Promise<void> {
    await this.#decide('accept');
  }
  async reject(): Promise<void> {
    await this.#decide('reject');
  }

  /** "Regenerate": a one-panel gate run with a fresh seed, as in the editor; the queue moves on. */
  async regenerate(): Promise<void> {
    const c = this.current;
    if (!c || this.#busy || this.regenerating(c)) return;
    this.#busy = true;
    this.#error = null;
    try {
      await run.regenerate(c.storyId, c.panelId);
      if (run.error) {
        this.#error = run.error;
        return;
      }
      this.#status = `Regenerating panel ${c.panelNumber} of ${c.storyTitle}; it stays in the queue until the new picture is judged.`;
      this.#go(1);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * "Edit region": the story editor with this panel selected and the shown attempt under the
   * local-edit brush, which takes the focus. The editor keeps a selection it was given before opening.
   */
  async editRegion(): Promise<void> {
    const c = this.current;
    if (!c) return;
    storyEditor.select(c.panelId);
    // The editor opens this story's run state; loading it first keeps the brush's picture alive.
    if (run.storyId !== c.storyId) await run.open(c.storyId);
    if (c.attempt?.imageId) {
      await run.brush(c.panelId, c.attempt);
      edit.requestFocus();
    }
    router.go({ name: 'story', id: c.storyId });
  }

  dismissError(): void {
    this.#error = null;
  }

  reset(): void {
    this.#loads++;
    this.#storyId = null;
    this.#items = [];
    this.#key = null;
    this.#title = '';
    this.#loaded = false;
    this.#busy = false;
    this.#error = null;
    this.#status = null;
  }

  #go(by: -1 | 1): void {
    const key = stepKey(this.#items, this.#key, by);
    if (key === this.#key) return;
    this.#key = key;
    void this.#show();
  }

  async #decide(decision: 'accept' | 'reject'): Promise<void> {
    const c = this.current;
    if (!c?.attempt || this.#busy || this.regenerating(c)) return;
    if (!c.attempt.report) {
      this.#error = 'This attempt has no judge report to decide on; regenerate it or open it in the editor.';
      return;
    }
    this.#busy = true;
    this.#error = null;
    try {
      if (!this.showing) await judge.load(c.panelId, c.attempt.id);
      if (judge.selected?.id !== c.attempt.id) {
        this.#error = judge.error ?? 'The attempt could not be loaded; try again.';
        return;
      }
      // The editor's copy of the panel, when it holds this story, is kept in step as in the editor.
      await judge.decide(
        decision,
        storyEditor.panels.find((p) => p.id === c.panelId),
      );
      if (judge.error) {
        this.#error = judge.error;
        return;
      }
      const said = decision === 'accept' ? 'Accepted' : 'Rejected';
      this.#status = `${said} attempt ${c.attempt.index + 1} of panel ${c.panelNumber} (${c.storyTitle}).`;
      await this.refresh();
    } finally {
      this.#busy = false;
    }
  }

  /** Put the current panel's attempt in the judge (picture, report) and its story in the run state. */
  async #show(): Promise<void> {
    const c = this.current;
    if (!c) return;
    // Badges, thumbnails and Regenerate read the run state of the panel's story.
    if (run.storyId !== c.storyId && !run.active) void run.open(c.storyId);
    if (c.attempt && !this.showing) await judge.load(c.panelId, c.attempt.id);
  }
}

export const review = new ReviewState();
