import { readerService } from '../services/reader.service';
import type { ReaderSource } from '../services/reader.service';
import { canvasMeasurer, loadLetteringFonts } from '../services/lettering.service';
import { renderPagePng } from '../services/render.service';
import type { PagePicture } from '../services/render.service';
import {
  comicCbz,
  comicPagesZip,
  comicPdf,
  webtoonStrip,
  zipFiles,
  type ComicProgress,
} from '../services/comic.service';
import type { ComicPageSource } from '../services/comic.service';
import { userMessage } from '../domain';
import type { BalloonKind, Panel, PageSettings, Story } from '../domain';
import { layoutInputFor, layoutStory } from '../layout';
import type {
  BalloonLayout,
  CellLayout,
  PageLayout,
  Point,
  Rect,
  StoryLayout,
  TextMeasurer,
} from '../layout';
import {
  boxInCell,
  liveLettering,
  pinAt,
  pointInCell,
  rekinded,
  retyped,
  spreadViews,
  unpin,
} from '../layout';

/** Performance measures the bench reads (layout and lettering of the whole story; one page to PNG). */
export const READER_LAYOUT_MEASURE = 'storyloom:reader-layout';
export const PAGE_RENDER_MEASURE = 'storyloom:page-render';

/** The balloon the artist has picked in edit mode. */
export interface BalloonRef {
  panelId: string;
  balloonId: string;
}

/**
 * The reader: a story laid out as pages (or a webtoon strip) with its lettering, the page or spread
 * on screen, and the artist's lettering edits — each written to the panel at once, so nothing typed
 * or dragged is lost on a reload. Unpinned balloons are placed again whenever the text, the boxes
 * or the page settings change, because the layout is derived from them.
 */
class ReaderState {
  #source = $state.raw<ReaderSource | null>(null);
  #urls = $state.raw<Record<string, string>>({});
  #loaded = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);
  #view = $state(0);
  #spreads = $state(false);
  #editing = $state(false);
  #selected = $state<BalloonRef | null>(null);
  #measure: TextMeasurer | null = null;
  #loads = 0;
  #saving = Promise.resolve();
  /** Writes asked for and not yet stored. */
  #pending = $state(0);
  /** How long the last layout took (ms), for the bench. */
  layoutMs = 0;

