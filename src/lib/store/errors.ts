/**
 * Turns whatever IndexedDB throws into one StoryLoomError with a sentence a person can act on.
 */
import { StoryLoomError, isDiskFullError, isStoryLoomError } from '../domain';

export const QUOTA_MESSAGE =
  'Your browser has no room left to save this. Free some space (delete old stories or attempts, or models in Models) and try again. Nothing already saved was changed.';

export const STALE_TAB_MESSAGE =
  'StoryLoom was updated in another tab. Reload this tab to keep working; nothing you saved is lost.';

export const BLOCKED_MESSAGE =
  'StoryLoom needs to update its saved data, but an older StoryLoom tab is still open. Close or reload the other StoryLoom tabs to continue.';

export type StorageAction = 'save' | 'read' | 'delete' | 'open';

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  error?: unknown;
  cause?: unknown;
  inner?: unknown;
}

const nameOf = (e: unknown): string => String((e as ErrorLike | null)?.name ?? '');
const messageOf = (e: unknown): string => String((e as ErrorLike | null)?.message ?? '');

/**
 * Quota shows up in several costumes: a QuotaExceededError; Chrome's AbortError on the transaction
 * whose `error` (or cause) is the QuotaExceededError; a bare AbortError the browser raised on its own
 * when the disk itself is full; and what a really full disk gives (domain/disk-full.ts: LevelDB's
 * FILE_ERROR_NO_SPACE, blobs that could not be written). Our own aborts never reach here as
 * AbortError: the repositories rethrow the error that made them abort.
 */
export function isQuotaError(e: unknown): boolean {
  if (isStoryLoomError(e)) return e.code === 'quota-exceeded';
  const name = nameOf(e);
  if (name === 'AbortError') {
    const inner = (e as ErrorLike).error ?? (e as ErrorLike).cause ?? (e as ErrorLike).inner;
    if (inner) return isQuotaError(inner);
    return true;
  }
  return isDiskFullError(e);
}

const DOING: Record<StorageAction, string> = {
  save: 'save this',
  read: 'read your saved work',
  delete: 'delete this',
  open: 'open its saved data',
};

export function toStorageError(e: unknown, action: StorageAction): StoryLoomError {
  if (isStoryLoomError(e)) return e;
  if (isQuotaError(e)) return new StoryLoomError('quota-exceeded', QUOTA_MESSAGE, { cause: e });
  const detail = [nameOf(e), messageOf(e)].filter(Boolean).join(': ') || 'unknown error';
  const nothingChanged = action === 'read' || action === 'open' ? '' : ' Nothing already saved was changed.';
  return new StoryLoomError(
    'storage-failed',
    `StoryLoom could not ${DOING[action]} in this browser's storage (${detail}).${nothingChanged} Try again; if it keeps failing, reload the tab.`,
    { cause: e },
  );
}
