/**
 * Lettering in the page's realm: load the bundled fonts (their @font-face rules come from the
 * @fontsource CSS imported in main.ts) before anything is measured, and measure lines with one
 * offscreen canvas. Text measured before the font arrives would be fitted to a fallback's widths.
 */
import { LETTERING_FAMILIES, LETTERING_WEIGHTS, cssFont, measureWeight } from '../layout/fonts';
import { LETTERING_FONTS, type LetteringFont, type TextMeasurer } from '../layout/types';

let loading: Promise<void> | null = null;

/**
 * Loads every bundled family and weight the lettering uses. Resolves even when a font fails (the
 * stack's fallbacks then letter the page), with a console warning; loads once per page.
 */
export function loadLetteringFonts(): Promise<void> {
  loading ??= (async () => {
    if (typeof document === 'undefined' || !document.fonts) return;
    const jobs = LETTERING_FONTS.flatMap((font) =>
      LETTERING_WEIGHTS[font].map(async (weight) => {
        const spec = `${weight} 16px '${LETTERING_FAMILIES[font]}'`;
        try {
          const faces = await document.fonts.load(spec);
          if (faces.length === 0)
            console.warn(`StoryLoom: the lettering font ${spec} is not available; using fallbacks.`);
        } catch (e) {
          console.warn(`StoryLoom: the lettering font ${spec} failed to load; using fallbacks.`, e);
        }
      }),
    );
    await Promise.all(jobs);
  })();
  return loading;
}

const CACHE_LIMIT = 4096;

/**
 * A `TextMeasurer` over one offscreen 2D context, memoised per (font, size, text) in a bounded
 * cache (the oldest entries leave first). Call after `loadLetteringFonts()`.
 */
export function canvasMeasurer(): TextMeasurer {
  const canvas =
    typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!ctx) throw new Error('This browser cannot measure text: a 2D canvas is not available.');
  const cache = new Map<string, number>();
  let current = '';
  return (text: string, font: LetteringFont, fontSize: number) => {
    const key = `${font}\u0000${fontSize}\u0000${text}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const shorthand = cssFont(font, fontSize, measureWeight(font));
    if (shorthand !== current) {
      ctx.font = shorthand;
      current = shorthand;
    }
    const width = ctx.measureText(text).width;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, width);
    return width;
  };
}
