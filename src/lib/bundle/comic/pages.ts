/**
 * Page file names inside a comic archive: flat (no folders: some readers ignore or mis-sort them),
 * zero-padded to the page count's width and at least three digits, so a plain name sort is the
 * reading order. The cover is page 1. For a right-to-left story the files stay in reading order
 * too (page 1 first): readers flip the presentation from `Manga=YesAndRightToLeft`.
 */
export type PageImageExtension = 'png' | 'jpg';

/** Digits of the page numbers of a comic of `count` pages (at least 3: `001`). */
export function pageNumberWidth(count: number): number {
  return Math.max(3, String(Math.max(1, Math.trunc(count))).length);
}

/** The file name of the page at 0-based `index` in reading order, e.g. `001.png`. */
export function pageFileName(index: number, count: number, ext: PageImageExtension): string {
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new RangeError(`A page index must be 0…${count - 1}, got ${index}.`);
  return `${String(index + 1).padStart(pageNumberWidth(count), '0')}.${ext}`;
}

/** The names of all `count` pages in archive order (= reading order, cover first). */
export function pageFileNames(count: number, ext: PageImageExtension): string[] {
  return Array.from({ length: count }, (_, i) => pageFileName(i, count, ext));
}
