/**
 * Saves a while after the last change, one save at a time. A change during a save asks for one
 * more save once it ends, so the last edit is always written. Pure apart from the timers.
 */
export const AUTOSAVE_DELAY_MS = 1000;

export class Autosave {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  readonly #save: () => Promise<unknown>;
  readonly #delayMs: number;

  constructor(save: () => Promise<unknown>, delayMs = AUTOSAVE_DELAY_MS) {
    this.#save = save;
    this.#delayMs = delayMs;
  }

  /** A save is waiting for its delay or running. */
  get pending(): boolean {
    return this.#timer !== null || this.#running !== null;
  }

  /** Something changed: save `delayMs` after the last call. */
  schedule(): void {
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#delayMs);
  }

  /** Save now (or right after the save that is running); resolves when the latest change is written. */
  async flush(): Promise<void> {
    this.#clearTimer();
    if (this.#running) {
      // The running save loops once more, and that pass writes the latest change.
      this.#again = true;
      await this.#running;
      return;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#save();
        } while (this.#again);
      } finally {
        this.#running = null;
      }
    })();
    await this.#running;
  }

  /** Resolves once no save is running (a waiting one is not started). */
  async idle(): Promise<void> {
    await this.#running;
  }

  /** Drop a waiting save (the editor closed or the edits were discarded). */
  cancel(): void {
    this.#clearTimer();
    this.#again = false;
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
