import { libraryService } from '../services/library.service';
import { library } from './library.svelte';
import { notices } from './notices.svelte';
import { settings } from './settings.svelte';
import { storage } from './storage.svelte';

/** Opening the library and listening to what happens to it from outside this tab. */
class Studio {
  #ready = $state(false);
  #failed = $state(false);
  #unsubscribe: (() => void) | null = null;

  get ready(): boolean {
    return this.#ready;
  }
  get failed(): boolean {
    return this.#failed;
  }

  async start(): Promise<void> {
    if (this.#ready || this.#unsubscribe) return;
    this.#unsubscribe = libraryService.onEvent((event) => {
      if (event.type === 'changed') {
        library.changed(event.kind);
        if (event.kind === 'settings') void settings.load();
      } else if (event.type === 'stale-tab') notices.markStale(event.message);
      else notices.warn(event.message);
    });
    try {
      await libraryService.open();
      this.#ready = true;
      void settings.load();
      void storage.refresh();
    } catch (e) {
      this.#failed = true;
      notices.report(e);
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  reset(): void {
    this.stop();
    this.#ready = false;
    this.#failed = false;
  }
}

export const studio = new Studio();
