/**
 * "Import a folder": for machines that are never online. Each file of the folder is matched to
 * the pack by its relative path (`<componentId>/<path>`, with or without the chosen folder's
 * own name in front), then size- and hash-checked exactly like a download and copied into storage.
 */
import { isModelFault } from './faults';
import { hashStream } from './hash';
import type { PackFile } from './pack-files';
import type { ModelStorage } from './storage';
import { verifyAndCommit } from './verify';
import { IncrementalSha256 } from './hash';

export interface FolderEntry {
  /** Path relative to the picked folder, with `/` separators (webkitRelativePath works too). */
  relativePath: string;
  file: Blob;
}

export interface ImportReport {
  imported: string[];
  missing: string[];
  extra: string[];
  bad: { label: string; message: string }[];
  /** Files of other variants (not needed on this machine) that were skipped. */
  skipped: string[];
  ok: boolean;
  message: string;
}

const IGNORED = /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini|\.[^/]*)$/;

/** Match entries to pack files. Pure: exported for tests. */
export function matchFolder(
  needed: PackFile[],
  all: PackFile[],
  entries: FolderEntry[],
): { matched: Map<string, FolderEntry>; missing: string[]; extra: string[]; skipped: string[] } {
  const neededLabels = new Set(needed.map((f) => f.label));
  const known = new Set(all.map((f) => f.label));
  const clean = entries.map((e) => ({
    ...e,
    relativePath: e.relativePath.replace(/\\/g, '/').replace(/^\.?\//, ''),
  }));
  // A folder picked with webkitdirectory carries its own name as the first segment.
  const hits = (strip: boolean) =>
    clean.filter((e) => known.has(strip ? e.relativePath.replace(/^[^/]*\//, '') : e.relativePath)).length;
  const strip = hits(true) > hits(false);
  const matched = new Map<string, FolderEntry>();
  const extra: string[] = [];
  const skipped: string[] = [];
  for (const entry of clean) {
    const label = strip ? entry.relativePath.replace(/^[^/]*\//, '') : entry.relativePath;
    if (IGNORED.test(label)) continue;
    if (neededLabels.has(label)) matched.set(label, entry);
    else if (known.has(label)) skipped.push(label);
    else extra.push(label);
  }
  const missing = needed.filter((f) => !matched.has(f.label)).map((f) => f.label);
  return { matched, missing, extra, skipped };
}

export async function importFolder(
  storage: ModelStorage,
  packId: string,
  packTitle: string,
  needed: PackFile[],
  all: PackFile[],
  entries: FolderEntry[],
  onFile?: (label: string, index: number, count: number) => void,
): Promise<ImportReport> {
  const { matched, missing, extra, skipped } = matchFolder(needed, all, entries);
  const imported: string[] = [];
  const bad: ImportReport['bad'] = [];
  let index = 0;
  for (const file of needed) {
    const entry = matched.get(file.label);
    if (!entry) continue;
    onFile?.(file.label, index++, matched.size);
    try {
      await copyOne(storage, packId, file, entry.file);
      imported.push(file.label);
    } catch (error) {
      bad.push({
        label: file.label,
        message: isModelFault(error) ? error.message : `${file.label}: ${String(error)}`,
      });
    }
  }
  const ok = missing.length === 0 && bad.length === 0;
  const parts: string[] = [];
  parts.push(
    ok
      ? `Imported all ${imported.length} files of ${packTitle}; every size and SHA-256 checked out.`
      : `Imported ${imported.length} of ${needed.length} files of ${packTitle}.`,
  );
  if (missing.length)
    parts.push(
      `The folder is missing ${list(missing)}: add ${missing.length === 1 ? 'it' : 'them'} and import again.`,
    );
  for (const b of bad) parts.push(b.message);
  if (extra.length) parts.push(`Not part of the pack (ignored): ${list(extra)}.`);
  return { imported, missing, extra, bad, skipped, ok, message: parts.join(' ') };
}

async function copyOne(storage: ModelStorage, packId: string, file: PackFile, blob: Blob) {
  const hasher = new IncrementalSha256();
  const sink = await storage.openPart(file.key, { truncate: true });
  try {
    await hashStream(blob.stream(), hasher, undefined, (chunk) => sink.write(chunk));
  } finally {
    await sink.close();
  }
  // A file from a folder is never resumed: its own size is what must match.
  await verifyAndCommit(
    storage,
    packId,
    file,
    hasher,
    sink.size,
    file.bytesExact ? file.bytes : blob.size,
    'import',
  );
}

function list(labels: string[]): string {
  const shown = labels.slice(0, 6).join(', ');
  return labels.length > 6 ? `${shown} and ${labels.length - 6} more` : shown;
}

/** Walk a directory handle from showDirectoryPicker into folder entries. */
export async function entriesFromDirectory(
  dir: FileSystemDirectoryHandle,
  prefix = '',
): Promise<FolderEntry[]> {
  const out: FolderEntry[] = [];
  const values = (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
  for await (const handle of values) {
    const path = prefix + handle.name;
    if (handle.kind === 'file')
      out.push({ relativePath: path, file: await (handle as FileSystemFileHandle).getFile() });
    else out.push(...(await entriesFromDirectory(handle as FileSystemDirectoryHandle, path + '/')));
  }
  return out;
}
