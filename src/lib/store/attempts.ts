/**
 * Attempts: every generation try of a panel, with its image, written together so a reload can
 * resume. Used by the generation service; the Library only deletes them with their story.
 */
import { Attempt, StoryLoomError, parseOrThrow } from '../domain';
import type { ImageRecord } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew, migrateAttempt } from './migrations';
import { INDEX, STORE } from './names';
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

/** Save an attempt and (optionally) its image in one transaction; the panel must exist. */
export async function saveAttempt(db: StoryLoomDB, input: Attempt, image?: ImageRecord): Promise<Attempt> {
  const attempt = parseOrThrow(Attempt, input, 'attempt');
  if (image && attempt.imageId !== image.id) {
    throw new StoryLoomError(
      'invalid-input',
      `The attempt refers to image ${attempt.imageId ?? 'none'} but image ${image.id} was given; they must match.`,
    );
  }
  return inTransaction(db, [STORE.attempts, STORE.images, STORE.panels], 'readwrite', 'save', async (tx) => {
    if ((await tx.objectStore(STORE.panels).count(attempt.panelId)) === 0) {
      throw new StoryLoomError(
        'not-found',
        `There is no panel with id ${attempt.panelId}; it may have been deleted, so its attempt was not saved.`,
      );
    }
    if (image) await tx.objectStore(STORE.images).put(image);
    await tx.objectStore(STORE.attempts).put(attempt);
    return attempt;
  });
}
