import { libraryService } from '../services/library.service';
import { modelsService } from '../services/models.service';
import { userMessage } from '../domain';
import { library } from './library.svelte';
import { notices } from './notices.svelte';
import { settings } from './settings.svelte';
import { storage } from './storage.svelte';
import { run } from './run.svelte';

/** Opening the library and listening to what happens to it from outside this tab. */
class Studio {
  #ready = $state(false);
  #failed = $state(false);
  #pack = $state<{ title: string | null; problem: string | null } | null>(null);
  #unsubscribe: (() => void) | null = null;

  /** The pack the studio draws with and whether it is ready here; null until checked. */
  get pack(): { title: string | null; problem: string | null } | null {
    return this.#pack;
  }

  /** Check the active pack (after the library shows: it probes the GPU and reads the model store). */
  async checkPack(): Promise<void> {
    try {
      const usable = await modelsService.usablePack('draw');
      this.#pack = { title: usable.pack.title, problem: null };
    } catch (e) {
      this.#pack = { title: null, problem: userMessage(e) };
    }
  }

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
        if (event.kind === 'character' || event.kind === 'story') library.changed(event.kind);
        else if (event.kind === 'settings') void settings.load();
        else run.remoteChange(event.kind, event.id);
      } else if (event.type === 'stale-tab') notices.markStale(event.message);
      else notices.warn(event.message);
    });
    try {
      await libraryService.open();
      this.#ready = true;
      void settings.load();
      void storage.refresh();
      void this.checkPack();
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
