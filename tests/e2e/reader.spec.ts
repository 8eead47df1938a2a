/**
 * The reader in the real studio: a six-panel story with two characters and dialogue, made through
 * the story editor, laid out as comic pages with vector lettering. Geometry is read from the SVG the
 * reader draws (page units): every tail ends inside its speaker's region (and head zone), no balloon
 * covers a head zone, right to left mirrors the panel order, a webtoon is one column; a dragged and a
 * retyped balloon survive a reload; the page PNG has the size the DPI asks for and its balloon
 * outlines are dark where the SVG draws them; the keyboard turns the pages; the comic exports read
 * back: the CBZ (ComicInfo.xml parsed, pages in order), the PDF (pdf-lib), the webtoon's slices.
 */
import type { Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { PDFDocument } from 'pdf-lib';
import { createCharacter, createDialogueStory, HARBOUR_PANELS as PANELS } from './helpers/library';
import { expect, test } from './helpers/studio';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Geometry {
  pages: {
    index: number;
    width: number;
    height: number;
    cells: {
      panelId: string;
      order: number;
      frame: Box;
      regions: { characterId: string; box: Box }[];
      heads: { characterId: string; box: Box }[];
      balloons: {
        id: string;
        kind: string;
        speakerId: string;
        box: Box;
        tip: { x: number; y: number } | null;
      }[];
    }[];
  }[];
}

/** Everything the reader drew, from the SVG's data attributes (page units). */
function geometry(page: Page): Promise<Geometry> {
  return page.getByTestId('reader-stage').evaluate((stage) => {
    const box = (el: Element) => JSON.parse(el.getAttribute('data-box') ?? 'null');
    return {
      pages: [...stage.querySelectorAll('[data-testid="reader-page"]')].map((svg) => {
        const [, , width, height] = (svg.getAttribute('viewBox') ?? '0 0 0 0').split(' ').map(Number);
        return {
          index: Number(svg.getAttribute('data-page-index')),
          width: width!,
          height: height!,
          cells: [...svg.querySelectorAll('[data-testid="reader-cell"]')].map((g) => ({
            panelId: g.getAttribute('data-panel-id') ?? '',
            order: Number(g.getAttribute('data-order')),
            frame: JSON.parse(g.getAttribute('data-frame') ?? 'null'),
            regions: [...g.querySelectorAll('[data-testid="reader-region"]')].map((r) => ({
              characterId: r.getAttribute('data-character-id') ?? '',
              box: box(r),
            })),
            heads: [...g.querySelectorAll('[data-testid="reader-head-zone"]')].map((r) => ({
              characterId: r.getAttribute('data-character-id') ?? '',
              box: box(r),
            })),
            balloons: [...g.querySelectorAll('[data-testid="reader-balloon"]')].map((b) => ({
              id: b.getAttribute('data-balloon-id') ?? '',
              kind: b.getAttribute('data-kind') ?? '',
              speakerId: b.getAttribute('data-speaker-id') ?? '',
              box: box(b),
              tip: b.getAttribute('data-tip') ? JSON.parse(b.getAttribute('data-tip')!) : null,
            })),
          })),
        };
      }),
    };
  });
}

const EPS = 0.01;
const inside = (p: { x: number; y: number }, b: Box) =>
  p.x >= b.x - EPS && p.x <= b.x + b.w + EPS && p.y >= b.y - EPS && p.y <= b.y + b.h + EPS;
const overlap = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) *
  Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

function checkLettering(g: Geometry): number {
  let tails = 0;
  for (const p of g.pages)
    for (const c of p.cells) {
      for (const b of c.balloons) {
        expect(
          inside({ x: b.box.x, y: b.box.y }, c.frame) &&
            inside({ x: b.box.x + b.box.w, y: b.box.y + b.box.h }, c.frame),
          `balloon ${b.id} inside its panel`,
        ).toBe(true);
        for (const h of c.heads)
          expect(overlap(b.box, h.box), `balloon ${b.id} off the head of ${h.characterId}`).toBe(0);
        if (!b.speakerId) continue;
        expect(b.tip, `balloon ${b.id} has a tail`).not.toBeNull();
        const region = c.regions.find((r) => r.characterId === b.speakerId);
        expect(region, `the speaker of ${b.id} is drawn in the panel`).toBeDefined();
        expect(inside(b.tip!, region!.box), `tail of ${b.id} ends in its speaker's region`).toBe(true);
        const heads = c.heads.filter((h) => h.characterId === b.speakerId);
        expect(
          heads.some((h) => inside(b.tip!, h.box)),
          `tail of ${b.id} ends in its speaker's head zone`,
        ).toBe(true);
        tails++;
      }
    }
  return tails;
}

