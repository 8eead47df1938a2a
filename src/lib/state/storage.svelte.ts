import { libraryService } from '../services/library.service';
import { notices } from './notices.svelte';

/** Usage, quota and persistence of the browser storage that holds the library. */
class StorageState {
  #usage = $state(0);
  #quota = $state(0);
  #persisted = $state(false);
  #known = $state(false);
  #asking = $state(false);

  get usage(): number {
    return this.#usage;
  }
  get quota(): number {
    return this.#quota;
  }
  get persisted(): boolean {
    return this.#persisted;
  }
  get known(): boolean {
    return this.#known;
  }
  get asking(): boolean {
    return this.#asking;
  }
  /** 0..1, or 0 when the browser does not tell. */
  get fraction(): number {
    return this.#quota > 0 ? Math.min(1, this.#usage / this.#quota) : 0;
  }

  async refresh(): Promise<void> {
    try {
      const e = await libraryService.estimate();
      this.#usage = e.usage;
      this.#quota = e.quota;
      this.#persisted = e.persisted;
      this.#known = true;
    } catch (e) {
      notices.report(e);
    }
  }

  async requestPersistence(): Promise<void> {
    this.#asking = true;
    try {
      this.#persisted = await libraryService.requestPersistence();
      if (this.#persisted)
        notices.info('The browser will keep your StoryLoom data unless you remove it yourself.');
      else
        notices.warn(
          'The browser did not agree to keep your data permanently. It may clear it when the disk is nearly full; export stories you want to keep.',
        );
    } catch (e) {
      notices.report(e);
    } finally {
      this.#asking = false;
    }
  }

  reset(): void {
    this.#usage = 0;
    this.#quota = 0;
    this.#persisted = false;
    this.#known = false;
    this.#asking = false;
  }
}

export const storage = new StorageState();
