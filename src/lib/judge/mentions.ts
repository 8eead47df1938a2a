/**
 * Does a caption mention a phrase? A small matcher for Florence-2's English captions, written for
 * the caption checks (caption.ts) and nothing more; no NLP library.
 *
 * How a caption is read:
 *   - Words are runs of letters and digits, lower-cased. "'s" is dropped ("girl's" → "girl"), other
 *     apostrophes are removed ("isn't" → "isnt"); a hyphen separates words ("wide-eyed").
 *   - . ! ? ; : end a sentence: a phrase never matches across one. A comma or dash is a pause:
 *     negation does not reach across it.
 *   - Every word gets a comparison form (`stem`): British spellings folded (harbour → harbor,
 *     grey → gray), irregular plurals made singular (people → person, women → woman), then plural
 *     -s / -es / -ies, -ing and -ed stripped (a doubled final consonant undone: sitting → sit) and a
 *     final -e dropped, so "smile", "smiles" and "smiling" meet. Nouns that only look inflected
 *     (morning, evening, building, …) are kept. Phrases are stemmed the same way, so this needs to
 *     be consistent, not linguistically right.
 *   - Articles, forms of "to be" and possessive pronouns (a, the, is, her, their, …) are skipped
 *     when matching, so "her arms are crossed" matches "arms crossed".
 * A phrase matches a run of consecutive remaining words, whole words only, inside one sentence and
 * not across a comma; a `*` in a phrase stands for up to two words ("red * hair" matches "red
 * curly hair").
 * A match is negated when one of no / not / without / never / nobody … stands at most three words
 * before it, in the same sentence and not across a comma ("there are no people", "not smiling").
 * Counting (countStatements): a number word or digit, or "a"/"an", at most three words before a
 * figure noun; lists joined by "and" or commas add up ("a girl and a fox" is 2).
 * Known limits: homographs and the suffix rules merge some words ("waves" of the sea count as
 * waving, "site" as "sit"), and a mention is not tied to one character when several are shown.
 */

export interface CaptionWord {
  /** As written, lower-cased, apostrophes removed. */
  word: string;
  /** Comparison form (see the top of this file). */
  stem: string;
  /** Skipped when phrases are matched: articles, "to be", possessive pronouns. */
  stop: boolean;
  sentence: number;
  /** A comma or dash stands right before this word. */
  afterPause: boolean;
  /** Offsets in the caption, for excerpts. */
  start: number;
  end: number;
}

export interface AnalysedCaption {
  text: string;
  words: CaptionWord[];
}

export interface Mention {
  /** Indices into `words`, end exclusive. */
  start: number;
  end: number;
  negated: boolean;
  excerpt: string;
}

const SPELLING: Readonly<Record<string, string>> = {
  harbour: 'harbor',
  colour: 'color',
  grey: 'gray',
  centre: 'center',
  theatre: 'theater',
  neighbour: 'neighbor',
};

const IRREGULAR: Readonly<Record<string, string>> = {
  people: 'person',
  persons: 'person',
  men: 'man',
  women: 'woman',
  children: 'child',
  feet: 'foot',
  teeth: 'tooth',
  mice: 'mouse',
  geese: 'goose',
  wolves: 'wolf',
  leaves: 'leaf',
  lying: 'lie',
  dying: 'die',
  tying: 'tie',
};

/** Words whose ending is part of the noun, not an inflection. */
const KEEP = new Set([
  'morning',
  'evening',
  'ceiling',
  'building',
  'clothing',
  'painting',
  'wedding',
  'nothing',
  'something',
  'anything',
  'everything',
  'string',
  'spring',
  'news',
  'series',
  'species',
]);

const STOP = new Set([
  'a',
  'an',
  'the',
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'being',
  'am',
  'his',
  'her',
  'hers',
  'their',
  'its',
  'this',
  'that',
  'these',
  'those',
  'there',
]);

const NEGATORS = new Set([
  'no',
  'not',
  'without',
  'never',
  'nor',
  'neither',
  'nobody',
  'none',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'doesnt',
  'dont',
  'didnt',
  'cannot',
  'cant',
]);
const NEGATION_REACH = 3;
const MAX_GAP = 2;
const EXCERPT_CONTEXT = 3;
const EXCERPT_MAX = 100;

/** b, d, g, m, n, p, r, t doubled before -ing / -ed (l, s, z stay: falling → fall, kiss). */
const undouble = (w: string) => (/([bdgmnprt])\1$/.test(w) ? w.slice(0, -1) : w);

