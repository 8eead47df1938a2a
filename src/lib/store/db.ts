/**
 * Opening the database: the ladder, and the three ways another tab or the browser can take the
 * connection away from us (a newer tab upgrading, an older tab blocking our upgrade, termination).
 */
import { openDB } from 'idb';
import type { IDBPDatabase } from 'idb';
import { StoryLoomError } from '../domain';
import { toStorageError } from './errors';
import { DB } from './names';
import type { StoryLoomSchema } from './schema';
import { upgradeRecords, upgradeStructure } from './upgrade';

export type StoryLoomDB = IDBPDatabase<StoryLoomSchema>;

export interface ConnectionEvents {
  /** Another tab wants a newer version: we have already closed; this tab must reload. */
  onStale?: () => void;
  /** Our upgrade waits for an older tab to close its connection. */
  onBlocked?: () => void;
  /** The browser closed the connection (storage cleared, disk error). */
  onTerminated?: () => void;
}

export async function openStoryLoomDB(
  name: string = DB.name,
  events: ConnectionEvents = {},
  version: number = DB.version,
): Promise<StoryLoomDB> {
  let ladderError: unknown;
  const failLadder = (e: unknown, abort: () => void) => {
    ladderError ??= e;
    try {
      abort();
    } catch {
      // Already aborted: the open request reports it.
    }
  };
  try {
    return await openDB<StoryLoomSchema>(name, version, {
      upgrade(db, oldVersion, newVersion, tx) {
        const abort = () => tx.abort();
        // A failed ladder is reported once, by the open request; this keeps tx.done quiet.
        tx.done.catch(() => undefined);
        try {
          upgradeStructure(db, tx, oldVersion);
        } catch (e) {
          failLadder(e, abort);
          return;
        }
        upgradeRecords(tx, oldVersion, newVersion ?? version).catch((e: unknown) => failLadder(e, abort));
      },
      blocked() {
        events.onBlocked?.();
      },
      blocking(_currentVersion, _blockedVersion, event) {
        // Close first so the other tab's upgrade can go ahead, then tell the person.
        (event.target as IDBDatabase).close();
        events.onStale?.();
      },
      terminated() {
        events.onTerminated?.();
      },
    });
  } catch (e) {
    throw openError(ladderError ?? e, version);
  }
}

function openError(e: unknown, version: number): StoryLoomError {
  if ((e as { name?: string } | null)?.name === 'VersionError') {
    return new StoryLoomError(
      'schema-too-new',
      `The StoryLoom data in this browser was saved by a newer version of StoryLoom (this version reads database version ${version} and older). Reload the page to get the newest StoryLoom; nothing was changed.`,
      { cause: e },
    );
  }
  return toStorageError(e, 'open');
}
