/**
 * The render worker: paints one laid-out page (or a band of it) on an OffscreenCanvas (the same painter as the
 * main-thread fallback, layout/paint.ts) and encodes it as PNG or JPEG. Pictures arrive as Blobs and are
 * decoded here, so the page's thread never holds the full-size bitmaps.
 */
import * as Comlink from 'comlink';
import { installWireErrors } from '../src/lib/rpc/wire';
import { paintPage, renderSize, type PaintPicture } from '../src/lib/layout/paint';
import type { RenderApi, RenderErrorCode, RenderJob } from './render-api';
import { loadWorkerFonts } from './render-fonts';

installWireErrors();

class RenderFailure extends Error {
  readonly code: RenderErrorCode;
  constructor(code: RenderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

async function decode(job: RenderJob): Promise<Map<string, PaintPicture<ImageBitmap>>> {
  const decoded = new Map<string, PaintPicture<ImageBitmap>>();
  try {
    for (const { panelId, blob } of job.pictures) {
      const image = await createImageBitmap(blob).catch((e: unknown) => {
        throw new RenderFailure('invalid-input', `The picture of panel ${panelId} could not be decoded.`, {
          cause: e,
        });
      });
      decoded.set(panelId, { image, width: image.width, height: image.height });
    }
  } catch (e) {
    for (const p of decoded.values()) p.image.close();
    throw e;
  }
  return decoded;
}

const api: RenderApi = {
  async renderPage(job) {
    const size = renderSize(job.page, job.dpi, job.region);
    if (!size.ok) throw new RenderFailure('invalid-input', size.message);
    await loadWorkerFonts();
    const pictures = await decode(job);
    try {
      const canvas = new OffscreenCanvas(size.width, size.height);
      const ctx = canvas.getContext('2d');
      if (!ctx)
        throw new RenderFailure('render-failed', 'This browser could not make a canvas of that size.');
      paintPage(ctx, job.page, pictures, size.scale, (d) => new Path2D(d), {
        region: job.region,
        lettering: job.lettering,
      });
      return await canvas.convertToBlob(
        job.format === 'jpeg' ? { type: 'image/jpeg', quality: job.quality } : { type: 'image/png' },
      );
    } finally {
      for (const p of pictures.values()) p.image.close();
    }
  },
};

Comlink.expose(api);
