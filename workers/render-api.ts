/**
 * The render worker's API: types only. A page layout is plain data; pictures travel as Blobs
 * (posting a Blob shares its bytes, it does not copy them) and the PNG comes back as a Blob.
 */
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
}

export type RenderErrorCode = 'invalid-input' | 'render-failed' | 'cancelled' | 'stopped';

export interface RenderApi {
  /**
   * The page as a PNG (image/png) without a pHYs chunk: the caller writes the resolution
   * (services/png-dpi.ts), so both the worker and the main-thread fallback get it the same way.
   */
  renderPage(job: RenderJob): Promise<Blob>;
}
