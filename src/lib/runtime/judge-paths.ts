/**
 * Where transformers.js looks for a pack's judge models: `localModelPath` is PACK_PREFIX and a
 * model id is `<packId>/<componentId>`, so a file request reads `/storyloom-packs/<pack>/<component>/<path>`.
 * Pure, so it is unit tested without a browser.
 */
export const PACK_PREFIX = '/storyloom-packs/';

/** Split a request path or same-origin URL into model id and file path; null when it is not a pack path. */
export function parsePackPath(url: string): { modelId: string; path: string } | null {
  const at = url.indexOf(PACK_PREFIX);
  if (at < 0 || (at > 0 && !/^[a-z]+:\/\/[^/]+$/i.test(url.slice(0, at)))) return null;
  let rest: string;
  try {
    rest = decodeURIComponent(url.slice(at + PACK_PREFIX.length).split(/[?#]/)[0] ?? '');
  } catch {
    return null;
  }
  const parts = rest.split('/');
  if (parts.length < 3 || parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return { modelId: `${parts[0]}/${parts[1]}`, path: parts.slice(2).join('/') };
}
