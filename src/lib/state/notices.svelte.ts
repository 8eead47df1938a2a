import { isStoryLoomError, userMessage } from '../domain';

export type NoticeTone = 'error' | 'warning' | 'info';

export interface Notice {
  tone: NoticeTone;
  message: string;
}

/** Problems a form cannot fix belong here; problems with what was typed belong next to the form. */
const SYSTEM_CODES = new Set(['quota-exceeded', 'storage-failed', 'schema-too-new', 'stale-tab']);

export function isSystemError(e: unknown): boolean {
  return !isStoryLoomError(e) || SYSTEM_CODES.has(e.code);
}

/** The one message area of the shell. */
class Notices {
  #current = $state<Notice | null>(null);
  #stale = $state<string | null>(null);

  get current(): Notice | null {
    return this.#current;
  }

  /** Set when a newer StoryLoom opened the database: this tab must reload. */
  get stale(): string | null {
    return this.#stale;
  }

  report(e: unknown): void {
    if (isStoryLoomError(e) && e.code === 'stale-tab') {
      this.markStale(e.message);
      return;
    }
    this.#current = { tone: 'error', message: userMessage(e) };
  }

  warn(message: string): void {
    this.#current = { tone: 'warning', message };
  }

  info(message: string): void {
    this.#current = { tone: 'info', message };
  }

  markStale(message: string): void {
    this.#stale = message || 'StoryLoom was updated in another tab. Reload this tab to keep working.';
  }

  dismiss(): void {
    this.#current = null;
  }

  reset(): void {
    this.#current = null;
    this.#stale = null;
  }
}

export const notices = new Notices();
