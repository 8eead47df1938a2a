import { formatBytes } from './progress';

export interface QuotaInput {
  /** Bytes still to be written for the pack (its size minus bytes already stored). */
  remaining: number;
  /** navigator.storage.estimate() figures; undefined when the browser does not say. */
  usage?: number | undefined;
  quota?: number | undefined;
  /** Extra room kept free for the verified manifest, the app's own data and file-system overhead. */
  headroom?: number;
}

export type QuotaVerdict =
  { ok: true; available: number | null } | { ok: false; available: number; message: string };

/** Refuse a download up front when the browser's quota cannot hold what is left of the pack. */
export function checkQuota(packName: string, input: QuotaInput): QuotaVerdict {
  const { remaining, usage, quota } = input;
  if (quota === undefined || usage === undefined || !Number.isFinite(quota))
    return { ok: true, available: null };
  const headroom = input.headroom ?? Math.max(8 * 1024 * 1024, Math.ceil(remaining * 0.02));
  const available = Math.max(0, quota - usage);
  if (remaining + headroom <= available) return { ok: true, available };
  return {
    ok: false,
    available,
    message:
      `${packName} needs ${formatBytes(remaining)} more, but this browser lets StoryLoom store only ` +
      `${formatBytes(available)} more. Delete a pack you do not use or free disk space, then try again.`,
  };
}