  readonly layout: StoryLayout | null = $derived.by(() => this.#layoutNow());

  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): string | null {
    return this.#error;
  }
  get status(): string | null {
    return this.#status;
  }
  /** True while an edit is still being stored (leaving the page now could lose it). */
  get saving(): boolean {
    return this.#pending > 0;
  }
  get story(): Story | null {
    return this.#source?.story ?? null;
  }
  get panels(): Panel[] {
    return this.#source?.panels ?? [];
  }
  get editing(): boolean {
    return this.#editing;
  }
  get selected(): BalloonRef | null {
    return this.#selected;
  }
  get spreads(): boolean {
    return this.#spreads;
  }
  get direction(): PageSettings['direction'] {
    return this.#source?.story.layout.direction ?? 'ltr';
  }
  get pages(): PageLayout[] {
    return this.layout?.pages ?? [];
  }
  /** The page indexes of each view (a page, or a two-page spread). */
  get views(): number[][] {
    return this.direction === 'webtoon' ? [[0]] : spreadViews(this.pages.length, this.#spreads);
  }
  get viewIndex(): number {
    return Math.min(this.#view, Math.max(0, this.views.length - 1));
  }
  get shownPages(): PageLayout[] {
    return (this.views[this.viewIndex] ?? []).flatMap((i) => this.pages[i] ?? []);
  }
  name(characterId: string | null): string {
    return (characterId && this.#source?.names[characterId]) || 'Narrator';
  }
  pictureUrl(panelId: string): string | null {
    return this.#urls[panelId] ?? null;
  }
  picture(panelId: string): ReaderSource['pictures'][string] {
    return this.#source?.pictures[panelId] ?? null;
  }
  panel(panelId: string): Panel | undefined {
    return this.#source?.panels.find((p) => p.id === panelId);
  }
  /** The text a balloon letters: its dialogue line's or the caption. */
  textOf(ref: BalloonRef): string {
    const panel = this.panel(ref.panelId);
    if (!panel) return '';
    if (ref.balloonId === 'caption') return panel.caption;
    return panel.dialogue.find((d) => d.id === ref.balloonId)?.text ?? '';
  }
  balloon(ref: BalloonRef): { cell: CellLayout; balloon: BalloonLayout } | null {
    for (const page of this.pages)
      for (const cell of page.cells) {
        if (cell.panelId !== ref.panelId) continue;
        const balloon = cell.balloons.find((b) => b.balloonId === ref.balloonId);
        if (balloon) return { cell, balloon };
      }
    return null;
  }

  async load(storyId: string): Promise<void> {
    const load = ++this.#loads;
    this.reset();
    try {
      await loadLetteringFonts();
      this.#measure = canvasMeasurer();
      const source = await readerService.load(storyId);
      if (load !== this.#loads) return;
      if (!source) {
        this.#error = 'This story does not exist any more; it may have been deleted.';
        return;
      }
      const urls: Record<string, string> = {};
      for (const [panelId, picture] of Object.entries(source.pictures)) {
        const blob = picture ? await readerService.image(picture.imageId) : null;
        if (blob) urls[panelId] = URL.createObjectURL(blob);
      }
      if (load !== this.#loads) {
        for (const url of Object.values(urls)) URL.revokeObjectURL(url);
        return;
      }
      this.#urls = urls;
      this.#source = source;
    } catch (e) {
      this.#error = userMessage(e);
    } finally {
      if (load === this.#loads) this.#loaded = true;
    }
  }

  reset(): void {
    for (const url of Object.values(this.#urls)) URL.revokeObjectURL(url);
    this.#urls = {};
    this.#source = null;
    this.#loaded = false;
    this.#error = null;
    this.#status = null;
    this.#view = 0;
    this.#editing = false;
    this.#selected = null;
  }

  #layoutNow(): StoryLayout | null {
    const source = this.#source;
    if (!source || !this.#measure) return null;
    const started = performance.now();
    const layout = layoutStory(layoutInputFor(source.story, source.panels, source.pictures, this.#measure));
    this.layoutMs = performance.now() - started;
    // Read by `npm run bench` (readerLayoutMs); a measure costs nothing when nobody reads it.
    performance.measure(READER_LAYOUT_MEASURE, { start: started, duration: this.layoutMs });
    return layout;
  }

  // ------------------------------------------------------------ paging

  setSpreads(on: boolean): void {
    const first = this.views[this.viewIndex]?.[0] ?? 0;
    this.#spreads = on;
    // Keep the page that was on screen on screen.
    this.#view = Math.max(
      0,
      this.views.findIndex((v) => v.includes(first)),
    );
  }
  next(): void {
    this.#view = Math.min(this.views.length - 1, this.viewIndex + 1);
  }
  previous(): void {
    this.#view = Math.max(0, this.viewIndex - 1);
  }
  first(): void {
    this.#view = 0;
  }
  last(): void {
    this.#view = Math.max(0, this.views.length - 1);
  }

  // ------------------------------------------------------------ page settings

  async setLayout(patch: Partial<PageSettings>): Promise<void> {
    const source = this.#source;
    if (!source) return;
    const layout = { ...source.story.layout, ...patch };
    this.#source = { ...source, story: { ...source.story, layout } };
    // The screen already shows the change; the stored copy is not put back (that would lay out again).
    await this.#write(async () => {
      await readerService.saveLayout(source.story.id, layout);
    });
  }

  /** The artist's template for page `index` (null: chosen by the layout). */
  async setTemplate(index: number, templateId: string | null): Promise<void> {
    const current = this.#source?.story.layout.pageTemplates ?? [];
    const next = Array.from({ length: Math.max(current.length, index + 1) }, (_, i) => current[i] ?? null);
    next[index] = templateId;
    while (next.length > 0 && next[next.length - 1] === null) next.pop();
    await this.setLayout({ pageTemplates: next });
  }

  // ------------------------------------------------------------ lettering edits

  setEditing(on: boolean): void {
    this.#editing = on;
    if (!on) this.#selected = null;
  }
  select(ref: BalloonRef | null): void {
    this.#selected = ref;
  }

  /** The balloon's body now covers `box` (page units): moved or resized, and pinned there. */
  async moveBalloon(ref: BalloonRef, box: Rect): Promise<void> {
    const found = this.balloon(ref);
    if (!found) return;
    const tail =
      found.balloon.tailTip && found.balloon.pinned
        ? pointInCell(found.cell.frame, found.balloon.tailTip)
        : null;
    await this.#letter(ref.panelId, (p) => ({
      lettering: pinAt(p.lettering, ref.balloonId, boxInCell(found.cell.frame, box), tail),
    }));
  }

  /** The tail now ends at `tip` (page units); the balloon is pinned where it is. */
  async moveTail(ref: BalloonRef, tip: Point): Promise<void> {
    const found = this.balloon(ref);
    if (!found) return;
    const { frame } = found.cell;
    await this.#letter(ref.panelId, (p) => ({
      lettering: pinAt(
        p.lettering,
        ref.balloonId,
        boxInCell(frame, found.balloon.box),
        pointInCell(frame, tip),
      ),
    }));
  }

