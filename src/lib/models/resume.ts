/**
 * The life of one file of a pack, as a pure state machine. The downloader feeds it events;
 * the UI reads the state. Bytes are the bytes kept on disk in `<file>.part` (or the verified file).
 */
export type FileState =
  | { kind: 'missing' }
  | { kind: 'partial'; bytes: number } // found on disk after a reload; resumable
  | { kind: 'downloading'; bytes: number; resumedFrom: number }
  | { kind: 'paused'; bytes: number }
  | { kind: 'interrupted'; bytes: number; message: string } // network error: resume offered
  | { kind: 'verifying'; bytes: number }
  /** Made ready at install after it was verified (e.g. widened to fp32); `done` bytes of the source read. */
  | { kind: 'preparing'; bytes: number; done: number }
  | { kind: 'verified'; bytes: number }
  /** An optional file the Hub does not have (HTTP 404): the pack is ready without its component. */
  | { kind: 'unavailable'; bytes: 0; message: string }
  | { kind: 'failed'; bytes: number; message: string }; // bytes were rejected (and deleted when bad)

export type FileEvent =
  | { type: 'start'; offset: number }
  | { type: 'restart'; reason: string }
  | { type: 'chunk'; bytes: number }
  | { type: 'pause' }
  | { type: 'network-error'; message: string }
  | { type: 'received-all' }
  | { type: 'prepare'; done: number }
  | { type: 'verified' }
  | { type: 'unavailable'; message: string }
  | { type: 'rejected'; message: string; kept: number }
  | { type: 'deleted' };

const startable = new Set<FileState['kind']>([
  'missing',
  'partial',
  'paused',
  'interrupted',
  'failed',
  'unavailable',
]);

/** Unknown transitions leave the state unchanged: late events after a pause must not revive a file. */
export function nextFileState(state: FileState, event: FileEvent): FileState {
  switch (event.type) {
    case 'start':
      if (!startable.has(state.kind)) return state;
      return { kind: 'downloading', bytes: event.offset, resumedFrom: event.offset };
    case 'restart':
      return state.kind === 'downloading' ? { kind: 'downloading', bytes: 0, resumedFrom: 0 } : state;
    case 'chunk':
      return state.kind === 'downloading' ? { ...state, bytes: state.bytes + event.bytes } : state;
    case 'pause':
      return state.kind === 'downloading' ? { kind: 'paused', bytes: state.bytes } : state;
    case 'network-error':
      return state.kind === 'downloading'
        ? { kind: 'interrupted', bytes: state.bytes, message: event.message }
        : state;
    case 'received-all':
      return state.kind === 'downloading' ? { kind: 'verifying', bytes: state.bytes } : state;
    case 'prepare':
      return state.kind === 'verifying' || state.kind === 'preparing'
        ? { kind: 'preparing', bytes: state.bytes, done: event.done }
        : state;
    case 'verified':
      return state.kind === 'verifying' ||
        state.kind === 'preparing' ||
        state.kind === 'missing' ||
        state.kind === 'partial'
        ? { kind: 'verified', bytes: bytesOf(state) }
        : state;
    case 'unavailable':
      return state.kind === 'downloading' ? { kind: 'unavailable', bytes: 0, message: event.message } : state;
    case 'rejected':
      return { kind: 'failed', bytes: event.kept, message: event.message };
    case 'deleted':
      return { kind: 'missing' };
  }
}

export function bytesOf(state: FileState): number {
  return state.kind === 'missing' ? 0 : state.bytes;
}

/** Work done on a file for the pack's one bar: bytes received, plus bytes of the source prepared. */
export function workOf(state: FileState, size: number, prepares: boolean): number {
  const received = Math.min(size, bytesOf(state));
  if (!prepares) return received;
  if (state.kind === 'preparing') return received + Math.min(size, state.done);
  return state.kind === 'verified' ? 2 * size : received;
}

/** What the artist sees for a whole pack. `verified` is "ready": every required file is in. */
export type PackStatus =
  | { kind: 'not-downloaded' }
  | { kind: 'partial'; percent: number }
  | { kind: 'downloading'; percent: number }
  | { kind: 'paused'; percent: number }
  | { kind: 'interrupted'; percent: number; message: string }
  | { kind: 'verified'; missing: string[] }
  | { kind: 'failed'; message: string };

export interface StatusFile {
  label: string;
  size: number;
  state: FileState;
  optional?: boolean;
  /** The file is made ready at install after download (its bar counts twice its size). */
  prepares?: boolean;
}

const busy = (s: FileState) => s.kind === 'downloading' || s.kind === 'verifying' || s.kind === 'preparing';

export function packStatus(files: StatusFile[]): PackStatus {
  const total = files.reduce((s, f) => s + (f.prepares ? 2 : 1) * f.size, 0);
  const have = files.reduce((s, f) => s + workOf(f.state, f.size, f.prepares ?? false), 0);
  const percent = total > 0 ? Math.floor((have / total) * 100) : 0;
  const required = files.filter((f) => !f.optional);
  // An optional file that is missing from the Hub, or refused, leaves the pack ready without it.
  const failed = required.find((f) => f.state.kind === 'failed');
  if (failed && failed.state.kind === 'failed') return { kind: 'failed', message: failed.state.message };
  const settledOptional = (f: StatusFile) =>
    f.state.kind === 'verified' || f.state.kind === 'unavailable' || f.state.kind === 'failed';
  if (
    files.length > 0 &&
    !files.some((f) => busy(f.state)) &&
    required.every((f) => f.state.kind === 'verified') &&
    files.filter((f) => f.optional).every(settledOptional)
  )
    return {
      kind: 'verified',
      missing: files.filter((f) => f.optional && f.state.kind !== 'verified').map((f) => f.label),
    };
  if (files.some((f) => busy(f.state))) return { kind: 'downloading', percent };
  const interrupted = files.find((f) => f.state.kind === 'interrupted');
  if (interrupted && interrupted.state.kind === 'interrupted')
    return { kind: 'interrupted', percent, message: interrupted.state.message };
  if (files.some((f) => f.state.kind === 'paused')) return { kind: 'paused', percent };
  if (have > 0 || files.some((f) => f.state.kind === 'verified')) return { kind: 'partial', percent };
  return { kind: 'not-downloaded' };
}

/**
 * The one sentence owed to the artist when a run ends and the pack is not ready: the first fault that
 * is not an optional file the Hub does not publish (that one is named as left out once the pack is
 * ready), and how many more files have a problem. An optional file's other faults (the disk full, a
 * dropped connection) are said like a required one's: they stop the pack short all the same. Null
 * when there is nothing to say.
 */
export function faultSentence(
  files: { label: string; state: FileState }[],
  faults: { label: string | null; message: string }[],
): string | null {
  const said = faults.filter((f) => files.find((x) => x.label === f.label)?.state.kind !== 'unavailable');
  const first = said[0];
  if (!first) return null;
  const others = said.length - 1;
  const more =
    others === 0
      ? ''
      : others === 1
        ? ' (1 more file has the same problem.)'
        : ` (${others} more files have the same problem.)`;
  return `${first.message}${more}`;
}
