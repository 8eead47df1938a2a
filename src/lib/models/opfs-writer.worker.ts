/**
 * Writes `.part` files in OPFS through sync access handles: every chunk lands in the file
 * as it arrives (no swap file to commit), so a reload or a crash keeps what was received.
 * Sync access handles exist only in dedicated workers, hence this small worker.
 */
import type { WriterReply, WriterRequest } from './opfs-writer-protocol';

interface SyncAccessHandle {
  write(buffer: BufferSource, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

const open = new Map<string, SyncAccessHandle>();

async function fileHandle(path: string[]): Promise<SyncFileHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of path.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
  const name = path[path.length - 1];
  if (!name) throw new Error('empty path');
  return (await dir.getFileHandle(name, { create: true })) as SyncFileHandle;
}

function diskRefused(key: string, written: number, total: number): DOMException {
  return new DOMException(
    `The disk took ${written} of ${total} bytes for ${key}: there is no space left.`,
    'QuotaExceededError',
  );
}

async function handle(request: WriterRequest): Promise<WriterReply> {
  const key = request.path.join('/');
  switch (request.op) {
    case 'open': {
      open.get(key)?.close();
      const access = await (await fileHandle(request.path)).createSyncAccessHandle();
      if (request.truncate) access.truncate(0);
      open.set(key, access);
      return { id: request.id, ok: true, size: access.getSize() };
    }
    case 'write': {
      const access = open.get(key);
      if (!access) throw new Error(`${key} is not open`);
      const at = access.getSize();
      const data = new Uint8Array(request.data);
      let written = 0;
      while (written < data.byteLength) {
        const n = access.write(data.subarray(written), { at: at + written });
        // Chromium 156 does not throw on a full disk: it returns base::File's error as an unsigned
        // count (2^32 - 8 for FILE_ERROR_NO_SPACE). Nothing, or more than was given, is a refusal.
        if (!(n > 0 && n <= data.byteLength - written)) throw diskRefused(key, written, data.byteLength);
        written += n;
      }
      if (request.flush) access.flush();
      return { id: request.id, ok: true, size: at + written };
    }
    case 'close': {
      const access = open.get(key);
      open.delete(key);
      if (!access) return { id: request.id, ok: true, size: 0 };
      access.flush();
      const size = access.getSize();
      access.close();
      return { id: request.id, ok: true, size };
    }
  }
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WriterRequest>) => void) | null;
  postMessage(message: WriterReply): void;
};

// Requests are handled one at a time, in order: writes to one file must not interleave.
let chain: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  const request = e.data;
  chain = chain.then(async () => {
    try {
      scope.postMessage(await handle(request));
    } catch (error) {
      const name = error instanceof DOMException ? error.name : 'Error';
      scope.postMessage({
        id: request.id,
        ok: false,
        name,
        message: String((error as Error)?.message ?? error),
      });
    }
  });
};
