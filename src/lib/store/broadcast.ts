/**
 * Cross-tab change notices. Every successful write posts what changed; other tabs refresh that
 * one record. Missing BroadcastChannel (old browsers, some test environments) means one tab only.
 * `panel` (status, kept attempt), `attempt` (id: the panel's id) and `run` (id: the story's id)
 * come from the judge, the gate and manual attempts.
 */
export const CHANGE_KINDS = ['character', 'story', 'settings', 'panel', 'attempt', 'run'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeMessage {
  type: 'changed';
  kind: ChangeKind;
  id: string;
}

export class ChangeChannel {
  readonly #channel: BroadcastChannel | null;

  constructor(name: string, onMessage: (message: ChangeMessage) => void) {
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
    this.#channel?.addEventListener('message', (event: MessageEvent) => {
      if (isChangeMessage(event.data)) onMessage(event.data);
    });
  }

  post(kind: ChangeKind, id: string): void {
    const message: ChangeMessage = { type: 'changed', kind, id };
    this.#channel?.postMessage(message);
  }

  close(): void {
    this.#channel?.close();
  }
}

const KINDS: readonly string[] = CHANGE_KINDS;

export function isChangeMessage(data: unknown): data is ChangeMessage {
  const m = data as Partial<ChangeMessage> | null;
  return m?.type === 'changed' && typeof m.id === 'string' && KINDS.includes(String(m.kind));
}
