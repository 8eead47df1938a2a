import { userMessage } from '../domain';
import { isSystemError, notices } from './notices.svelte';

/**
 * The busy flag and the two messages every editing form has, and the one way a form action runs:
 * one at a time, messages cleared first, failures routed — input problems stay by the form,
 * storage trouble (quota, stale tab…) goes to the shell's one message area.
 */
export class FormStatus {
  #busy = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);

  get busy(): boolean {
    return this.#busy;
  }
  /** The sentence for the last thing that went wrong with this form, or null. */
  get error(): string | null {
    return this.#error;
  }
  get status(): string | null {
    return this.#status;
  }
  set status(message: string | null) {
    this.#status = message;
  }

  /** Runs `action` unless another is running; resolves to undefined when refused or failed. */
  async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (this.#busy) return undefined;
    this.#busy = true;
    this.clearMessages();
    try {
      return await action();
    } catch (e) {
      this.fail(e);
      return undefined;
    } finally {
      this.#busy = false;
    }
  }

  fail(e: unknown): void {
    this.#status = null;
    if (isSystemError(e)) {
      this.#error = null;
      notices.report(e);
      return;
    }
    this.#error = userMessage(e);
  }

  clearMessages(): void {
    this.#error = null;
    this.#status = null;
  }

  dismissError(): void {
    this.#error = null;
  }

  reset(): void {
    this.#busy = false;
    this.clearMessages();
  }
}
