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
  | { kind: 'verified'; bytes: number }
  | { kind: 'failed'; bytes: number; message: string }; // bytes were rejected (and deleted when bad)

export type FileEvent =
  | { type: 'start'; offset: number }
  | { type: 'restart'; reason: string }
  | { type: 'chunk'; bytes: number }
  | { type: 'pause' }
  | { type: 'network-error'; message: string }
  | { type: 'received-all' }
  | { type: 'verified' }
  | { type: 'rejected'; message: string; kept: number }
  | { type: 'deleted' };

const startable = new Set<FileState['kind']>(['missing', 'partial', 'paused', 'interrupted', 'failed']);

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
    case 'verified':
      return state.kind === 'verifying' || state.kind === 'missing' || state.kind === 'partial'
        ? { kind: 'verified', bytes: bytesOf(state) }
        : state;
    case 'rejected':
      return { kind: 'failed', bytes: event.kept, message: event.message };
    case 'deleted':
      return { kind: 'missing' };
  }
}

export function bytesOf(state: FileState): number {
  return state.kind === 'missing' ? 0 : state.bytes;
}

/** What the artist sees for a whole pack. */
export type PackStatus =
  | { kind: 'not-downloaded' }
  | { kind: 'partial'; percent: number }
  | { kind: 'downloading'; percent: number }
  | { kind: 'paused'; percent: number }
  | { kind: 'interrupted'; percent: number; message: string }
  | { kind: 'verified' }
  | { kind: 'failed'; message: string };

export function packStatus(files: { size: number; state: FileState }[]): PackStatus {
  const total = files.reduce((s, f) => s + f.size, 0);
  const have = files.reduce((s, f) => s + Math.min(f.size, bytesOf(f.state)), 0);
  const percent = total > 0 ? Math.floor((have / total) * 100) : 0;
  const failed = files.find((f) => f.state.kind === 'failed');
  if (failed && failed.state.kind === 'failed') return { kind: 'failed', message: failed.state.message };
  if (files.length > 0 && files.every((f) => f.state.kind === 'verified')) return { kind: 'verified' };
  if (files.some((f) => f.state.kind === 'downloading' || f.state.kind === 'verifying'))
    return { kind: 'downloading', percent };
  const interrupted = files.find((f) => f.state.kind === 'interrupted');
  if (interrupted && interrupted.state.kind === 'interrupted')
    return { kind: 'interrupted', percent, message: interrupted.state.message };
  if (files.some((f) => f.state.kind === 'paused')) return { kind: 'paused', percent };
  if (have > 0 || files.some((f) => f.state.kind === 'verified')) return { kind: 'partial', percent };
  return { kind: 'not-downloaded' };
}
