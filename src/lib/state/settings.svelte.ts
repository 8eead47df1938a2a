import { libraryService } from '../services/library.service';
import { modelsService } from '../services/models.service';
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
  #drawingSize = $state<{ width: number; height: number } | null>(null);
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
  /** The size the active pack draws at (null until known, or without a pack). */
  get drawingSize(): { width: number; height: number } | null {
    return this.#drawingSize;
  }
  /** Panel aspect ratio (width / height) for region editors: the active pack's drawing size. */
  get aspect(): number {
    const size = this.#drawingSize;
    return size && size.width > 0 && size.height > 0 ? size.width / size.height : 1;
  }

  async load(): Promise<void> {
    try {
      const [s, size] = await Promise.all([
        libraryService.getSettings(),
        modelsService.drawingSize().catch(() => null),
      ]);
      this.#drawingSize = size;
      this.#saved = s;
      this.#draft = structuredClone(s);
      this.#loaded = true;
    } catch (e) {
      notices.report(e);
    }
  }

  /** Read the active pack's drawing size again (the artist may have installed or switched one). */
  async refreshDrawingSize(): Promise<void> {
    this.#drawingSize = await modelsService.drawingSize().catch(() => null);
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
