/**
 * What a really full disk produces (seen in Chromium 156 with the profile on a full filesystem,
 * tests/e2e/diskfull.spec.ts) maps onto the one quota sentence, in the store and for model files;
 * and no write reaches IndexedDB while the disk has no headroom (a LevelDB write cut by a full disk
 * tears its log, and Chromium then deletes the whole database).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDiskFullError, StoryLoomError } from '../../src/lib/domain';
import { faults, isQuotaError as isModelQuotaError } from '../../src/lib/models/faults';
import {
  HEADROOM_BYTES,
  QUOTA_MESSAGE,
  isQuotaError,
  setRoomProbe,
  toStorageError,
} from '../../src/lib/store';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { character, storyWithPanels, testService } from './helpers';

const services: LibraryServiceImpl[] = [];
afterEach(() => {
  setRoomProbe(null);
  vi.restoreAllMocks();
  for (const s of services.splice(0)) s.close();
});
function service() {
  const s = testService();
  services.push(s);
  return s;
}

const dom = (name: string, message: string) => new DOMException(message, name);
/** The same failure after a worker boundary: a plain object. */
const plain = (name: string, message: string) => ({ name, message });

const FULL_DISK: [string, unknown][] = [
  [
    'IndexedDB commit: UnknownError with LevelDB FILE_ERROR_NO_SPACE',
    dom(
      'UnknownError',
      'Connection is closing because of: IO error: .../http_127.0.0.1_4273.indexeddb.leveldb/000003.log: FILE_ERROR_NO_SPACE (ChromeMethodBFE: 3::WritableFileAppend::8)',
    ),
  ],
  [
    'IndexedDB picture: DataError "Failed to write blobs (IOError)"',
    dom('DataError', 'Failed to write blobs (IOError)'),
  ],
  [
    'opening IndexedDB on a full disk',
    dom('QuotaExceededError', 'Encountered full disk while opening backing store for indexedDB.open.'),
  ],
  [
    'OPFS write',
    dom(
      'QuotaExceededError',
      'The operation failed because it would cause the application to exceed its storage quota.',
    ),
  ],
  ['a QuotaExceededError from a worker, as a plain object', plain('QuotaExceededError', 'no space')],
  ['a DataError from a worker, as a plain object', plain('DataError', 'Failed to write blobs (IOError)')],
  ['an Error whose message is ENOSPC', new Error('ENOSPC: no space left on device, write')],
];

const NOT_FULL: [string, unknown][] = [
  ['a DataError about a key', dom('DataError', 'The parameter is not a valid key.')],
  [
    "the Cache API's bare internal error",
    dom('UnknownError', "Failed to execute 'put' on 'Cache': Unexpected internal error."),
  ],
  [
    'an open that failed for another reason',
    dom('UnknownError', 'Internal error opening backing store for indexedDB.open.'),
  ],
  [
    'InvalidStateError',
    dom(
      'InvalidStateError',
      'An operation that depends on state cached in an interface object was made but the state had changed since it was read from disk.',
    ),
  ],
  ['a network TypeError', new TypeError('Failed to fetch')],
  ['null', null],
  ['a string', 'QuotaExceededError'],
];

describe('isDiskFullError, the store and the model files agree', () => {
  it.each(FULL_DISK)('%s is a full disk', (_label, e) => {
    expect(isDiskFullError(e)).toBe(true);
    expect(isQuotaError(e)).toBe(true);
    expect(isModelQuotaError(e)).toBe(true);
    const mapped = toStorageError(e, 'save');
    expect(mapped.code).toBe('quota-exceeded');
    expect(mapped.message).toBe(QUOTA_MESSAGE);
  });

  it.each(NOT_FULL)('%s is not', (_label, e) => {
    expect(isDiskFullError(e)).toBe(false);
    expect(isQuotaError(e)).toBe(false);
    expect(isModelQuotaError(e)).toBe(false);
  });

  it('a model file failure wrapped as the cause of another error still counts', () => {
    const wrapped = new Error('commit failed', { cause: plain('QuotaExceededError', 'full') });
    expect(isModelQuotaError(wrapped)).toBe(true);
    expect(isModelQuotaError(new StoryLoomError('quota-exceeded', QUOTA_MESSAGE))).toBe(true);
    expect(isModelQuotaError(new StoryLoomError('storage-failed', 'x'))).toBe(false);
  });

  it('the model sentence for a full disk is one sentence with what to do', () => {
    expect(faults.diskFull('unet/model.onnx', 2000).message).toBe(
      'The disk is full while saving unet/model.onnx (2.00 KB kept). Free space or delete a pack, then press Resume.',
    );
  });
});

describe('no write reaches IndexedDB without headroom', () => {
  it('a full disk refuses a story save before any put: the one sentence, the story as it was', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('The Lantern', [[], []]);
    await s.saveStoryWithPanels(story, panels);
    const before = await s.getStory(story.id);
    const asked: number[] = [];
    setRoomProbe(async (bytes) => {
      asked.push(bytes);
      throw dom(
        'QuotaExceededError',
        'The operation failed because it would cause the application to exceed its storage quota.',
      );
    });
    const put = vi.spyOn(IDBObjectStore.prototype, 'put');
    const error = await s
      .saveStoryWithPanels(
        { ...story, title: 'Changed' },
        panels.map((p) => ({ ...p, caption: 'changed' })),
      )
      .catch((e: unknown) => e);
    expect(put).not.toHaveBeenCalled();
    expect((error as StoryLoomError).code).toBe('quota-exceeded');
    expect((error as StoryLoomError).message).toBe(QUOTA_MESSAGE);
    expect(asked[0]).toBe(HEADROOM_BYTES);
    // Reads need no room.
    expect(await s.getStory(story.id)).toEqual(before);
  });

  it('with room again the same save goes in', async () => {
    const s = service();
    const saved = await s.saveCharacter(character('Mira', { hair: 'silver' }));
    let full = true;
    setRoomProbe(async () => {
      if (full) throw plain('QuotaExceededError', 'full');
    });
    await expect(s.saveCharacter({ ...saved, hair: 'gold' })).rejects.toMatchObject({
      code: 'quota-exceeded',
    });
    expect((await s.getCharacter(saved.id))?.hair).toBe('silver');
    full = false;
    await s.saveCharacter({ ...saved, hair: 'gold' });
    expect((await s.getCharacter(saved.id))?.hair).toBe('gold');
  });

  it('a read asked for after a save sees the save, however long the room check takes', async () => {
    const s = service();
    const saved = await s.saveCharacter(character('Mira', { hair: 'silver' }));
    setRoomProbe(() => new Promise((resolve) => setTimeout(resolve, 50)));
    // Not awaited: the read is asked for while the save still waits for its room check.
    const save = s.saveCharacter({ ...saved, hair: 'gold' });
    const read = s.getCharacter(saved.id);
    expect((await read)?.hair).toBe('gold');
    await save;
  });

  it('a probe that fails for another reason says nothing about space: the write goes ahead', async () => {
    const s = service();
    setRoomProbe(async () => {
      throw dom('SecurityError', 'OPFS is not allowed here');
    });
    const saved = await s.saveCharacter(character('Bo'));
    expect((await s.getCharacter(saved.id))?.name).toBe('Bo');
  });
});
