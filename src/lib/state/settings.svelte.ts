import { libraryService } from '../services/library.service';
import { defaultSettings, userMessage } from '../domain';
import type { Settings } from '../domain';
import { isSystemError, notices } from './notices.svelte';

export type Theme = Settings['theme'];

/** Generation defaults, gate budget and theme. */
class SettingsState {
  #saved = $state<Settings>(defaultSettings());
  #draft = $state<Settings>(defaultSettings());
  #loaded = $state(false);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);

  /** What is stored (the theme and panel aspect the app uses). */
  get current(): Settings {
    return this.#saved;
  }
  /** What the settings form edits. */
  get draft(): Settings {
    return this.#draft;
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
  /** Panel aspect ratio (width / height) for region editors. */
  get aspect(): number {
    const g = this.#saved.generation;
    return g.width > 0 && g.height > 0 ? g.width / g.height : 1;
  }

  async load(): Promise<void> {
    try {
      const s = await libraryService.getSettings();
      this.#saved = s;
      this.#draft = structuredClone(s);
      this.#loaded = true;
    } catch (e) {
      notices.report(e);
    }
  }

  /** Start the form again from what is stored. */
  edit(): void {
    this.#draft = structuredClone($state.snapshot(this.#saved) as Settings);
    this.#error = null;
    this.#status = null;
  }

  async save(): Promise<boolean> {
    if (this.#busy) return false;
    this.#busy = true;
    this.#error = null;
    this.#status = null;
    try {
      const saved = await libraryService.saveSettings($state.snapshot(this.#draft) as Settings);
      this.#saved = saved;
      this.#draft = structuredClone(saved);
      this.#status = 'Settings saved.';
      return true;
    } catch (e) {
      if (isSystemError(e)) notices.report(e);
      else this.#error = userMessage(e);
      return false;
    } finally {
      this.#busy = false;
    }
  }

  reset(): void {
    this.#saved = defaultSettings();
    this.#draft = defaultSettings();
    this.#loaded = false;
    this.#busy = false;
    this.#error = null;
    this.#status = null;
  }
}

export const settings = new SettingsState();
