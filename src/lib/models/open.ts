/**
 * What a session opens, read from the verified store: the model file the plan names and its
 * external-data files (listed in the manifest, or, for a widened model, in its verified entry).
 * The engine, the pack check and the judge's file server all come through here, so they open
 * exactly what was downloaded and verified. A test pack that our own origin serves may be read
 * from there instead, but only when the caller allows it (the test hooks do).
 */
import { StoryLoomError } from '../domain/errors';
import { sha256Hex } from './hash';
import type { Component } from './manifest';
import { packFileOf, type PackFile } from './pack-files';
import type { ComponentPlan, GraphPlan } from './plan';
import type { ModelStorage } from './storage';
import { loadVerifiedFile, readVerified } from './verified';

/** Where a pack's files may come from besides the store: a test pack served by our origin. */
export interface OriginSource {
  /** Absolute URL of `<localRoot>/<componentId>/<path>`. */
  url(localRoot: string, componentId: string, path: string): string;
  fetch: typeof fetch;
}

export interface FileReader {
  storage: ModelStorage;
  /** Allowed for test packs with a localRoot only; null: the store is the only source. */
  origin: OriginSource | null;
  /** Re-compute each file's SHA-256 as it is read ("Check the pack"). */
  rehash?: boolean;
}

/** What is needed of a pack to find its files. */
export interface PackRef {
  id: string;
  test: boolean;
  localRoot?: string | null;
}

export interface GraphFiles {
  label: string;
  model: Uint8Array;
  /** For ORT's `externalData` option: the name the graph refers to and the bytes. */
  externalData: { path: string; data: Uint8Array }[];
  bytes: number;
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

async function fromOrigin(
  reader: FileReader,
  pack: PackRef,
  file: PackFile,
  cause: unknown,
): Promise<Uint8Array> {
  if (!reader.origin || !pack.test || !pack.localRoot) throw cause;
  const url = reader.origin.url(pack.localRoot, file.componentId, file.path);
  const response = await reader.origin.fetch(url).catch((e: unknown) => {
    throw new StoryLoomError('not-found', `${file.label} could not be fetched; check the connection.`, {
      cause: e,
    });
  });
  if (!response.ok)
    throw new StoryLoomError('not-found', `${file.label} was not found (HTTP ${response.status}).`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (file.bytesExact && bytes.byteLength !== file.bytes)
    throw new StoryLoomError(
      'not-found',
      `${file.label} has ${bytes.byteLength} bytes but the pack says ${file.bytes}.`,
    );
  if (file.sha256 && (await sha256Hex(bytes)) !== file.sha256)
    throw new StoryLoomError(
      'not-found',
      `${file.label} does not match the hash in the pack; it was not used.`,
    );
  return bytes;
}

/** The verified bytes of one file of a component (the store; a served test pack when allowed). */
export async function readPackFile(
  reader: FileReader,
  pack: PackRef,
  component: Component,
  path: string,
): Promise<Uint8Array> {
  const file = packFileOf(pack.id, component, path);
  try {
    return await loadVerifiedFile(reader.storage, pack.id, file, { rehash: reader.rehash ?? false });
  } catch (stored) {
    return fromOrigin(reader, pack, file, stored);
  }
}

/** Names of the external-data files a graph's session opens (paths inside the component). */
export async function dataFilesOf(
  reader: FileReader,
  pack: PackRef,
  cp: ComponentPlan,
  g: GraphPlan,
): Promise<string[]> {
  if (g.open.dataFiles !== 'named-at-install') return g.open.dataFiles;
  const label = `${cp.component.id}/${g.open.path}`;
  const entry = (await readVerified(reader.storage, pack.id)).files[label];
  if (!entry?.dataFiles)
    throw new StoryLoomError(
      'not-found',
      `${label} is not prepared yet: install the pack again in Models to widen it for this GPU.`,
    );
  const folder = folderOf(g.open.path);
  return entry.dataFiles.map((name) => `${folder}${name}`);
}

/** Every stored path one graph's session opens: the model and its data files. */
export async function openedPaths(
  reader: FileReader,
  pack: PackRef,
  cp: ComponentPlan,
  g: GraphPlan,
): Promise<string[]> {
  return [g.open.path, ...(await dataFilesOf(reader, pack, cp, g))];
}

/** The model and external-data bytes of one planned graph, ready for an ORT session. */
export async function loadGraphFiles(
  reader: FileReader,
  pack: PackRef,
  cp: ComponentPlan,
  g: GraphPlan,
): Promise<GraphFiles> {
  // A derived file is not in the manifest: its entry in the verified list is its only record.
  const model = await readPackFile(reader, pack, cp.component, g.open.path);
  const externalData: GraphFiles['externalData'] = [];
  for (const path of await dataFilesOf(reader, pack, cp, g)) {
    const data = await readPackFile(reader, pack, cp.component, path);
    externalData.push({ path: path.slice(path.lastIndexOf('/') + 1), data });
  }
  return {
    label: `${cp.component.id}/${g.open.path}`,
    model,
    externalData,
    bytes: model.byteLength + externalData.reduce((s, d) => s + d.data.byteLength, 0),
  };
}
