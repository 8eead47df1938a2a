import { fileUrl, type Component, type Derivation, type Feature, type Pack } from './manifest';
import { featureOf, type PackPlan } from './plan';

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
  /** A file of an optional component: the pack is ready without it. */
  optional: boolean;
  feature: Feature;
  /** Made ready at install after it is verified (the source of a widened variant), or null. */
  prepare: Derivation | null;
}

export const packFolder = (packId: string) => packId;
export const verifiedKey = (packId: string) => `${packId}/verified.json`;
export const progressKey = (packId: string) => `${packId}/progress.json`;
export const fileKey = (packId: string, componentId: string, path: string) =>
  `${packId}/files/${componentId}/${path}`;

/** One file of a component (a path it lists, or a file made at install such as a widened copy). */
export function packFileOf(
  packId: string,
  c: Pick<Component, 'id' | 'repo' | 'revision' | 'optional' | 'role' | 'files'>,
  path: string,
  prepare: Derivation | null = null,
): PackFile {
  const f = c.files.find((x) => x.path === path);
  return {
    componentId: c.id,
    repo: c.repo,
    revision: c.revision,
    path,
    label: `${c.id}/${path}`,
    bytes: f?.bytes ?? 0,
    bytesExact: f?.bytesExact ?? false,
    sha256: f?.sha256 ?? null,
    url: fileUrl(c, { path }),
    key: fileKey(packId, c.id, path),
    optional: c.optional,
    feature: featureOf(c),
    prepare,
  };
}

/** The files the plan downloads (the chosen variant of each graph), or every file without a plan. */
export function packFiles(pack: Pack, plan?: PackPlan): PackFile[] {
  if (!plan) return pack.components.flatMap((c) => c.files.map((f) => packFileOf(pack.id, c, f.path)));
  return plan.components.flatMap((cp) =>
    cp.download.map((p) =>
      packFileOf(
        pack.id,
        cp.component,
        p,
        cp.graphs.find((g) => g.variant.file === p)?.variant.derive ?? null,
      ),
    ),
  );
}
