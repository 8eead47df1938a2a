/**
 * Pages as PNG or JPEG files: the façade the reader and the exports call. The page is painted in the
 * render worker on an OffscreenCanvas; where a browser has none, on the page's thread with an
 * ordinary canvas and the same painter. Either way the PNG then gets its resolution (pHYs).
 */
import { StoryLoomError } from '../domain/errors';
import {
  paintPage,
  renderSize,
  type PageRegion,
  type PaintOptions,
  type PaintPicture,
} from '../layout/paint';
import type { PageLayout } from '../layout/types';
import { RenderClient, RenderClientError } from '../rpc/render.client';
import { loadLetteringFonts } from './lettering.service';
import { withJpegDpi } from './jpeg-dpi';
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

export interface RenderImageOptions {
  /** Only this band of the page, in page units (a webtoon slice). Default: the whole page. */
  region?: PageRegion;
  /** Default 'png'. */
  format?: 'png' | 'jpeg';
  /** JPEG quality 0…1; default 0.92. */
  quality?: number;
  /** Default true; false = pictures and frames only (the PDF draws the lettering as vectors). */
  lettering?: boolean;
  signal?: AbortSignal;
}

/**
 * `page` as a PNG at `dpi` (72…600, at most ~40 megapixels), with its resolution written into the
 * file. Rejects with a sentence saying what was wrong and what is allowed.
 */
export function renderPagePng(
  page: PageLayout,
  pictures: PagePicture[],
  dpi: number,
  signal?: AbortSignal,
): Promise<Blob> {
  return renderPageImage(page, pictures, dpi, { format: 'png', signal });
}

/**
 * `page`, or the band `options.region` of it, as a PNG or JPEG at `dpi`, with the resolution in the
 * file (pHYs / JFIF). The ~40 megapixel limit applies to the pixels drawn: the band's, not the
 * whole strip's.
 */
export async function renderPageImage(
  page: PageLayout,
  pictures: PagePicture[],
  dpi: number,
  options: RenderImageOptions = {},
): Promise<Blob> {
  const { region, signal } = options;
  const format = options.format ?? 'png';
  const quality = options.quality ?? 0.92;
  if (!(quality >= 0 && quality <= 1))
    throw new StoryLoomError('invalid-input', `A JPEG quality must be between 0 and 1, got ${quality}.`);
  const size = renderSize(page, dpi, region);
  if (!size.ok) throw new StoryLoomError('invalid-input', size.message);
  // Plain data for postMessage even when the caller hands in a Svelte state proxy (a layout is JSON).
  const plain = JSON.parse(JSON.stringify(page)) as PageLayout;
  const paint: PaintOptions = { region, lettering: options.lettering ?? true };
  const image = hasOffscreenCanvas()
    ? await renderClient().renderPage({ page: plain, pictures, dpi, ...paint, format, quality }, signal)
    : await renderOnMainThread(plain, pictures, size, paint, format, quality, signal);
  const bytes = new Uint8Array(await image.arrayBuffer());
  const type = format === 'jpeg' ? 'image/jpeg' : 'image/png';
  const out = format === 'jpeg' ? withJpegDpi(bytes, dpi) : withPngDpi(bytes, dpi);
  return new Blob([out as Uint8Array<ArrayBuffer>], { type });
}

async function renderOnMainThread(
  page: PageLayout,
  pictures: PagePicture[],
  size: { width: number; height: number; scale: number },
  paint: PaintOptions,
  format: 'png' | 'jpeg',
  quality: number,
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
    paintPage(ctx, page, decoded, size.scale, (d) => new Path2D(d), paint);
    const type = format === 'jpeg' ? 'image/jpeg' : 'image/png';
    const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, type, quality));
    if (!blob)
      throw new RenderClientError(
        'render-failed',
        `This browser could not encode the page as ${format.toUpperCase()}.`,
      );
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