test('a six-panel story with dialogue: two pages of lettered panels, right to left, webtoon, edits that stay, a PNG that matches', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1000, height: 900 });
  await createCharacter(page, 'Mira', 3);
  await createCharacter(page, 'Bo', 4, 'black');
  const storyId = await createDialogueStory(page, 'Bells at the harbour', PANELS);

  await page.getByTestId('read-link').click();
  await expect(page).toHaveURL(new RegExp(`#/read/${storyId}$`));
  const reader = page.getByTestId('reader');
  await expect(reader).toHaveAttribute('data-pages', '2');

  // 1. Two pages, three panels each, in story order; every balloon lettered and placed by the rules.
  const ltr = await geometry(page);
  expect(ltr.pages).toHaveLength(1); // one page on screen (the window is narrow: no spreads)
  await expect(page.getByTestId('reader-position')).toHaveText('Page 1 of 2');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('reader-position')).toHaveText('Page 2 of 2');
  const second = await geometry(page);
  await page.keyboard.press('Home');
  await expect(page.getByTestId('reader-position')).toHaveText('Page 1 of 2');
  const all: Geometry = { pages: [...ltr.pages, ...second.pages] };
  expect(all.pages.map((p) => p.cells.length)).toEqual([3, 3]);
  const balloons = all.pages.flatMap((p) => p.cells.flatMap((c) => c.balloons));
  expect(balloons).toHaveLength(PANELS.reduce((n, p) => n + p.lines.length + (p.caption ? 1 : 0), 0));
  expect(balloons.filter((b) => b.kind === 'caption')).toHaveLength(2);
  expect(checkLettering(all)).toBe(7);
  // Reading order on a left-to-right page: the first panel is at the top left.
  const page1 = [...all.pages[0]!.cells].sort((a, b) => a.order - b.order);
  expect(page1[0]!.frame.y).toBeLessThanOrEqual(page1[1]!.frame.y + EPS);
  const lines = await page.getByTestId('reader-page').first().locator('tspan').allTextContents();
  expect(lines.join(' ')).toContain('Do you hear the bells?');

  // 2. Right to left: the same frames mirrored, read from the right.
  await page.getByTestId('reader-direction').selectOption('rtl');
  await expect(reader).toHaveAttribute('data-direction', 'rtl');
  const rtl = await geometry(page);
  for (const cell of rtl.pages[0]!.cells) {
    const same = all.pages[0]!.cells.find((c) => c.order === cell.order)!;
    expect(cell.panelId).toBe(same.panelId);
    expect(cell.frame.x).toBeCloseTo(rtl.pages[0]!.width - same.frame.x - same.frame.w, 1);
    expect(cell.frame.y).toBeCloseTo(same.frame.y, 1);
  }
  checkLettering(rtl);
  // The next page is to the left.
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByTestId('reader-position')).toHaveText('Page 2 of 2');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('reader-position')).toHaveText('Page 1 of 2');

  // 3. Webtoon: one long column, every panel the strip's width, in story order.
  await page.getByTestId('reader-direction').selectOption('webtoon');
  await expect(reader).toHaveAttribute('data-direction', 'webtoon');
  const strip = await geometry(page);
  expect(strip.pages).toHaveLength(1);
  const cells = [...strip.pages[0]!.cells].sort((a, b) => a.order - b.order);
  expect(cells).toHaveLength(6);
  for (const [i, c] of cells.entries()) {
    expect(c.frame.x).toBeCloseTo(cells[0]!.frame.x, 3);
    expect(c.frame.w).toBeCloseTo(cells[0]!.frame.w, 3);
    if (i > 0) expect(c.frame.y).toBeGreaterThan(cells[i - 1]!.frame.y + cells[i - 1]!.frame.h - EPS);
  }
  checkLettering(strip);
  await page.getByTestId('reader-direction').selectOption('ltr');
  await expect(reader).toHaveAttribute('data-direction', 'ltr');

  // 4. Edit: drag Mira's first balloon down and right, retype it; both survive a reload.
  await page.getByTestId('reader-edit').check();
  const balloon = page.locator('[data-testid="reader-balloon"][data-text="Do you hear the bells?"]');
  const before = JSON.parse((await balloon.getAttribute('data-box'))!) as Box;
  const body = balloon.getByTestId('reader-balloon-body');
  const rect = (await body.boundingBox())!;
  const svgRect = (await page.getByTestId('reader-page').first().boundingBox())!;
  const scale = svgRect.width / ltr.pages[0]!.width; // screen px per page unit
  await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2);
  await page.mouse.down();
  await page.mouse.move(rect.x + rect.width / 2 + 20 * scale, rect.y + rect.height / 2 + 30 * scale, {
    steps: 5,
  });
  await page.mouse.up();
  await expect(balloon).toHaveAttribute('data-pinned', 'true');
  const moved = JSON.parse((await balloon.getAttribute('data-box'))!) as Box;
  expect(moved.x).toBeCloseTo(before.x + 20, -1);
  expect(moved.y).toBeCloseTo(before.y + 30, -1);
  await page.getByTestId('reader-text').fill('Do you hear the bells ringing?');
  await page.getByTestId('reader-text').press('Enter');
  const retyped = page.locator('[data-testid="reader-balloon"][data-text="Do you hear the bells ringing?"]');
  await expect(retyped).toHaveCount(1);
  await page.getByTestId('reader-kind').selectOption('shout');
  await expect(retyped).toHaveAttribute('data-kind', 'shout');
  // What the artist sees before leaving: every edit is stored.
  await expect(page.getByTestId('reader-save-state')).toHaveAttribute('data-saving', 'false');
  await page.reload();
  await expect(reader).toHaveAttribute('data-pages', '2');
  const kept = page.locator('[data-testid="reader-balloon"][data-text="Do you hear the bells ringing?"]');
  await expect(kept).toHaveAttribute('data-pinned', 'true');
  await expect(kept).toHaveAttribute('data-kind', 'shout');
  const after = JSON.parse((await kept.getAttribute('data-box'))!) as Box;
  expect(after.x).toBeCloseTo(moved.x, 0);
  expect(after.y).toBeCloseTo(moved.y, 0);
  // The story editor sees the retyped line.
  await page.goto(`/#/story/${storyId}`);
  await expect(page.getByLabel('Line 1', { exact: true })).toHaveValue('Do you hear the bells ringing?');

  // 4b. Aim a tail by its handle: the tip stays where it was dropped; unpinned, the layout places it again.
  await page.goto(`/#/read/${storyId}`);
  await page.getByTestId('reader-edit').check();
  const lighthouse = page.locator(
    '[data-testid="reader-balloon"][data-text="Then who is on the lighthouse?"]',
  );
  await expect(lighthouse).toHaveAttribute('data-pinned', 'false');
  const cellFrame = JSON.parse(
    (await page
      .locator(`[data-testid="reader-cell"]:has([data-text="Then who is on the lighthouse?"])`)
      .getAttribute('data-frame'))!,
  ) as Box;
  const handle = (await lighthouse.getByTestId('reader-balloon-tail').boundingBox())!;
  const pageBox = (await page.getByTestId('reader-page').first().boundingBox())!;
  const unit = pageBox.width / ltr.pages[0]!.width;
  const target = { x: cellFrame.x + cellFrame.w * 0.8, y: cellFrame.y + cellFrame.h * 0.9 };
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(pageBox.x + target.x * unit, pageBox.y + target.y * unit, { steps: 5 });
  await page.mouse.up();
  await expect(lighthouse).toHaveAttribute('data-pinned', 'true');
  const tip = JSON.parse((await lighthouse.getAttribute('data-tip'))!) as { x: number; y: number };
  expect(tip.x).toBeCloseTo(target.x, -1);
  expect(tip.y).toBeCloseTo(target.y, -1);
  await page.getByTestId('reader-pin').uncheck();
  await expect(lighthouse).toHaveAttribute('data-pinned', 'false');
  checkLettering(await geometry(page));
  await page.getByTestId('reader-edit').uncheck();

  // 4c. A page template chosen by the artist decides how many panels its page holds; a wide window
  // shows two-page spreads (the first page alone); a swipe turns the page.
  await page.getByTestId('reader-template').selectOption({ label: '1 panel: Splash' });
  await expect(reader).toHaveAttribute('data-pages', '3');
  await page.setViewportSize({ width: 1400, height: 900 });
  await expect(page.getByTestId('reader-position')).toHaveText('Page 1 of 3');
  await page.keyboard.press('PageDown');
  await expect(page.getByTestId('reader-position')).toHaveText('Pages 2–3 of 3');
  expect((await geometry(page)).pages.map((p) => p.index)).toEqual([1, 2]);
  await page.keyboard.press('PageUp');
  await page.setViewportSize({ width: 1000, height: 900 });
  await page.getByTestId('reader-stage').evaluate((stage) => {
    const at = (type: string, x: number) =>
      stage.dispatchEvent(
        new PointerEvent(type, {
          clientX: x,
          clientY: 300,
          pointerId: 7,
          pointerType: 'touch',
          bubbles: true,
        }),
      );
    at('pointerdown', 600);
    at('pointerup', 420);
  });
  await expect(page.getByTestId('reader-position')).toHaveText('Page 2 of 3');
  await page.keyboard.press('Home');
  await expect(page.getByTestId('reader-position')).toHaveText('Page 1 of 3');
  await page.getByTestId('reader-template').selectOption({ index: 0 });
  await expect(reader).toHaveAttribute('data-pages', '2');

  // 4d. Margins are the story's: 20 mm puts the first frame 20 mm (75.6 units) from the edge, after a reload too.
  await page.getByTestId('reader-margin').fill('20');
  await page.getByTestId('reader-margin').dispatchEvent('change');
  const firstFrame = async () =>
    JSON.parse(
      (await page.locator('[data-testid="reader-cell"][data-order="0"]').first().getAttribute('data-frame'))!,
    ) as Box;
  await expect.poll(async () => (await firstFrame()).x).toBeCloseTo(20 * (96 / 25.4), 1);
  // What the artist sees before leaving: every edit is stored.
  await expect(page.getByTestId('reader-save-state')).toHaveAttribute('data-saving', 'false');
  await page.reload();
  await expect(reader).toHaveAttribute('data-pages', '2');
  expect((await firstFrame()).x).toBeCloseTo(20 * (96 / 25.4), 1);
  await page.getByTestId('reader-margin').fill('10');
  await page.getByTestId('reader-margin').dispatchEvent('change');
  await expect.poll(async () => (await firstFrame()).x).toBeCloseTo(10 * (96 / 25.4), 1);

  // 5. The page as a PNG at 150 dpi: A4 is 1240 × 1754 px; balloon outlines are dark where the SVG draws them.
  await page.goto(`/#/read/${storyId}`);
  await expect(reader).toHaveAttribute('data-pages', '2');
  await page.getByTestId('reader-dpi').selectOption('150');
  const download = page.waitForEvent('download');
  await page.getByTestId('reader-png').click();
  const file = await (await download).path();
  const png = await readFile(file!);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1240, 1754]);
  const samples = await page
    .getByTestId('reader-page')
    .first()
    .evaluate(
      async (svg, bytes) => {
        const s = 150 / 96;
        const image = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(image.width, image.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(image, 0, 0);
        const dark = (x: number, y: number) => {
          // Any dark pixel within 2 px: the stroke is about 3 px wide at 150 dpi.
          const d = ctx.getImageData(Math.round(x * s) - 2, Math.round(y * s) - 2, 5, 5).data;
          for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! < 200) return true;
          return false;
        };
        let on = 0;
        let off = 0;
        let n = 0;
        for (const path of svg.querySelectorAll<SVGPathElement>('[data-testid="reader-balloon-body"]')) {
          const length = path.getTotalLength();
          const box = path.getBBox();
          const cx = box.x + box.width / 2;
          const cy = box.y + box.height / 2;
          for (let k = 0; k < 24; k++) {
            const p = path.getPointAtLength((length * k) / 24);
            n++;
            if (dark(p.x, p.y)) on++;
            // 12 units further out from the balloon's centre: outside the outline, on the empty panel.
            const d = Math.hypot(p.x - cx, p.y - cy) || 1;
            if (dark(p.x + ((p.x - cx) / d) * 12, p.y + ((p.y - cy) / d) * 12)) off++;
          }
        }
        return { n, on, off };
      },
      [...png],
    );
  expect(samples.n).toBeGreaterThanOrEqual(24 * 3);
  expect(samples.on / samples.n).toBeGreaterThan(0.95);
  expect(samples.off / samples.n).toBeLessThan(0.3);

  // 6. The comic files, at 150 dpi: a CBZ (ComicInfo.xml at the root, parsed; pages flat and in
  // order, each the page's size) and a PDF (read back with pdf-lib: two A4 pages).
  const saved = async (testid: string) => {
    const next = page.waitForEvent('download');
    await page.getByTestId(testid).click();
    const d = await next;
    return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
  };
  const cbz = await saved('reader-cbz');
  expect(cbz.name).toBe('Bells-at-the-harbour.cbz');
  const cbzFiles = unzipSync(new Uint8Array(cbz.bytes));
  expect(Object.keys(cbzFiles)).toEqual(['ComicInfo.xml', '001.png', '002.png']);
  for (const name of ['001.png', '002.png']) {
    const bytes = Buffer.from(cbzFiles[name]!);
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], name).toEqual([1240, 1754]);
  }
  // "All pages as PNG": a zip of the pages named like the CBZ's, in order, each a PNG of the page's size.
  const pngs = await saved('reader-pngs');
  expect(pngs.name).toBe('Bells-at-the-harbour-pages.zip');
  await expect(page.getByTestId('reader-render-note')).toHaveText('2 pages as PNG at 150 dpi in a zip.');
  const pngFiles = unzipSync(new Uint8Array(pngs.bytes));
  expect(Object.keys(pngFiles)).toEqual(['001.png', '002.png']);
  for (const name of ['001.png', '002.png']) {
    const bytes = Buffer.from(pngFiles[name]!);
    expect(bytes.subarray(0, 8).toString('hex'), name).toBe('89504e470d0a1a0a');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], name).toEqual([1240, 1754]);
  }
  const info = await page.evaluate((xml) => {
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    const text = (tag: string) => doc.querySelector(tag)?.textContent ?? null;
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.nodeName,
      title: text('Title'),
      pageCount: text('PageCount'),
      manga: text('Manga'),
      pages: [...doc.querySelectorAll('Pages > Page')].map((p) => [
        p.getAttribute('Image'),
        p.getAttribute('Type'),
      ]),
    };
  }, new TextDecoder().decode(cbzFiles['ComicInfo.xml']));
  expect(info).toEqual({
    error: null,
    root: 'ComicInfo',
    title: 'Bells at the harbour',
    pageCount: '2',
    manga: expect.stringMatching(/^(No|Unknown)$/),
    pages: [
      ['0', 'FrontCover'],
      ['1', 'Story'],
    ],
  });
  const pdf = await saved('reader-pdf');
  expect(pdf.name).toBe('Bells-at-the-harbour.pdf');
  const doc = await PDFDocument.load(new Uint8Array(pdf.bytes));
  expect(doc.getPageCount()).toBe(2);
  for (const p of doc.getPages()) {
    expect(p.getWidth()).toBeCloseTo(595.28, 0);
    expect(p.getHeight()).toBeCloseTo(841.89, 0);
  }
  await expect(page.getByTestId('reader-render-note')).toContainText('All lettering is vector text.');

  // 7. A webtoon's strip: JPEG slices of at most 16 megapixels, in order, together the strip's height.
  await page.getByTestId('reader-direction').selectOption('webtoon');
  await expect(reader).toHaveAttribute('data-direction', 'webtoon');
  const stripHeight = (await geometry(page)).pages[0]!.height;
  const stripFile = await saved('reader-strip');
  const slices = unzipSync(new Uint8Array(stripFile.bytes));
  const sliceNames = Object.keys(slices);
  expect(sliceNames.length).toBeGreaterThanOrEqual(1);
  expect(sliceNames).toEqual(sliceNames.map((_, i) => `${String(i + 1).padStart(3, '0')}.jpg`));
  const sizes = await page.evaluate(
    async (all) => {
      const out: [number, number][] = [];
      for (const bytes of all) {
        const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }));
        out.push([bitmap.width, bitmap.height]);
        bitmap.close();
      }
      return out;
    },
    sliceNames.map((n) => [...slices[n]!]),
  );
  for (const [w, h] of sizes) {
    expect(w).toBe(Math.round(800 * (150 / 96)));
    expect(w * h).toBeLessThanOrEqual(16_000_000);
  }
  expect(sizes.reduce((n, [, h]) => n + h, 0)).toBeCloseTo(stripHeight * (150 / 96), -1);
  await page.getByTestId('reader-direction').selectOption('ltr');
  expect(errors).toEqual([]);
});
