// @vitest-environment jsdom
/**
 * ComicInfo.xml against the rules of anansi-project/comicinfo `schema/v2.0/ComicInfo.xsd`
 * (commit 75d00db57927bf6776717fc1060cb7f594186cb3), copied here by hand from the XSD — not from
 * the code under test — and checked on a document parsed by a real XML parser (jsdom's DOMParser).
 */
import { describe, expect, it } from 'vitest';
import { comicInfoXml, xmlText, type ComicInfoInput } from '../../src/lib/bundle/comic/comicinfo';

// <xs:complexType name="ComicInfo"><xs:sequence>: every element minOccurs=0 maxOccurs=1.
const XSD_SEQUENCE: [string, string][] = [
  ['Title', 'xs:string'],
  ['Series', 'xs:string'],
  ['Number', 'xs:string'],
  ['Count', 'xs:int'],
  ['Volume', 'xs:int'],
  ['AlternateSeries', 'xs:string'],
  ['AlternateNumber', 'xs:string'],
  ['AlternateCount', 'xs:int'],
  ['Summary', 'xs:string'],
  ['Notes', 'xs:string'],
  ['Year', 'xs:int'],
  ['Month', 'xs:int'],
  ['Day', 'xs:int'],
  ['Writer', 'xs:string'],
  ['Penciller', 'xs:string'],
  ['Inker', 'xs:string'],
  ['Colorist', 'xs:string'],
  ['Letterer', 'xs:string'],
  ['CoverArtist', 'xs:string'],
  ['Editor', 'xs:string'],
  ['Publisher', 'xs:string'],
  ['Imprint', 'xs:string'],
  ['Genre', 'xs:string'],
  ['Web', 'xs:string'],
  ['PageCount', 'xs:int'],
  ['LanguageISO', 'xs:string'],
  ['Format', 'xs:string'],
  ['BlackAndWhite', 'YesNo'],
  ['Manga', 'Manga'],
  ['Characters', 'xs:string'],
  ['Teams', 'xs:string'],
  ['Locations', 'xs:string'],
  ['ScanInformation', 'xs:string'],
  ['StoryArc', 'xs:string'],
  ['SeriesGroup', 'xs:string'],
  ['AgeRating', 'AgeRating'],
  ['Pages', 'ArrayOfComicPageInfo'],
  ['CommunityRating', 'Rating'],
  ['MainCharacterOrTeam', 'xs:string'],
  ['Review', 'xs:string'],
];
const ENUMS: Record<string, string[]> = {
  YesNo: ['Unknown', 'No', 'Yes'],
  Manga: ['Unknown', 'No', 'Yes', 'YesAndRightToLeft'],
  AgeRating: [
    'Unknown',
    'Adults Only 18+',
    'Early Childhood',
    'Everyone',
    'Everyone 10+',
    'G',
    'Kids to Adults',
    'M',
    'MA15+',
    'Mature 17+',
    'PG',
    'R18+',
    'Rating Pending',
    'Teen',
    'X18+',
  ],
};
const PAGE_TYPES = [
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
];
// <xs:complexType name="ComicPageInfo">: attributes only, Image required.
const PAGE_ATTRS: Record<string, string> = {
  Image: 'xs:int',
  Type: 'ComicPageType',
  DoublePage: 'xs:boolean',
  ImageSize: 'xs:long',
  Key: 'xs:string',
  Bookmark: 'xs:string',
  ImageWidth: 'xs:int',
  ImageHeight: 'xs:int',
};

const isInt = (s: string, bits: 32 | 64) =>
  /^[+-]?\d+$/.test(s.trim()) && (bits === 64 || (Number(s) >= -2147483648 && Number(s) <= 2147483647));

/** Problems of `xml` against the XSD's rules (empty = valid). */
function validate(xml: string): { errors: string[]; doc: Document } {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const errors: string[] = [];
  if (doc.getElementsByTagName('parsererror').length > 0) return { errors: ['not well-formed XML'], doc };
  const root = doc.documentElement;
  if (root.localName !== 'ComicInfo' || root.namespaceURI !== null)
    errors.push(`root must be ComicInfo in no namespace, got ${root.namespaceURI}:${root.localName}`);
  let last = -1;
  for (const el of Array.from(root.children)) {
    const at = XSD_SEQUENCE.findIndex(([n]) => n === el.localName);
    if (at < 0) {
      errors.push(`unknown element ${el.localName}`);
      continue;
    }
    if (at <= last) errors.push(`${el.localName} is out of the sequence's order (or repeated)`);
    last = at;
    if (el.namespaceURI !== null) errors.push(`${el.localName} must be in no namespace`);
    const type = XSD_SEQUENCE[at]![1];
    const value = el.textContent ?? '';
    if (type === 'xs:int' && !isInt(value, 32)) errors.push(`${el.localName} must be xs:int, got ${value}`);
    if (ENUMS[type] && !ENUMS[type].includes(value))
      errors.push(`${el.localName}=${value} is not in ${type}`);
    if (type === 'Rating' && !(/^\d+(\.\d{1,2})?$/.test(value) && Number(value) <= 5))
      errors.push(`CommunityRating ${value} is not a Rating`);
    if (type === 'xs:string' && el.children.length > 0) errors.push(`${el.localName} must hold text only`);
    if (type === 'ArrayOfComicPageInfo')
      for (const page of Array.from(el.children)) {
        if (page.localName !== 'Page') {
          errors.push(`Pages holds ${page.localName}`);
          continue;
        }
        if (!page.hasAttribute('Image')) errors.push('a Page lacks its required Image attribute');
        for (const attr of Array.from(page.attributes)) {
          const t = PAGE_ATTRS[attr.name];
          if (!t) errors.push(`Page has an unknown attribute ${attr.name}`);
          else if (t === 'xs:int' && !isInt(attr.value, 32)) errors.push(`Page ${attr.name} must be xs:int`);
          else if (t === 'xs:long' && !isInt(attr.value, 64))
            errors.push(`Page ${attr.name} must be xs:long`);
          else if (t === 'xs:boolean' && !['true', 'false', '1', '0'].includes(attr.value))
            errors.push(`Page ${attr.name} must be xs:boolean`);
          else if (t === 'ComicPageType' && !attr.value.split(/\s+/).every((v) => PAGE_TYPES.includes(v)))
            errors.push(`Page Type ${attr.value} is not a ComicPageType list`);
        }
      }
  }
  return { errors, doc };
}

