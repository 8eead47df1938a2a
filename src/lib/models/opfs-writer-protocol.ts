/** Messages between the storage layer and opfs-writer.worker.ts (plain data only). */
export type WriterRequest =
  | { id: number; op: 'open'; path: string[]; truncate: boolean }
  | { id: number; op: 'write'; path: string[]; data: ArrayBuffer; flush: boolean }
  | { id: number; op: 'close'; path: string[] };

export type WriterReply =
  { id: number; ok: true; size: number } | { id: number; ok: false; name: string; message: string };