/** The comparison form of one lower-case word. */
export function stem(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular) return irregular;
  let w = word;
  if (KEEP.has(w) || w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|sh|ch|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  w = SPELLING[w] ?? w;
  if (KEEP.has(w)) return w;
  if (w.endsWith('ing') && w.length >= 6) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length >= 5) w = undouble(w.slice(0, -2));
  w = SPELLING[w] ?? w;
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[.!?;:]|[,—–]/gu;

function clean(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/['’]s$/, '')
    .replace(/['’]/g, '');
}

export function analyseCaption(text: string): AnalysedCaption {
  const words: CaptionWord[] = [];
  let sentence = 0;
  let pause = false;
  for (const m of text.matchAll(TOKEN)) {
    const raw = m[0];
    if (/^[.!?;:]$/.test(raw)) {
      if (words.length && words[words.length - 1]!.sentence === sentence) sentence++;
      pause = false;
      continue;
    }
    if (/^[,—–]$/.test(raw)) {
      pause = true;
      continue;
    }
    const word = clean(raw);
    const start = m.index;
    words.push({
      word,
      stem: stem(word),
      stop: STOP.has(word),
      sentence,
      afterPause: pause,
      start,
      end: start + raw.length,
    });
    pause = false;
  }
  return { text, words };
}

const GAP = '*';

/** A phrase as stems, with `*` kept as a gap; stop words dropped. */
export function compilePhrase(phrase: string): string[] {
  return phrase
    .replace(/-/g, ' ')
    .split(/\s+/)
    .flatMap((part) => {
      if (part === GAP) return [GAP];
      const m = part.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/u);
      if (!m) return [];
      const w = clean(m[0]);
      return STOP.has(w) ? [] : [stem(w)];
    });
}

/** Index (into the content words) where `pattern` ends when it matches from `i`, else -1. */
function matchFrom(
  content: readonly CaptionWord[],
  i: number,
  pattern: readonly string[],
  p: number,
  sentence: number,
): number {
  if (p === pattern.length) return i;
  if (pattern[p] === GAP) {
    for (let skip = 0; skip <= MAX_GAP; skip++) {
      const at = i + skip;
      const skipped = content[at - 1];
      if (skip > 0 && (skipped?.sentence !== sentence || skipped.afterPause)) break;
      const end = matchFrom(content, at, pattern, p + 1, sentence);
      if (end >= 0) return end;
    }
    return -1;
  }
  const w = content[i];
  if (!w || w.sentence !== sentence || w.stem !== pattern[p] || (p > 0 && w.afterPause)) return -1;
  return matchFrom(content, i + 1, pattern, p + 1, sentence);
}

/** A negator among the three content words before `i`, in its sentence, with no pause between. */
function negatedAt(words: readonly CaptionWord[], i: number): boolean {
  const sentence = words[i]!.sentence;
  let seen = 0;
  for (let j = i - 1; j >= 0 && seen < NEGATION_REACH; j--) {
    if (words[j + 1]!.afterPause || words[j]!.sentence !== sentence) return false;
    if (NEGATORS.has(words[j]!.word)) return true;
    if (!words[j]!.stop) seen++;
  }
  return false;
}

/** The words around `[first, last]` (indices into `words`) in their sentence, in the caption's own spelling. */
export function excerpt(caption: AnalysedCaption, first: number, last: number): string {
  const { words, text } = caption;
  const sentence = words[first]!.sentence;
  let a = first;
  while (a > 0 && a > first - EXCERPT_CONTEXT && words[a - 1]!.sentence === sentence) a--;
  let b = last;
  while (b < words.length - 1 && b < last + EXCERPT_CONTEXT && words[b + 1]!.sentence === sentence) b++;
  let s = text.slice(words[a]!.start, words[b]!.end);
  if (s.length > EXCERPT_MAX) s = `${s.slice(0, EXCERPT_MAX - 1)}…`;
  const before = a > 0 && words[a - 1]!.sentence === sentence;
  const after = b < words.length - 1 && words[b + 1]!.sentence === sentence;
  return `${before ? '…' : ''}${s}${after ? '…' : ''}`;
}

/** Every occurrence of `phrase` in the caption, negated ones included, in reading order. */
export function findMentions(caption: AnalysedCaption, phrase: string): Mention[] {
  const pattern = compilePhrase(phrase);
  const head = pattern.findIndex((p) => p !== GAP);
  if (head < 0) return [];
  const trimmed = pattern.slice(head);
  const index = caption.words.flatMap((w, i) => (w.stop ? [] : [i]));
  const content = index.map((i) => caption.words[i]!);
  const out: Mention[] = [];
  for (let i = 0; i < content.length; i++) {
    if (content[i]!.stem !== trimmed[0]) continue;
    const end = matchFrom(content, i, trimmed, 0, content[i]!.sentence);
    if (end < 0) continue;
    const start = index[i]!;
    const stop = index[end - 1]! + 1;
    out.push({
      start,
      end: stop,
      negated: negatedAt(caption.words, start),
      excerpt: excerpt(caption, start, stop - 1),
    });
  }
  return out;
}

/** The first mention of any of the phrases that is not negated, or null. */
export function firstMention(caption: AnalysedCaption, phrases: readonly string[]): Mention | null {
  let best: Mention | null = null;
  for (const phrase of phrases) {
    const hit = findMentions(caption, phrase).find((m) => !m.negated);
    if (hit && (!best || hit.start < best.start)) best = hit;
  }
  return best;
}

// ----------------------------------------------------------------- counting

const NUMBERS: Readonly<Record<string, number>> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  both: 2,
  couple: 2,
  pair: 2,
  trio: 3,
};
/** "a girl": one, but only implied; several of them with different nouns add up. */
const SINGULAR = new Set(['a', 'an', 'single', 'lone']);
/** Words allowed between a number and its noun: "two young women", "a couple of people". */
const NOUN_REACH = 3;

export interface CountStatement {
  value: number;
  /** Said with a number word, a digit or a list ("a girl and a fox"); false for a lone "a girl". */
  explicit: boolean;
  /** Stem of the (last) noun counted. */
  noun: string;
  excerpt: string;
  /** Indices into `words`, end exclusive. */
  start: number;
  end: number;
}

function quantity(word: string): { value: number; explicit: boolean } | null {
  if (/^\d+$/.test(word)) return { value: Number(word), explicit: true };
  const n = NUMBERS[word];
  if (n !== undefined) return { value: n, explicit: true };
  return SINGULAR.has(word) ? { value: 1, explicit: false } : null;
}

const isPlural = (w: CaptionWord) => w.word !== w.stem && (w.word in IRREGULAR || w.word.endsWith('s'));

/**
 * How many figures the caption says there are: "two girls" (2), "a man and a woman" (2, a list),
 * "a girl" (1, implied). `figures` are the stems of the nouns that count (person, girl, fox, …).
 */
export function countStatements(caption: AnalysedCaption, figures: ReadonlySet<string>): CountStatement[] {
  const { words } = caption;
  const found: CountStatement[] = [];
  for (let i = 0; i < words.length; i++) {
    const q = quantity(words[i]!.word);
    if (!q || negatedAt(words, i)) continue;
    for (let j = i + 1; j < words.length && j <= i + NOUN_REACH; j++) {
      const w = words[j]!;
      if (w.sentence !== words[i]!.sentence || w.afterPause || quantity(w.word) || w.word === 'and') break;
      if (!figures.has(w.stem)) continue;
      if (!q.explicit && isPlural(w)) break;
      found.push({ ...q, noun: w.stem, start: i, end: j + 1, excerpt: '' });
      break;
    }
  }
  // Lists: "a girl and a fox", "a boy, a girl and a dog".
  const merged: CountStatement[] = [];
  for (const s of found) {
    const prev = merged[merged.length - 1];
    const joined =
      prev &&
      words[s.start]!.sentence === words[prev.start]!.sentence &&
      ((s.start === prev.end + 1 && words[prev.end]!.word === 'and') ||
        (s.start === prev.end && words[s.start]!.afterPause));
    if (prev && joined) {
      merged[merged.length - 1] = {
        ...prev,
        value: prev.value + s.value,
        explicit: true,
        noun: s.noun,
        end: s.end,
      };
    } else merged.push(s);
  }
  return merged.map((s) => ({ ...s, excerpt: excerpt(caption, s.start, s.end - 1) }));
}

/** Mentions of a figure noun that are not negated ("no people" is not a person in the picture). */
export function figureMentions(caption: AnalysedCaption, figures: ReadonlySet<string>): Mention[] {
  const out: Mention[] = [];
  caption.words.forEach((w, i) => {
    if (!figures.has(w.stem) || negatedAt(caption.words, i)) return;
    out.push({ start: i, end: i + 1, negated: false, excerpt: excerpt(caption, i, i) });
  });
  return out;
}
