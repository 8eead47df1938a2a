/**
 * What a full disk looks like when it reaches us. Seen in Chromium 156 with the profile on a full
 * filesystem (tests/e2e/diskfull.spec.ts):
 *   - OPFS writes, and opening IndexedDB: `QuotaExceededError` ("Encountered full disk while opening
 *     backing store for indexedDB.open.");
 *   - an IndexedDB commit: `UnknownError` "… IO error: …/000003.log: FILE_ERROR_NO_SPACE …";
 *   - an IndexedDB picture (a Blob): `DataError` "Failed to write blobs (IOError)".
 * It may arrive as a DOMException, as its QuotaExceededError subclass, or as a plain `{ name, message }`
 * after crossing a worker boundary, so only the name and the message are read.
 * Not counted: the Cache API's bare "Unexpected internal error." (it says nothing about space).
 */
interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
}

export function isDiskFullError(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  const { name, message, code } = e as ErrorShape;
  if (name === 'QuotaExceededError') return true;
  // The legacy code, for DOMExceptions whose name a wrapper lost.
  if (code === 22 && (name === undefined || name === 'Error')) return true;
  const text = typeof message === 'string' ? message : '';
  if (name === 'DataError') return /failed to write blobs/i.test(text);
  if (name === 'UnknownError') return /quota|disk|space/i.test(text);
  return /FILE_ERROR_NO_SPACE|ENOSPC|no space left on device/i.test(text);
}
