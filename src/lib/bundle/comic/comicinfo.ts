/**
 * `ComicInfo.xml` for a CBZ: the metadata comic readers (Komga, Kavita, CDisplayEx, Tachiyomi…) read
 * from the archive's root.
 *
 * Written against the ComicInfo v2.0 schema, anansi-project/comicinfo `schema/v2.0/ComicInfo.xsd`
 * (last changed in commit 75d00db57927bf6776717fc1060cb7f594186cb3; read at
 * 99e1453a163c777b4b5320a68732f6f133ac7918). The schema's root is an `xs:sequence`, so elements
 * must come in the order of `COMICINFO_SEQUENCE` below. The v2.1 draft (`drafts/v2.1/ComicInfo.xsd`,
 * commit 0b6e0124adcde99eaf75d20cc924cc0b7eaf607c) only adds optional elements (Translator, Tags,
 * StoryArcNumber, GTIN) and keeps the others in this order, so what is written here is valid v2.1 too.
 */
import type { ReadingDirection } from '../../domain/schema';

/** The root sequence of `ComicInfo`, in the XSD's order (name → XSD type). */
export const COMICINFO_SEQUENCE = [
  ['Title', 'string'],
  ['Series', 'string'],
  ['Number', 'string'],
  ['Count', 'int'],
  ['Volume', 'int'],
  ['AlternateSeries', 'string'],
  ['AlternateNumber', 'string'],
  ['AlternateCount', 'int'],
  ['Summary', 'string'],
  ['Notes', 'string'],
  ['Year', 'int'],
  ['Month', 'int'],
  ['Day', 'int'],
  ['Writer', 'string'],
  ['Penciller', 'string'],
  ['Inker', 'string'],
  ['Colorist', 'string'],
  ['Letterer', 'string'],
  ['CoverArtist', 'string'],
  ['Editor', 'string'],
  ['Publisher', 'string'],
  ['Imprint', 'string'],
  ['Genre', 'string'],
  ['Web', 'string'],
  ['PageCount', 'int'],
  ['LanguageISO', 'string'],
  ['Format', 'string'],
  ['BlackAndWhite', 'YesNo'],
  ['Manga', 'Manga'],
  ['Characters', 'string'],
  ['Teams', 'string'],
  ['Locations', 'string'],
  ['ScanInformation', 'string'],
  ['StoryArc', 'string'],
  ['SeriesGroup', 'string'],
  ['AgeRating', 'AgeRating'],
  ['Pages', 'ArrayOfComicPageInfo'],
  ['CommunityRating', 'Rating'],
  ['MainCharacterOrTeam', 'string'],
  ['Review', 'string'],
] as const;

export type ComicInfoElement = (typeof COMICINFO_SEQUENCE)[number][0];

export const YES_NO = ['Unknown', 'No', 'Yes'] as const;
export const MANGA_VALUES = ['Unknown', 'No', 'Yes', 'YesAndRightToLeft'] as const;
export const COMIC_PAGE_TYPES = [
  'FrontCover',
  'InnerCover',
  'Roundup',
  'Story',
  'Advertisement',
  'Editorial',
  'Letters',
  'Preview',
  'BackCover',
  'Other',
  'Deleted',
] as const;
export type ComicPageType = (typeof COMIC_PAGE_TYPES)[number];

export interface ComicInfoPage {
  /** Pixel size of the page's image file. */
  width: number;
  height: number;
  /** Default: the first page is `FrontCover`, every other `Story`. */
  type?: ComicPageType;
  /** Byte size of the image file, when known. */
  imageSize?: number;
  doublePage?: boolean;
}