const base: ComicInfoInput = {
  title: 'The Lighthouse',
  summary: 'Two keepers and a storm.',
  writer: 'Ada',
  penciller: 'StoryLoom',
  languageIso: 'en',
  format: 'Web Comic',
  date: { year: 2026, month: 12, day: 1 },
  direction: 'ltr',
  characters: ['Mira', 'Tom'],
  pages: [
    { width: 1654, height: 2339 },
    { width: 1654, height: 2339, imageSize: 123456 },
    { width: 1654, height: 2339 },
  ],
};

const child = (doc: Document, name: string) => doc.documentElement.getElementsByTagName(name)[0];

describe('comicInfoXml', () => {
  it('is valid against the v2.0 schema, in sequence order, with the pages listed cover first', () => {
    const { errors, doc } = validate(comicInfoXml(base));
    expect(errors).toEqual([]);
    const names = Array.from(doc.documentElement.children).map((e) => e.localName);
    expect(names).toEqual([
      'Title',
      'Summary',
      'Year',
      'Month',
      'Day',
      'Writer',
      'Penciller',
      'PageCount',
      'LanguageISO',
      'Format',
      'Manga',
      'Characters',
      'Pages',
    ]);
    expect(child(doc, 'PageCount')?.textContent).toBe('3');
    expect(child(doc, 'Manga')?.textContent).toBe('Unknown');
    const pages = Array.from(child(doc, 'Pages')!.children);
    expect(pages.map((p) => p.getAttribute('Image'))).toEqual(['0', '1', '2']);
    expect(pages.map((p) => p.getAttribute('Type'))).toEqual(['FrontCover', 'Story', 'Story']);
    expect(pages[1]!.getAttribute('ImageSize')).toBe('123456');
    expect(pages[0]!.getAttribute('ImageWidth')).toBe('1654');
    expect(pages[0]!.getAttribute('ImageHeight')).toBe('2339');
  });

  it('says YesAndRightToLeft for a right-to-left story', () => {
    const { errors, doc } = validate(comicInfoXml({ ...base, direction: 'rtl' }));
    expect(errors).toEqual([]);
    expect(child(doc, 'Manga')?.textContent).toBe('YesAndRightToLeft');
    expect(
      validate(comicInfoXml({ ...base, mangaOtherwise: 'No' })).doc.getElementsByTagName('Manga')[0]
        ?.textContent,
    ).toBe('No');
  });

  it('keeps hostile text as text: markup escaped, forbidden characters dropped, emoji and RTL marks kept', () => {
    const hostile =
      'A</Title><script>alert("x")</script>&amp; \'q\'\u0000\u0007\u001b\ud800\ufffe\uffff😀\u200f\u202eשלום\t\n';
    const { errors, doc } = validate(
      comicInfoXml({ ...base, title: hostile, summary: ']]> <![CDATA[ & <!-- -->', writer: '\u0001' }),
    );
    expect(errors).toEqual([]);
    expect(doc.getElementsByTagName('script')).toHaveLength(0);
    expect(child(doc, 'Title')?.textContent).toBe(
      'A</Title><script>alert("x")</script>&amp; \'q\'😀\u200f\u202eשלום',
    );
    expect(child(doc, 'Summary')?.textContent).toBe(']]> <![CDATA[ & <!-- -->');
    // A writer that is nothing but forbidden characters is left out, not written empty.
    expect(child(doc, 'Writer')).toBeUndefined();
  });

  it('the validator rejects what the schema rejects', () => {
    const bad = (xml: string) => validate(xml).errors;
    expect(bad('<ComicInfo><Summary>a</Summary><Title>b</Title></ComicInfo>')).toHaveLength(1);
    expect(bad('<ComicInfo><Manga>RightToLeft</Manga></ComicInfo>')).toHaveLength(1);
    expect(bad('<ComicInfo><PageCount>three</PageCount></ComicInfo>')).toHaveLength(1);
    expect(bad('<ComicInfo><Pages><Page Type="Cover"/></Pages></ComicInfo>')).toHaveLength(2);
    expect(bad('<ComicInfo><Title>a</Title')).toEqual(['not well-formed XML']);
  });

  it('xmlText escapes the five markup characters and keeps CR as a reference', () => {
    expect(xmlText(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&apos;');
    expect(xmlText('a\rb')).toBe('a&#13;b');
  });
});
