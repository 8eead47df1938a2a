/**
 * The Hub from memory, for unit tests of the downloader: a pack's forged files answered at their Hub
 * URLs, with the faults a real connection has (a drop, a pause, a 404) and a log of the files asked for.
 */
import { readFileSync } from 'node:fs';
import { fileUrl, type Pack } from '../../src/lib/models/manifest';
import type { PackFile } from '../../src/lib/models/pack-files';
import { ensureForged, forgedPath, readPack } from './forge';

/** The tiny pack and its forged bytes by Hub URL (forged first when needed). */
export async function servedTinyPack(): Promise<{ pack: Pack; served: Map<string, Uint8Array> }> {
  await ensureForged();
  const pack = await readPack('tiny-pack');
  const served = new Map<string, Uint8Array>();
  for (const c of pack.components)
    for (const f of c.files)
      served.set(fileUrl(c, f), new Uint8Array(readFileSync(forgedPath(pack, c, f.path))));
  return { pack, served };
}

export interface HubOptions {
  /** label → send this many bytes, then fail as a dropped connection would. */
  cut?: Map<string, number>;
  /** label → send this many bytes, then wait until the request is aborted (a pause). */
  hold?: Map<string, number>;
  /** Labels answered 404. */
  missing?: Set<string>;
}

export function memoryHub(
  served: Map<string, Uint8Array>,
  files: PackFile[],
  options: HubOptions = {},
): { fetch: typeof fetch; held: Promise<void>; asked: string[] } {
  const byUrl = new Map(files.map((f) => [f.url, f.label]));
  const asked: string[] = [];
  let reached: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const label = byUrl.get(url) ?? url;
    asked.push(label);
    const bytes = served.get(url);
    if (!bytes || options.missing?.has(label)) return new Response('Entry not found', { status: 404 });
    const cut = options.cut?.get(label);
    const hold = options.hold?.get(label);
    if (cut === undefined && hold === undefined)
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { 'content-length': String(bytes.byteLength) },
      });
    options.cut?.delete(label);
    options.hold?.delete(label);
    // The first read gets the bytes; the next one fails (a drop) or waits for the abort (a pause).
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(bytes.slice(0, cut ?? hold));
          return;
        }
        if (cut !== undefined) return controller.error(new TypeError('network error'));
        return new Promise<void>(() => {
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
          reached();
        });
      },
    });
    return new Response(body, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
  }) as typeof fetch;
  return { fetch: fetcher, held, asked };
}