export interface ComicInfoInput {
  title: string;
  /** The story's premise. */
  summary?: string;
  notes?: string;
  series?: string;
  number?: string;
  writer?: string;
  penciller?: string;
  letterer?: string;
  genre?: string;
  /** When the comic was made (the export date, or the story's). */
  date?: { year: number; month: number; day: number };
  /** A BCP 47 / ISO 639 code such as `en` or `ja`; omitted when unknown. */
  languageIso?: string;
  /** Free text: "Web Comic", "Digital"… */
  format?: string;
  direction: ReadingDirection;
  /** What to say for a story that does not read right to left (the app cannot tell manga from not). */
  mangaOtherwise?: 'Unknown' | 'No' | 'Yes';
  characters?: string[];
  pages: ComicInfoPage[];
}

// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// Iterating a string by code points yields lone surrogates as themselves, so they fall out too.
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Text safe inside an XML 1.0 element or a quoted attribute: the five markup characters escaped and
 * every character XML 1.0 does not allow (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/FFFF)
 * dropped. CR is written as a reference so a parser does not normalise it away.
 */
export function xmlText(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (!isXmlChar(cp)) continue;
    out += ESCAPES[ch] ?? (cp === 0xd ? '&#13;' : ch);
  }
  return out;
}

const xsInt = (n: number): string | null => {
  const i = Math.trunc(n);
  return Number.isFinite(n) && i >= -2147483648 && i <= 2147483647 ? String(i) : null;
};

/** The `Manga` value of a story: right-to-left stories are flipped by the reader. */
export function mangaValue(
  direction: ReadingDirection,
  otherwise: ComicInfoInput['mangaOtherwise'] = 'Unknown',
) {
  return direction === 'rtl' ? 'YesAndRightToLeft' : otherwise;
}

function pageElement(page: ComicInfoPage, index: number): string {
  const type = page.type ?? (index === 0 ? 'FrontCover' : 'Story');
  // Attributes in the XSD's order (order does not matter to XML, it keeps diffs readable).
  const attrs: [string, string | null][] = [
    ['Image', String(index)],
    ['Type', type],
    ['DoublePage', page.doublePage ? 'true' : null],
    ['ImageSize', page.imageSize !== undefined ? xsInt(page.imageSize) : null],
    ['ImageWidth', xsInt(page.width)],
    ['ImageHeight', xsInt(page.height)],
  ];
  const body = attrs
    .filter((a): a is [string, string] => a[1] !== null)
    .map(([k, v]) => `${k}="${xmlText(v)}"`)
    .join(' ');
  return `    <Page ${body} />`;
}

/** `ComicInfo.xml` (UTF-8, no BOM) for a comic made from a story. */
export function comicInfoXml(info: ComicInfoInput): string {
  const text = (v: string | undefined): string | null => {
    if (v === undefined) return null;
    const t = xmlText(v.trim());
    return t === '' ? null : t;
  };
  const values: Partial<Record<ComicInfoElement, string | null>> = {
    Title: text(info.title),
    Series: text(info.series),
    Number: text(info.number),
    Summary: text(info.summary),
    Notes: text(info.notes),
    Year: info.date ? xsInt(info.date.year) : null,
    Month: info.date ? xsInt(info.date.month) : null,
    Day: info.date ? xsInt(info.date.day) : null,
    Writer: text(info.writer),
    Penciller: text(info.penciller),
    Letterer: text(info.letterer),
    Genre: text(info.genre),
    PageCount: String(info.pages.length),
    LanguageISO: text(info.languageIso),
    Format: text(info.format),
    Manga: mangaValue(info.direction, info.mangaOtherwise),
    Characters: text(info.characters?.join(', ')),
  };
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<ComicInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
  ];
  for (const [name] of COMICINFO_SEQUENCE) {
    if (name === 'Pages') {
      if (info.pages.length === 0) continue;
      lines.push('  <Pages>', ...info.pages.map(pageElement), '  </Pages>');
      continue;
    }
    const v = values[name];
    if (v !== undefined && v !== null) lines.push(`  <${name}>${v}</${name}>`);
  }
  lines.push('</ComicInfo>', '');
  return lines.join('\n');
}
