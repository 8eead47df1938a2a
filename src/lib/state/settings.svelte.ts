import { libraryService } from '../services/library.service';
import { defaultSettings } from '../domain';
import type { Settings } from '../domain';
import { notices } from './notices.svelte';
import { FormStatus } from './form-status.svelte';

export type Theme = Settings['theme'];

/** Generation defaults, gate budget and theme. */
class SettingsState {
  #saved = $state<Settings>(defaultSettings());
  #draft = $state<Settings>(defaultSettings());
  #loaded = $state(false);
  #form = new FormStatus();

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
    return this.#form.busy;
  }
  get error(): string | null {
    return this.#form.error;
  }
  get status(): string | null {
    return this.#form.status;
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
    this.#form.clearMessages();
  }

  async save(): Promise<boolean> {
    const saved = await this.#form.run(async () => {
      const saved = await libraryService.saveSettings($state.snapshot(this.#draft) as Settings);
      this.#saved = saved;
      this.#draft = structuredClone(saved);
      this.#form.status = 'Settings saved.';
      return true;
    });
    return saved === true;
  }

  reset(): void {
    this.#saved = defaultSettings();
    this.#draft = defaultSettings();
    this.#loaded = false;
    this.#form.reset();
  }
}

export const settings = new SettingsState();
