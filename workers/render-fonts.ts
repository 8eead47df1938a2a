/**
 * The lettering fonts inside the render worker. A worker has no stylesheet, so the @font-face
 * rules of the @fontsource CSS (main.ts) are repeated here as FontFace objects over the same
 * woff2 files, imported through Vite (`?url`: the files ship hashed in dist/, nothing comes from a
 * font host). Unicode ranges are copied from each package's unicode.json (5.3.0).
 */
import comicNeue400 from '@fontsource/comic-neue/files/comic-neue-latin-400-normal.woff2?url';
import comicNeue700 from '@fontsource/comic-neue/files/comic-neue-latin-700-normal.woff2?url';
import bangersLatin from '@fontsource/bangers/files/bangers-latin-400-normal.woff2?url';
import bangersLatinExt from '@fontsource/bangers/files/bangers-latin-ext-400-normal.woff2?url';
import bangersVietnamese from '@fontsource/bangers/files/bangers-vietnamese-400-normal.woff2?url';
import { LETTERING_FAMILIES } from '../src/lib/layout/fonts';

const LATIN =
  'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+0304,U+0308,U+0329,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD';
const LATIN_EXT =
  'U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+0304,U+0308,U+0329,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF';
const VIETNAMESE =
  'U+0102-0103,U+0110-0111,U+0128-0129,U+0168-0169,U+01A0-01A1,U+01AF-01B0,U+0300-0301,U+0303-0304,U+0308-0309,U+0323,U+0329,U+1EA0-1EF9,U+20AB';

const FACES: { family: string; weight: string; url: string; unicodeRange: string }[] = [
  { family: LETTERING_FAMILIES.dialogue, weight: '400', url: comicNeue400, unicodeRange: LATIN },
  { family: LETTERING_FAMILIES.dialogue, weight: '700', url: comicNeue700, unicodeRange: LATIN },
  { family: LETTERING_FAMILIES.display, weight: '400', url: bangersLatin, unicodeRange: LATIN },
  { family: LETTERING_FAMILIES.display, weight: '400', url: bangersLatinExt, unicodeRange: LATIN_EXT },
  { family: LETTERING_FAMILIES.display, weight: '400', url: bangersVietnamese, unicodeRange: VIETNAMESE },
];

let loading: Promise<void> | null = null;

/** Adds and loads every bundled face once; a face that fails is warned about and skipped. */
export function loadWorkerFonts(): Promise<void> {
  loading ??= Promise.all(
    FACES.map(async ({ family, weight, url, unicodeRange }) => {
      try {
        const face = new FontFace(family, `url(${JSON.stringify(new URL(url, self.location.href).href)})`, {
          weight,
          style: 'normal',
          unicodeRange,
        });
        self.fonts.add(face);
        await face.load();
      } catch (e) {
        console.warn(
          `StoryLoom: the lettering font ${family} ${weight} did not load in the render worker; using fallbacks.`,
          e,
        );
      }
    }),
  ).then(() => undefined);
  return loading;
}
