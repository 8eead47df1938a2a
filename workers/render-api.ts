/**
 * The render worker's API: types only. A page layout is plain data; pictures travel as Blobs
 * (posting a Blob shares its bytes, it does not copy them) and the PNG comes back as a Blob.
 */
import type { PageRegion } from '../src/lib/layout/paint';
import type { PageLayout } from '../src/lib/layout/types';

export interface RenderPicture {
  panelId: string;
  blob: Blob;
}

export interface RenderJob {
  page: PageLayout;
  pictures: RenderPicture[];
  /** 72…600; the PNG is round(page.width · dpi / 96) × round(page.height · dpi / 96) pixels. */
  dpi: number;
  /** Only this band of the page (a webtoon slice); the image is the band's height. Default: all. */
  region?: PageRegion;
  /** Default 'png'. JPEG is for the PDF and for webtoon slices. */
  format?: 'png' | 'jpeg';
  /** JPEG quality 0…1 (the encoder's default when missing). */
  quality?: number;
  /** Default true; false = the pictures and frames without balloons (the PDF letters in vectors). */
  lettering?: boolean;
}

export type RenderErrorCode = 'invalid-input' | 'render-failed' | 'cancelled' | 'stopped';

export interface RenderApi {
  /**
   * The page (or its region) as a PNG (image/png) without a pHYs chunk, or a JPEG: the caller writes the resolution
   * (services/png-dpi.ts), so both the worker and the main-thread fallback get it the same way.
   */
  renderPage(job: RenderJob): Promise<Blob>;
}
