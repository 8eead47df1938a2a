/**
 * Files made at install from a verified download. Today one kind: `widen-fp16` turns an fp16 ONNX
 * model (fp16 weights, float32 inputs and outputs) into fp32 with its weights in external-data
 * files of at most 1 GiB, for WebGPU adapters without `shader-f16`. The widened files are hashed
 * as they are written, listed in the verified manifest as `derived` (the model entry names its data
 * files), and only then is the fp16 source deleted (its entry stays, marked `replacedBy`).
 */
import { StoryLoomError } from '../domain/errors';
import { IncrementalSha256 } from './hash';
import { fileKey, type PackFile } from './pack-files';
import { widenedDataName, widenedPath } from './plan';
import type { ModelStorage, PartSink } from './storage';
import { readVerified, updateVerified, type VerifiedEntry } from './verified';

/** A byte sink the widener writes one data file through. */
export interface DeriveSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** The widener as the installer calls it (in a worker in the browser, in-process under vitest). */
export type Widener = (
  source: Blob,
  /** The source's path in its repository; data files are named from it (`widenedDataName`). */
  sourcePath: string,
  options: {
    openData(name: string): Promise<DeriveSink>;
    onProgress?(readBytes: number, totalBytes: number): void;
    signal?: AbortSignal;
  },
) => Promise<{ model: Uint8Array; dataFiles: { name: string; bytes: number }[] }>;

export interface DeriveOptions {
  widen: Widener;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Label and key of a file made next to `source` (same component folder). */
function sibling(packId: string, source: PackFile, path: string) {
  return { label: `${source.componentId}/${path}`, key: fileKey(packId, source.componentId, path), path };
}

class HashingSink implements DeriveSink {
  readonly hasher = new IncrementalSha256();
  bytes = 0;
  constructor(private readonly part: PartSink) {}
  async write(chunk: Uint8Array) {
    this.hasher.update(chunk);
    this.bytes += chunk.byteLength;
    await this.part.write(chunk);
  }
  close() {
    return this.part.close();
  }
}

/** Is the widened copy of `source` complete in the verified manifest? */
export function widenedEntry(
  files: Record<string, VerifiedEntry>,
  source: Pick<PackFile, 'componentId' | 'path'>,
): VerifiedEntry | null {
  const model = files[`${source.componentId}/${widenedPath(source.path)}`];
  if (!model || model.source !== 'derived' || !model.dataFiles) return null;
  const folder = folderOf(source.path);
  const complete = model.dataFiles.every((name) => files[`${source.componentId}/${folder}${name}`]);
  return complete ? model : null;
}

/** Widen a verified fp16 model of a pack into its fp32 copy; the source's bytes are deleted after. */
export async function deriveWidened(
  storage: ModelStorage,
  packId: string,
  source: PackFile,
  options: DeriveOptions,
): Promise<VerifiedEntry> {
  const verified = await readVerified(storage, packId);
  const sourceEntry = verified.files[source.label];
  if (!sourceEntry)
    throw new StoryLoomError(
      'not-found',
      `${source.label} must be downloaded and verified before it is widened.`,
    );
  const folder = folderOf(source.path);
  const modelFile = sibling(packId, source, widenedPath(source.path));
  const blob = await storage.readFile(source.key);
  const sinks = new Map<string, { key: string; label: string; sink: HashingSink }>();
  const cleanup = async () => {
    for (const s of sinks.values()) await storage.deletePart(s.key).catch(() => undefined);
    await storage.deletePart(modelFile.key).catch(() => undefined);
  };
  try {
    const result = await options.widen(blob, source.path, {
      openData: async (name) => {
        if (name.includes('/') || name.startsWith('.'))
          throw new StoryLoomError('invalid-input', `A widened data file cannot be named "${name}".`);
        const f = sibling(packId, source, `${folder}${name}`);
        const sink = new HashingSink(await storage.openPart(f.key, { truncate: true }));
        sinks.set(name, { key: f.key, label: f.label, sink });
        return sink;
      },
      onProgress: (done, total) => options.onProgress?.(done, total),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const modelSink = new HashingSink(await storage.openPart(modelFile.key, { truncate: true }));
    await modelSink.write(result.model);
    await modelSink.close();
    for (const d of result.dataFiles) {
      const s = sinks.get(d.name);
      if (!s || s.sink.bytes !== d.bytes)
        throw new StoryLoomError('storage-failed', `The widened data file ${d.name} was not written whole.`);
    }
    // Every part is complete: give them their final names, then list them.
    for (const s of sinks.values()) await storage.commit(s.key);
    await storage.commit(modelFile.key);
    const at = Date.now();
    const from = { label: source.label, sha256: sourceEntry.sha256 };
    const modelEntry: VerifiedEntry = {
      size: modelSink.bytes,
      sha256: modelSink.hasher.hex(),
      checked: 'size',
      source: 'derived',
      at,
      dataFiles: result.dataFiles.map((d) => d.name),
      derivedFrom: from,
    };
    await updateVerified(storage, packId, (m) => {
      for (const s of sinks.values())
        m.files[s.label] = {
          size: s.sink.bytes,
          sha256: s.sink.hasher.hex(),
          checked: 'size',
          source: 'derived',
          at,
          derivedFrom: from,
        };
      m.files[modelFile.label] = modelEntry;
      const entry = m.files[source.label];
      if (entry) entry.replacedBy = modelFile.label;
    });
    await storage.deleteFile(source.key);
    return modelEntry;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The widener on this thread (vitest; a page without workers). The browser uses the worker's. */
export const inProcessWidener: Widener = async (source, sourcePath, options) => {
  const { widenFp16Model } = await import('./widen');
  return widenFp16Model(
    {
      size: source.size,
      read: async (offset, length) =>
        new Uint8Array(await source.slice(offset, offset + length).arrayBuffer()),
    },
    {
      dataFileName: (i) => widenedDataName(sourcePath, i),
      openData: options.openData,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
};
