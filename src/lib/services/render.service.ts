/**
 * Pages as PNG files: the façade the reader and the exports call. The page is painted in the
 * render worker on an OffscreenCanvas; where a browser has none, on the page's thread with an
 * ordinary canvas and the same painter. Either way the PNG then gets its resolution (pHYs).
 */
import { StoryLoomError } from '../domain/errors';
import { paintPage, renderSize, type PaintPicture } from '../layout/paint';
import type { PageLayout } from '../layout/types';
import { RenderClient, RenderClientError } from '../rpc/render.client';
import { loadLetteringFonts } from './lettering.service';
import { withPngDpi } from './png-dpi';

/** A panel's picture for the page (the Blob as stored); null or missing = an empty grey cell. */
export interface PagePicture {
  panelId: string;
  blob: Blob;
}

let client: RenderClient | null = null;

function renderClient(): RenderClient {
  client ??= new RenderClient(() => {
    const worker = new Worker(new URL('../../../workers/render.worker.ts', import.meta.url), {
      type: 'module',
      name: 'render',
    });
    return {
      endpoint: worker,
      terminate: () => worker.terminate(),
      onFailure: (listener) => {
        worker.onerror = (e) => listener(e.message || 'the render worker could not start');
      },
    };
  });
  return client;
}

const hasOffscreenCanvas = () =>
  typeof OffscreenCanvas !== 'undefined' &&
  typeof (OffscreenCanvas.prototype as { convertToBlob?: unknown }).convertToBlob === 'function';

/**
 * `page` as a PNG at `dpi` (72…600, at most ~40 megapixels), with its resolution written into the
 * file. Rejects with a sentence saying what was wrong and what is allowed.
 */
export async function renderPagePng(
  page: PageLayout,
  pictures: PagePicture[],
  dpi: number,
  signal?: AbortSignal,
): Promise<Blob> {
  const size = renderSize(page, dpi);
  if (!size.ok) throw new StoryLoomError('invalid-input', size.message);
  // Plain data for postMessage even when the caller hands in a Svelte state proxy (a layout is JSON).
  const plain = JSON.parse(JSON.stringify(page)) as PageLayout;
  const png = hasOffscreenCanvas()
    ? await renderClient().renderPage({ page: plain, pictures, dpi }, signal)
    : await renderOnMainThread(plain, pictures, size, signal);
  const bytes = withPngDpi(new Uint8Array(await png.arrayBuffer()), dpi);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

async function renderOnMainThread(
  page: PageLayout,
  pictures: PagePicture[],
  size: { width: number; height: number; scale: number },
  signal?: AbortSignal,
): Promise<Blob> {
  const cancelled = () => new RenderClientError('cancelled', 'The page render was cancelled.');
  if (signal?.aborted) throw cancelled();
  await loadLetteringFonts();
  if (signal?.aborted) throw cancelled();
  const decoded = new Map<string, PaintPicture<ImageBitmap>>();
  try {
    for (const { panelId, blob } of pictures) {
      const image = await createImageBitmap(blob).catch((e: unknown) => {
        throw new StoryLoomError('invalid-input', `The picture of panel ${panelId} could not be decoded.`, {
          cause: e,
        });
      });
      decoded.set(panelId, { image, width: image.width, height: image.height });
      if (signal?.aborted) throw cancelled();
    }
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    if (!ctx)
      throw new RenderClientError('render-failed', 'This browser could not make a canvas of that size.');
    paintPage(ctx, page, decoded, size.scale, (d) => new Path2D(d));
    const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, 'image/png'));
    if (!blob) throw new RenderClientError('render-failed', 'This browser could not encode the page as PNG.');
    // Release the canvas's pixels now rather than at the next collection.
    canvas.width = canvas.height = 0;
    return blob;
  } finally {
    for (const p of decoded.values()) p.image.close();
  }
}

/** Stop the render worker (it starts again on the next render). */
export function disposeRenderer(): void {
  client?.dispose();
  client = null;
}
