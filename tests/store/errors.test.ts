import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoryLoomError } from '../../src/lib/domain';
import { QUOTA_MESSAGE, isQuotaError, toStorageError } from '../../src/lib/store';
import type { LibraryServiceImpl } from '../../src/lib/services/library.service';
import { character, storyWithPanels, testService } from './helpers';

const services: LibraryServiceImpl[] = [];
function service() {
  const s = testService();
  services.push(s);
  return s;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const s of services.splice(0)) s.close();
});

const dom = (name: string, message = name) => new DOMException(message, name);
const withError = (outer: Error, inner: unknown) => Object.assign(outer, { error: inner });

describe('toStorageError', () => {
  it.each([
    ['QuotaExceededError', dom('QuotaExceededError')],
    [
      "Chrome's AbortError whose error is a QuotaExceededError",
      withError(dom('AbortError'), dom('QuotaExceededError')),
    ],
    ['a bare AbortError the browser raised (disk full)', dom('AbortError', 'The transaction was aborted.')],
    ['UnknownError mentioning the disk', dom('UnknownError', 'Internal error: disk is full')],
  ])('maps %s to quota-exceeded with the one sentence', (_label, e) => {
    expect(isQuotaError(e)).toBe(true);
    const mapped = toStorageError(e, 'save');
    expect(mapped).toBeInstanceOf(StoryLoomError);
    expect(mapped.code).toBe('quota-exceeded');
    expect(mapped.message).toBe(QUOTA_MESSAGE);
    expect(mapped.cause).toBe(e);
  });

  it.each([
    ['ConstraintError', dom('ConstraintError', 'Key already exists')],
    ['DataCloneError', dom('DataCloneError', 'could not be cloned')],
    ['an AbortError caused by a ConstraintError', withError(dom('AbortError'), dom('ConstraintError'))],
    ['a TypeError', new TypeError('bad')],
  ])('maps %s to storage-failed with a sentence', (_label, e) => {
    const mapped = toStorageError(e, 'save');
    expect(mapped.code).toBe('storage-failed');
    expect(mapped.message).toMatch(
      /^StoryLoom could not save this in this browser's storage \(.+\)\. Nothing already saved was changed\./,
    );
  });

  it('passes a StoryLoomError through unchanged', () => {
    const original = new StoryLoomError('not-found', 'gone');
    expect(toStorageError(original, 'read')).toBe(original);
  });
});

describe('a write that fails inside its transaction', () => {
  it('quota on the 2nd put of a story save: quota-exceeded, and the previous story and panels are intact', async () => {
    const s = service();
    const { story, panels } = storyWithPanels('The Lantern', [[], [], []]);
    await s.saveStoryWithPanels(story, panels);
    const before = await s.getStory(story.id);

    failNthPut(2, () => dom('QuotaExceededError', 'The quota has been exceeded.'));
    const changed = panels.map((p) => ({ ...p, caption: 'changed' }));
    const error = await s
      .saveStoryWithPanels({ ...story, title: 'Changed' }, changed)
      .catch((e: unknown) => e);
    vi.restoreAllMocks();

    expect((error as StoryLoomError).code).toBe('quota-exceeded');
    expect((error as StoryLoomError).message).toBe(QUOTA_MESSAGE);
    expect(await s.getStory(story.id)).toEqual(before);
    expect((await s.listAll('story')).map((r) => r.title)).toEqual(['The Lantern']);
  });

  it("Chrome's variant (the browser aborts the transaction mid-write) is also quota-exceeded, nothing changed", async () => {
    const s = service();
    const saved = await s.saveCharacter(character('Mira', { hair: 'silver' }));
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
      const request = realPut.apply(this, args);
      this.transaction.abort(); // what Chrome does when the disk fills during the commit
      return request;
    });
    const error = await s.saveCharacter({ ...saved, hair: 'gold' }).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect((error as StoryLoomError).code).toBe('quota-exceeded');
    expect((await s.getCharacter(saved.id))?.hair).toBe('silver');
  });

  it('any other IDB failure becomes storage-failed and leaves the record intact', async () => {
    const s = service();
    const saved = await s.saveCharacter(character('Mira', { hair: 'silver' }));
    failNthPut(1, () => dom('UnknownError', 'Internal error opening backing store'));
    const error = await s.saveCharacter({ ...saved, hair: 'gold' }).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect((error as StoryLoomError).code).toBe('storage-failed');
    expect((error as StoryLoomError).message).toMatch(/UnknownError: Internal error opening backing store/);
    expect((await s.getCharacter(saved.id))?.hair).toBe('silver');
  });
});

/** Make the n-th IDBObjectStore.put (1-based) throw, as a browser does when it refuses a write. */
function failNthPut(n: number, makeError: () => Error): void {
  const realPut = IDBObjectStore.prototype.put;
  let calls = 0;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
    calls += 1;
    if (calls === n) throw makeError();
    return realPut.apply(this, args);
  });
}