  async setPinned(ref: BalloonRef, pinned: boolean): Promise<void> {
    const found = this.balloon(ref);
    if (!found) return;
    const { frame } = found.cell;
    const tip = found.balloon.tailTip;
    await this.#letter(ref.panelId, (p) => ({
      lettering: pinned
        ? pinAt(
            p.lettering,
            ref.balloonId,
            boxInCell(frame, found.balloon.box),
            tip ? pointInCell(frame, tip) : null,
          )
        : unpin(p.lettering, ref.balloonId),
    }));
  }

  async setKind(ref: BalloonRef, kind: BalloonKind): Promise<void> {
    await this.#letter(ref.panelId, (p) => ({ lettering: rekinded(p.lettering, ref.balloonId, kind) }));
  }

  async retype(ref: BalloonRef, text: string): Promise<void> {
    if (!text.trim()) {
      this.#status = 'A balloon needs some text; to remove a line, delete it in the story editor.';
      return;
    }
    await this.#letter(ref.panelId, (p) => retyped(p, ref.balloonId, text));
  }

  /** Apply a change to one panel's words or lettering on screen, then store it. */
  async #letter(panelId: string, change: (p: Panel) => Partial<Panel>): Promise<void> {
    const source = this.#source;
    const panel = source?.panels.find((p) => p.id === panelId);
    if (!source || !panel) return;
    const changed: Panel = { ...panel, ...change(panel) };
    const next: Panel = { ...changed, lettering: liveLettering(changed) };
    this.#source = { ...source, panels: source.panels.map((p) => (p.id === panelId ? next : p)) };
    await this.#write(async () => {
      await readerService.saveLettering(panelId, {
        caption: next.caption,
        dialogue: next.dialogue,
        lettering: next.lettering,
      });
    });
  }

  /** Writes go one after another, in the order the artist made them. */
  #write(work: () => Promise<void>): Promise<void> {
    this.#pending++;
    const done = this.#saving.then(async () => {
      try {
        await work();
        this.#error = null;
        this.#status = 'Saved.';
      } catch (e) {
        this.#error = userMessage(e);
      } finally {
        this.#pending--;
      }
    });
    this.#saving = done;
    return done;
  }

  /** Wait for the writes in flight (tests, leaving the page). */
  idle(): Promise<void> {
    return this.#saving;
  }

  // ------------------------------------------------------------ rendering

  /** The pictures of one page's panels, for the renderer. */
  async #picturesOf(page: PageLayout): Promise<PagePicture[]> {
    const pictures: PagePicture[] = [];
    for (const cell of page.cells) {
      const picture = this.picture(cell.panelId);
      const blob = picture ? await readerService.image(picture.imageId) : null;
      if (blob) pictures.push({ panelId: cell.panelId, blob });
    }
    return pictures;
  }

  /**
   * The whole story as a comic file: a CBZ (ComicInfo.xml and the pages), a PDF (pictures as JPEG,
   * lettering as vectors where the bundled fonts cover it), every page as a PNG in a zip (named like
   * the CBZ's pages), or — for a webtoon — the strip as JPEG slices of at most 16 megapixels in a zip.
   * Returns the file and its name; progress per page, cancel through `signal`.
   */
  async exportComic(
    kind: 'cbz' | 'pdf' | 'pngs' | 'strip',
    dpi: number,
    signal?: AbortSignal,
    onProgress?: (p: ComicProgress) => void,
  ): Promise<{ blob: Blob; name: string; note: string }> {
    const story = this.story;
    if (!story) throw new Error('No story is open.');
    const pages: ComicPageSource[] = [];
    for (const page of this.pages)
      pages.push({ page: $state.snapshot(page) as PageLayout, pictures: await this.#picturesOf(page) });
    const names = [...new Set(this.panels.flatMap((p) => p.cast.map((m) => this.name(m.characterId))))];
    const info = {
      title: story.title,
      premise: story.premise,
      direction: story.layout.direction,
      characters: names,
    };
    const base = (story.title || 'story').replace(/[^\w-]+/g, '-');
    if (kind === 'cbz') {
      const blob = await comicCbz(info, pages, { dpi, signal, onProgress });
      return { blob, name: `${base}.cbz`, note: `${pages.length} pages as a CBZ at ${dpi} dpi.` };
    }
    if (kind === 'pdf') {
      const { blob, rasterLetteredPages } = await comicPdf(info, pages, { dpi, signal, onProgress });
      const raster = rasterLetteredPages.length
        ? ` The lettering of page ${rasterLetteredPages.map((i) => i + 1).join(', ')} uses letters the bundled fonts do not have, so it is part of the picture there.`
        : ' All lettering is vector text.';
      return { blob, name: `${base}.pdf`, note: `${pages.length} pages as a PDF at ${dpi} dpi.${raster}` };
    }
    if (kind === 'pngs') {
      const blob = await comicPagesZip(pages, dpi, { signal, onProgress });
      return {
        blob,
        name: `${base}-pages.zip`,
        note: `${pages.length} pages as PNG at ${dpi} dpi in a zip.`,
      };
    }
    const [strip] = pages;
    if (!strip || story.layout.direction !== 'webtoon') throw new Error('Only a webtoon story has a strip.');
    const slices = await webtoonStrip(strip, { dpi, signal, onProgress });
    return {
      blob: await zipFiles(slices, signal),
      name: `${base}-webtoon.zip`,
      note: `The strip as ${slices.length} JPEG slices at ${dpi} dpi.`,
    };
  }

  /** A PNG of page `index` at `dpi`, drawn from the same geometry as the screen. */
  async pagePng(index: number, dpi: number, signal?: AbortSignal): Promise<Blob> {
    const page = this.pages[index];
    if (!page) throw new Error(`There is no page ${index + 1}; this story has ${this.pages.length}.`);
    const pictures = await this.#picturesOf(page);
    const started = performance.now();
    const png = await renderPagePng($state.snapshot(page) as PageLayout, pictures, dpi, signal);
    performance.measure(PAGE_RENDER_MEASURE, { start: started, end: performance.now(), detail: { dpi } });
    return png;
  }
}

export const reader = new ReaderState();
