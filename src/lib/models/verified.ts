/**
 * The verified manifest: the only door to a stored model file. A file is listed here only
 * after its size and SHA-256 checked out, and the loader reads nothing that is not listed.
 */
import { StoryLoomError } from '../domain/errors';
import { faults } from './faults';
import { sha256Hex } from './hash';
import type { PackFile } from './pack-files';
import { verifiedKey } from './pack-files';
import type { ModelStorage } from './storage';

export interface VerifiedEntry {
  size: number;
  sha256: string;
  /** 'sha256' when the pack published the hash; 'size' when only the size could be checked. */
  checked: 'sha256' | 'size';
  /** `derived`: made at install from a verified file (e.g. widened); its hash is the one we computed. */
  source: 'download' | 'import' | 'derived';
  at: number;
  /** For a derived model: the names of its external-data files (entries of their own, same folder). */
  dataFiles?: string[];
  /** For a derived file: the verified file it was made from. */
  derivedFrom?: { label: string; sha256: string };
  /** For a source whose derived copy is what sessions open: its bytes were deleted after deriving. */
  replacedBy?: string;
}

export interface VerifiedManifest {
  packId: string;
  files: Record<string, VerifiedEntry>;
}

export async function readVerified(storage: ModelStorage, packId: string): Promise<VerifiedManifest> {
  const json = await storage.readJson<VerifiedManifest>(verifiedKey(packId));
  return json && json.packId === packId && typeof json.files === 'object' ? json : { packId, files: {} };
}

// Updates of one pack's manifest are chained so that concurrent files do not overwrite each other.
const chains = new Map<string, Promise<unknown>>();

export function updateVerified(
  storage: ModelStorage,
  packId: string,
  change: (m: VerifiedManifest) => void,
): Promise<VerifiedManifest> {
  const run = (chains.get(packId) ?? Promise.resolve()).then(async () => {
    const manifest = await readVerified(storage, packId);
    change(manifest);
    await storage.writeJson(verifiedKey(packId), manifest);
    return manifest;
  });
  chains.set(
    packId,
    run.catch(() => undefined),
  );
  return run;
}

/** Does the stored entry still describe the file the pack asks for? */
export function entryMatches(entry: VerifiedEntry | undefined, file: PackFile): entry is VerifiedEntry {
  if (!entry) return false;
  if (file.sha256 !== null && entry.sha256 !== file.sha256) return false;
  if (file.bytesExact && entry.size !== file.bytes) return false;
  return true;
}

/**
 * The bytes of a verified file, for a session. Size is always re-checked; `rehash` re-computes
 * the SHA-256 too (cheap for small files; the Models view's check does it).
 */
export async function loadVerifiedFile(
  storage: ModelStorage,
  packId: string,
  file: PackFile,
  options: { rehash?: boolean } = {},
): Promise<Uint8Array> {
  const manifest = await readVerified(storage, packId);
  const entry = manifest.files[file.label];
  if (!entryMatches(entry, file))
    throw new StoryLoomError(
      'not-found',
      `${file.label} is not downloaded and verified yet; download or import the pack first.`,
    );
  const blob = await storage.readFile(file.key).catch(() => null);
  if (!blob || blob.size !== entry.size) {
    await forget(storage, packId, file);
    throw new StoryLoomError(
      'not-found',
      `${file.label} is missing from the browser's storage or has the wrong size; download it again.`,
    );
  }
  if (options.rehash && (await sha256Hex(blob)) !== entry.sha256) {
    await forget(storage, packId, file);
    throw faults.integrity(file.label);
  }
  return new Uint8Array(await blob.arrayBuffer());
}

async function forget(storage: ModelStorage, packId: string, file: PackFile) {
  await storage.deleteFile(file.key);
  await updateVerified(storage, packId, (m) => {
    delete m.files[file.label];
  });
}
