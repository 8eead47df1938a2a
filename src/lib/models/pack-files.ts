import { fileUrl, type Pack } from './manifest';
import { neededFiles, type Capabilities } from './variants';

/** One file of a pack as the model manager handles it. */
export interface PackFile {
  componentId: string;
  repo: string;
  revision: string;
  /** Path inside the Hub repository. */
  path: string;
  /** `<componentId>/<path>`: the name shown to people and the path inside an imported folder. */
  label: string;
  bytes: number;
  bytesExact: boolean;
  sha256: string | null;
  url: string;
  /** Storage key of the verified file. */
  key: string;
}

export const packFolder = (packId: string) => packId;
export const verifiedKey = (packId: string) => `${packId}/verified.json`;
export const progressKey = (packId: string) => `${packId}/progress.json`;

/** The files this machine needs (the chosen variant of each graph), or every file without `caps`. */
export function packFiles(pack: Pack, caps?: Pick<Capabilities, 'backend' | 'features'>): PackFile[] {
  return pack.components.flatMap((c) =>
    (caps ? neededFiles(c, caps) : c.files).map((f) => ({
      componentId: c.id,
      repo: c.repo,
      revision: c.revision,
      path: f.path,
      label: `${c.id}/${f.path}`,
      bytes: f.bytes,
      bytesExact: f.bytesExact,
      sha256: f.sha256,
      url: fileUrl(c, f),
      key: `${pack.id}/files/${c.id}/${f.path}`,
    })),
  );
}
