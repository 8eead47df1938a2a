/**
 * Does the disk take `bytes` more? Asked by writing a probe file of that size into the origin's
 * private file system and deleting it. OPFS lives on the same disk as IndexedDB and the packs, and on
 * a full disk it refuses with a QuotaExceededError, while other storage calls fail with errors that
 * name no cause (Chromium 156: InvalidStateError from a pack file, "Unexpected internal error" from the
 * Cache API). Throws what the disk said; resolves when the bytes fit or when there is no OPFS to ask.
 */
const PROBE_FILE = 'storyloom-room.probe';

let inFlight: Promise<void> | null = null;

/** Probes that start together share one (one probe file at a time). */
export function probeRoom(bytes: number): Promise<void> {
  inFlight ??= writeProbe(bytes).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function writeProbe(bytes: number): Promise<void> {
  const storage = (globalThis as { navigator?: Navigator }).navigator?.storage;
  // No OPFS here (Node, some private windows): nothing to measure with.
  if (typeof storage?.getDirectory !== 'function') return;
  let root: FileSystemDirectoryHandle;
  try {
    root = await storage.getDirectory();
  } catch {
    return;
  }
  try {
    const handle = await root.getFileHandle(PROBE_FILE, { create: true });
    const writable = await handle.createWritable({ keepExistingData: false });
    try {
      await writable.write(new Uint8Array(bytes).fill(0xa5));
      await writable.close();
    } catch (e) {
      await writable.abort().catch(() => undefined);
      throw e;
    }
  } finally {
    await root.removeEntry(PROBE_FILE).catch(() => undefined);
  }
}

/** True when the disk is known to be full; false when it took the bytes or could not be asked. */
export async function diskIsFull(bytes: number, isFull: (e: unknown) => boolean): Promise<boolean> {
  try {
    await probeRoom(bytes);
    return false;
  } catch (e) {
    return isFull(e);
  }
}
