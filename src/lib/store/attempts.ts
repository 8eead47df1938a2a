/**
 * Attempts: every generation try of a panel, with its image, written together so a reload can
 * resume. Used by the generation service; the Library only deletes them with their story.
 */
import { Attempt, StoryLoomError, nextPanelState, parseOrThrow } from '../domain';
import type { ImageRecord, PanelEvent } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew, migrateAttempt } from './migrations';
import { INDEX, STORE } from './names';
import { fromStoredPanel, toStoredPanel } from './records';
import { inTransaction } from './tx';

export async function getAttempt(db: StoryLoomDB, id: string): Promise<Attempt | undefined> {
  const stored = await inTransaction(db, [STORE.attempts], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.attempts).get(id),
  );
  return stored ? migrateAttempt(stored) : undefined;
}

/** A panel's attempts in the order they were made. */
export async function listAttemptsForPanel(db: StoryLoomDB, panelId: string): Promise<Attempt[]> {
  const stored = await inTransaction(db, [STORE.attempts], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.attempts).index(INDEX.attempts.panelId).getAll(panelId),
  );
  return stored
    .filter((a) => !isTooNew('attempt', a))
    .map(migrateAttempt)
    .sort((a, b) => a.index - b.index);
}

/**
 * Save an attempt and (optionally) its image in one transaction; the panel must exist. A manual
 * attempt moves its panel through the status machine in the same transaction (`panelEvent`);
 * the gate's attempts do not: the gate sets the panel's status when it finishes the panel.
 */
export async function saveAttempt(
  db: StoryLoomDB,
  input: Attempt,
  image?: ImageRecord,
  panelEvent?: PanelEvent,
): Promise<Attempt> {
  const attempt = parseOrThrow(Attempt, input, 'attempt');
  if (image && attempt.imageId !== image.id) {
    throw new StoryLoomError(
      'invalid-input',
      `The attempt refers to image ${attempt.imageId ?? 'none'} but image ${image.id} was given; they must match.`,
    );
  }
  return inTransaction(db, [STORE.attempts, STORE.images, STORE.panels], 'readwrite', 'save', async (tx) => {
    const stored = await tx.objectStore(STORE.panels).get(attempt.panelId);
    if (!stored) {
      throw new StoryLoomError(
        'not-found',
        `There is no panel with id ${attempt.panelId}; it may have been deleted, so its attempt was not saved.`,
      );
    }
    if (image) await tx.objectStore(STORE.images).put(image);
    await tx.objectStore(STORE.attempts).put(attempt);
    if (panelEvent) {
      const panel = fromStoredPanel(stored);
      const state = nextPanelState(panel, panelEvent);
      if (state.status !== panel.status || state.acceptedAttemptId !== panel.acceptedAttemptId)
        await tx
          .objectStore(STORE.panels)
          .put(toStoredPanel({ ...panel, ...state, updatedAt: attempt.createdAt }));
    }
    return attempt;
  });
}
