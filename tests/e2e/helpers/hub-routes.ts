/**
 * Serves a pack's forged twins at the Hub's URL layout through Playwright routing, with HTTP
 * Range (206 + Content-Range) and injectable faults: cut a response short (the body ends while
 * Content-Length promised the whole file: a dropped connection), serve corrupted bytes, or
 * ignore Range. Every request is logged so tests can assert what was asked for.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page, Route } from '@playwright/test';
import { fileUrl, validatePack, type Pack } from '../../../src/lib/models/manifest.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export function readPackJson(name = 'tiny-pack'): Pack {
  return validatePack(JSON.parse(readFileSync(join(REPO_ROOT, 'models', `${name}.json`), 'utf8')));
}

export interface HubRequest {
  label: string;
  method: string;
  range: string | null;
  status: number;
  /** Bytes of body sent. */
  bytes: number;
  size: number;
}

export interface HubFaults {
  /** label → send only this many bytes once (then the fault is used up). */
  cutOnce: Map<string, number>;
  /** labels served with one byte flipped in the middle. */
  corrupt: Set<string>;
  /** Answer 200 with the whole file even when a Range was asked. */
  ignoreRange: boolean;
  /** Wait before answering each file (lets a test see the bar move). */
  delayMs: number;
  /** labels the Hub does not have (HTTP 404, as for a file a repository never published). */
  missing: Set<string>;
}

export interface HubServer {
  log: HubRequest[];
  faults: HubFaults;
  files: Map<string, { label: string; path: string; size: number }>;
  stop(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'range',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, etag',
  'cross-origin-resource-policy': 'cross-origin',
};

/** Where the forged replica of a pack keeps a file: the Hub's own URL layout under public/models/replica. */
export const replicaFile = (c: Pack['components'][number], f: { path: string }) =>
  join(REPO_ROOT, 'public', 'models', 'replica', c.repo, 'resolve', c.revision, f.path);

export async function serveHub(
  target: Page | BrowserContext,
  pack: Pack,
  fileOf: (c: Pack['components'][number], f: { path: string }) => string = (c, f) =>
    join(REPO_ROOT, 'public', pack.localRoot ?? '', c.id, f.path),
): Promise<HubServer> {
  const files = new Map<string, { label: string; path: string; size: number }>();
  for (const c of pack.components)
    for (const f of c.files) {
      const path = fileOf(c, f);
      files.set(fileUrl(c, f), { label: `${c.id}/${f.path}`, path, size: f.bytes });
    }
  const log: HubRequest[] = [];
  const faults: HubFaults = {
    cutOnce: new Map(),
    corrupt: new Set(),
    ignoreRange: false,
    delayMs: 0,
    missing: new Set(),
  };

  const handler = async (route: Route) => {
    const request = route.request();
    if (request.method() === 'OPTIONS')
      return route.fulfill({
        status: 204,
        headers: { ...CORS, 'access-control-allow-methods': 'GET, HEAD' },
      });
    const known = files.get(request.url().split('?')[0] ?? '');
    const file = known && !faults.missing.has(known.label) ? known : undefined;
    const range = (await request.headerValue('range')) ?? null;
    if (!file) {
      log.push({
        label: known?.label ?? request.url(),
        method: request.method(),
        range,
        status: 404,
        bytes: 0,
        size: 0,
      });
      return route.fulfill({ status: 404, headers: CORS, body: 'Entry not found' });
    }
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    let body: Buffer = readFileSync(file.path);
    const size = body.length;
    if (faults.corrupt.has(file.label)) {
      body = Buffer.from(body);
      const i = Math.floor(size / 2);
      body[i] = (body[i] ?? 0) ^ 0xff;
    }
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    let status = 200;
    const headers: Record<string, string> = {
      ...CORS,
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${size}"`,
    };
    if (m && !faults.ignoreRange) {
      const start = Number(m[1]);
      if (start >= size) {
        log.push({ label: file.label, method: request.method(), range, status: 416, bytes: 0, size });
        return route.fulfill({ status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } });
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
      body = body.subarray(start);
    }
    headers['content-length'] = String(body.length);
    const cut = faults.cutOnce.get(file.label);
    if (cut !== undefined && cut < body.length) {
      faults.cutOnce.delete(file.label);
      body = body.subarray(0, cut); // Content-Length still promises the whole file
    }
    log.push({ label: file.label, method: request.method(), range, status, bytes: body.length, size });
    return route.fulfill({ status, headers, body });
  };
  await target.route('https://huggingface.co/**', handler);
  return { log, faults, files, stop: () => target.unroute('https://huggingface.co/**', handler) };
}
