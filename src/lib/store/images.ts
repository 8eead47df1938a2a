/** Images: Blobs in their own store, referenced by id from characters, stories and attempts. */
import type { ImageRecord } from '../domain';
import type { StoryLoomDB } from './db';
import { STORE } from './names';
import { inTransaction } from './tx';

export async function getImage(db: StoryLoomDB, id: string): Promise<ImageRecord | undefined> {
  return inTransaction(db, [STORE.images], 'readonly', 'read', (tx) => tx.objectStore(STORE.images).get(id));
}

export async function putImage(db: StoryLoomDB, image: ImageRecord): Promise<ImageRecord> {
  await inTransaction(db, [STORE.images], 'readwrite', 'save', (tx) =>
    tx.objectStore(STORE.images).put(image),
  );
  return image;
}
