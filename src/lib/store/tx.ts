/**
 * One way to run a transaction: all of `work` or nothing. `work` may await only IDB requests.
 * Any failure aborts the transaction and surfaces as one StoryLoomError. A write waits until the disk
 * is known to have room (room.ts).
 */
import type { IDBPTransaction } from 'idb';
import type { StoryLoomDB } from './db';
import { toStorageError } from './errors';
import { ensureRoom } from './room';
import type { StorageAction } from './errors';
import type { StoreName } from './names';
import type { StoryLoomSchema } from './schema';

export type Tx<S extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<StoryLoomSchema, S, M>;

/**
 * Transactions start in the order they were asked for, as they did before writes waited for the room
 * check: IndexedDB runs overlapping transactions in creation order, and callers rely on it (a read
 * asked for after a save must see the save). So every transaction, read or write, takes its turn in
 * one queue; a read waits only for the room checks of writes asked for before it.
 */
let queue: Promise<unknown> = Promise.resolve();

function turn(mode: IDBTransactionMode): Promise<void> {
  const mine = queue.then(() => (mode === 'readwrite' ? ensureRoom() : undefined));
  queue = mine.catch(() => undefined);
  return mine;
}

export async function inTransaction<const S extends StoreName[], M extends IDBTransactionMode, T>(
  db: StoryLoomDB,
  stores: S,
  mode: M,
  action: StorageAction,
  work: (tx: Tx<S, M>) => Promise<T>,
): Promise<T> {
  // Before the transaction: it must await only IDB. A full disk must never meet a LevelDB write.
  await turn(mode);
  let tx: Tx<S, M>;
  try {
    tx = db.transaction(stores, mode);
  } catch (e) {
    throw toStorageError(e, action);
  }
  // The failure is reported once, below; this keeps the second copy from being "unhandled".
  tx.done.catch(() => undefined);
  try {
    const result = await work(tx);
    await tx.done;
    return result;
  } catch (e) {
    abortQuietly(tx);
    throw toStorageError(reasonOf(e, tx), action);
  }
}

/** Chrome reports a full disk as an AbortError on the request; the transaction's error says why. */
function reasonOf(e: unknown, tx: { error: DOMException | null }): unknown {
  const name = (e as { name?: string } | null)?.name;
  return name === 'AbortError' && tx.error ? tx.error : e;
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // Already finished or aborted.
  }
}
