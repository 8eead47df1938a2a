/**
 * Caption checks: what the panel spec asks for, looked up in Florence-2's own description of the
 * picture.
 *
 * Why a caption and not questions. Florence-2-base-ft answers no free-form questions:
 *   - The Hugging Face fine-tuning blog: "The authors report that Florence 2 can perform visual
 *     question answering (VQA), but the released models don't include VQA capability."
 *     (https://huggingface.co/blog/finetune-florence2)
 *   - Its task tables (transformers' processing_florence2.py, the model's preprocessor_config.json)
 *     know only <OCR>, <OCR_WITH_REGION>, <CAPTION>, <DETAILED_CAPTION>, <MORE_DETAILED_CAPTION>,
 *     <OD>, <DENSE_REGION_CAPTION>, <REGION_PROPOSAL>, <CAPTION_TO_PHRASE_GROUNDING>,
 *     <REGION_TO_CATEGORY>, <REGION_TO_DESCRIPTION>, … — no question answering.
 *   - transformers.js 4.3.1 sends text that is no task token to the model as it is
 *     (models/florence2/processing_florence2.js, construct_prompts), so a yes/no question was an
 *     out-of-distribution prompt and its "answer" noise.
 * So the judge asks for <MORE_DETAILED_CAPTION> once per panel and checks here whether the caption
 * mentions what the spec asks for (matcher: mentions.ts), and it grounds each character's
 * descriptor with <CAPTION_TO_PHRASE_GROUNDING> (placement.ts). Both are soft by default: a
 * caption that leaves something out is weak evidence that it is missing.
 *
 * Items, from the spec; ids `caption#<topic>` or `caption#<topic>@<characterId>`:
 *   expression, pose  per cast member: the vocabulary's check phrase and a few synonyms (below)
 *   hair              per cast member whose hair names a colour: "<colour> … hair" for that colour family
 *   species           per cast member whose species is not just "person"
 *   location          one part per content word of the scene's location, each with a few synonyms
 *   time              the time of day and its usual words ("sunset" for dusk, "moon" for night)
 *   count             the number of figures the caption states (mentions.ts countStatements)
 * Score: the share of an item's parts the caption mentions, not negated; all items but the
 * location have one part and score 0 or 1. Count scores 1 when the stated number is the cast size
 * (for an empty cast: when no figure is mentioned), else 0.
 */
import { EXPRESSIONS, POSES, findTerm } from '../domain';
import type { Character, ExpressionId, Panel, PoseId, RegionBox, TimeOfDay } from '../domain';
import { compilePhrase, countStatements, figureMentions, findMentions, firstMention } from './mentions';
import type { AnalysedCaption, Mention } from './mentions';

export type CaptionTopic = 'expression' | 'pose' | 'hair' | 'species' | 'location' | 'time' | 'count';

interface ItemBase {
  /** `caption#<topic>` or `caption#<topic>@<characterId>`. */
  id: string;
  label: string;
  characterId: string | null;
  box: RegionBox | null;
}

export interface MentionItem extends ItemBase {
  topic: Exclude<CaptionTopic, 'count'>;
  /** A part is mentioned when any of its phrases is (`*` = up to two words). */
  parts: readonly (readonly string[])[];
}

export interface CountItem extends ItemBase {
  topic: 'count';
  expected: number;
  /** Stems of the nouns that count as a figure. */
  figures: readonly string[];
}

export type CaptionItem = MentionItem | CountItem;

// ---------------------------------------------------------------- the words

const EXPRESSION_WORDS: Readonly<Record<ExpressionId, readonly string[]>> = {
  neutral: ['expressionless', 'blank expression', 'calm expression', 'serious expression'],
  smiling: ['smiling', 'smile', 'grin', 'happy', 'cheerful', 'joyful'],
  laughing: ['laughing', 'laugh', 'giggle'],
  sad: ['sad', 'sadness', 'unhappy', 'sorrowful', 'melancholy', 'downcast'],
  crying: ['crying', 'tears', 'tearful', 'weeping', 'sobbing'],
  angry: ['angry', 'anger', 'furious', 'frowning', 'scowling', 'furrowed'],
  surprised: ['surprised', 'shocked', 'astonished', 'amazed', 'wide eyes'],
  scared: ['scared', 'afraid', 'frightened', 'fearful', 'terrified'],
  disgusted: ['disgusted', 'disgust', 'grimace', 'repulsed'],
  confused: ['confused', 'puzzled', 'perplexed', 'confusion'],
  determined: ['determined', 'determination', 'focused', 'resolute'],
  embarrassed: ['embarrassed', 'blushing', 'sheepish', 'shy'],
};

const POSE_WORDS: Readonly<Record<PoseId, readonly string[]>> = {
  standing: ['standing', 'upright'],
  walking: ['walking', 'strolling', 'mid stride'],
  running: ['running', 'sprinting', 'jogging'],
  jumping: ['jumping', 'leaping', 'in the air', 'mid air'],
  sitting: ['sitting', 'seated'],
  'sitting-on-ground': ['sitting on the ground', 'sitting on the floor', 'sitting', 'seated'],
  kneeling: ['kneeling', 'on one knee', 'on knees'],
  crouching: ['crouching', 'crouched', 'squatting'],
  'lying-down': ['lying', 'laying', 'reclining'],
  leaning: ['leaning'],
  waving: ['waving', 'waves * hand'],
  pointing: ['pointing', 'outstretched finger'],
  'arms-crossed': ['crossed arms', 'arms folded', 'folded arms', 'crossing * arms'],
  'hands-on-hips': ['hands on hips', 'hand on hip'],
  'reaching-out': ['reaching', 'outstretched arm'],
  'holding-object': ['holding'],
  carrying: ['carrying'],
  hugging: ['hugging', 'embracing', 'embrace'],
  'fighting-stance': ['fighting stance', 'fists raised', 'raised fists', 'fighting', 'combat stance'],
  dancing: ['dancing', 'dance'],
  climbing: ['climbing'],
  falling: ['falling', 'tumbling'],
  'looking-back': ['looking back', 'over * shoulder'],
  bowing: ['bowing'],
  reading: ['reading'],
  'eating-drinking': ['eating', 'drinking', 'sipping'],
  thinking: ['thinking', 'thoughtful', 'pensive', 'pondering'],
  celebrating: ['celebrating', 'raised arms', 'arms in the air', 'arms up', 'cheering'],
};

const TIME_WORDS: Readonly<Record<TimeOfDay, readonly string[]>> = {
  dawn: ['dawn', 'sunrise', 'daybreak', 'early morning'],
  morning: ['morning', 'sunrise', 'daytime', 'daylight'],
  noon: ['noon', 'midday', 'daytime', 'daylight', 'bright sun'],
  afternoon: ['afternoon', 'daytime', 'daylight'],
  dusk: ['dusk', 'sunset', 'twilight', 'evening'],
  night: ['night', 'nighttime', 'moon', 'moonlight', 'stars', 'starry', 'dark sky'],
};

/** Colour families: a hair colour is mentioned when any member of its family is. */
const HAIR_COLOURS: readonly (readonly string[])[] = [
  ['black', 'dark', 'raven', 'jet'],
  ['brown', 'brunette', 'chestnut', 'dark'],
  ['blonde', 'golden', 'yellow', 'fair'],
  ['red', 'ginger', 'auburn', 'copper', 'orange'],
  ['white', 'silver', 'gray', 'platinum'],
  ['pink', 'rose'],
  ['blue', 'navy', 'teal'],
  ['green', 'teal'],
  ['purple', 'violet', 'lavender', 'lilac'],
];

/** Keyed by stem. */
const SPECIES_WORDS: Readonly<Record<string, readonly string[]>> = {
  girl: ['young woman', 'young lady'],
  woman: ['lady'],
  boy: ['young man'],
  man: ['gentleman', 'guy'],
  child: ['kid'],
  kid: ['child'],
  cat: ['kitten', 'kitty'],
  dog: ['puppy'],
  rabbit: ['bunny', 'hare'],
  robot: ['android'],
};

/** Keyed by stem. */
const LOCATION_WORDS: Readonly<Record<string, readonly string[]>> = {
  forest: ['woods', 'trees', 'woodland'],
  wood: ['forest', 'trees'],
  city: ['street', 'buildings', 'town', 'urban'],
  street: ['road', 'alley', 'sidewalk'],
  beach: ['shore', 'sand', 'seaside', 'ocean', 'sea'],
  sea: ['ocean', 'water', 'waves'],
  harbor: ['port', 'dock', 'pier', 'boats'],
  market: ['stalls', 'vendors', 'bazaar'],
  park: ['trees', 'grass', 'bench'],
  garden: ['flowers', 'plants'],
  room: ['indoors', 'interior'],
  classroom: ['school', 'desks'],
  mountain: ['peaks', 'hills', 'cliff'],
  castle: ['palace', 'tower', 'fortress'],
  river: ['stream', 'water'],
  lake: ['pond', 'water'],
  cafe: ['coffee shop', 'restaurant'],
  shop: ['store'],
  library: ['bookshelves', 'books'],
  field: ['meadow', 'grass'],
  desert: ['sand', 'dunes'],
};

/** Nouns that count as a figure, besides the cast's species. */
const FIGURES = [
  'person',
  'man',
  'woman',
  'boy',
  'girl',
  'child',
  'kid',
  'baby',
  'teenager',
  'adult',
  'character',
  'figure',
  'individual',
  'lady',
  'gentleman',
  'guy',
  'human',
  'friend',
];

/** Species that add nothing to "a person". */
const GENERIC_SPECIES = new Set(['person', 'human', 'character', 'figure', 'people', 'humans']);

/** Dropped from a location before its words become parts. */
const LOCATION_FILLER = new Set(
  'a an the of in on at by near with and to from for into onto inside outside beside behind under over above below next my our your his her their'.split(
    ' ',
  ),
);

// ---------------------------------------------------------------- items

const clean = (s: string) => s.trim().replace(/\s+/g, ' ');
const unique = <T>(xs: readonly T[]) => [...new Set(xs)];
const lastStem = (phrase: string) =>
  compilePhrase(phrase)
    .filter((w) => w !== '*')
    .at(-1);

/** The vocabulary's check phrase without its frame: "a person sitting on a chair" → "sitting on a chair". */
export function checkCore(check: string): string {
  return check
    .replace(/^(an?|the)\s+/i, '')
    .replace(/^(person|face)\s+/i, '')
    .replace(/^with\s+(an?\s+)?/i, '')
    .replace(/\s+face$/i, '');
}

const withArticle = (noun: string) =>
  /^(a|an|the)\s/i.test(noun) ? noun : `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

function hairItem(c: Character): { word: string; family: readonly string[] } | null {
  for (const word of clean(c.hair)
    .toLowerCase()
    .split(/[\s,/-]+/)) {
    const s = lastStem(word);
    const family = s ? HAIR_COLOURS.find((f) => f.some((w) => lastStem(w) === s)) : undefined;
    if (family) return { word, family };
  }
  return null;
}

function speciesOf(c: Character | undefined): string | null {
  const species = clean(c?.species ?? '').toLowerCase();
  return species && !GENERIC_SPECIES.has(species) ? species : null;
}

function speciesPhrases(species: string): string[] {
  const head = species.split(' ').at(-1)!;
  return unique([species, head, ...(SPECIES_WORDS[lastStem(head) ?? ''] ?? [])]);
}

export function captionItems(
  panel: Pick<Panel, 'cast' | 'scene'>,
  characters: ReadonlyMap<string, Character>,
): CaptionItem[] {
  const items: CaptionItem[] = [];
  const figures = new Set(FIGURES.map((w) => lastStem(w)!));
  for (const m of panel.cast) {
    const c = characters.get(m.characterId);
    const name = c?.name || m.characterId;
    const base = { characterId: m.characterId, box: m.region };
    const expression = findTerm(EXPRESSIONS, m.expression);
    if (expression) {
      items.push({
        ...base,
        id: `caption#expression@${m.characterId}`,
        topic: 'expression',
        label: `Caption mentions ${name}'s expression: ${expression.label}`,
        parts: [unique([checkCore(expression.check), ...EXPRESSION_WORDS[expression.id]])],
      });
    }
    const pose = findTerm(POSES, m.pose);
    if (pose) {
      items.push({
        ...base,
        id: `caption#pose@${m.characterId}`,
        topic: 'pose',
        label: `Caption mentions ${name}'s pose: ${pose.label}`,
        parts: [unique([checkCore(pose.check), ...POSE_WORDS[pose.id]])],
      });
    }
    const hair = c ? hairItem(c) : null;
    if (hair) {
      items.push({
        ...base,
        id: `caption#hair@${m.characterId}`,
        topic: 'hair',
        label: `Caption mentions ${name}'s ${hair.word} hair`,
        parts: [hair.family.flatMap((w) => [`${w} * hair`, `hair * ${w}`])],
      });
    }
    const species = speciesOf(c);
    if (species) {
      const phrases = speciesPhrases(species);
      for (const p of phrases) figures.add(lastStem(p)!);
      items.push({
        ...base,
        id: `caption#species@${m.characterId}`,
        topic: 'species',
        label: `Caption mentions ${name} as ${withArticle(species)}`,
        parts: [phrases],
      });
    }
  }
  const location = clean(panel.scene.location);
  const words = location
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((w) => w && !LOCATION_FILLER.has(w));
  if (words.length) {
    items.push({
      id: 'caption#location',
      topic: 'location',
      label: `Caption mentions the location: ${location}`,
      characterId: null,
      box: null,
      parts: unique(words).map((w) => unique([w, ...(LOCATION_WORDS[lastStem(w) ?? ''] ?? [])])),
    });
  }
  const time = panel.scene.timeOfDay;
  items.push({
    id: 'caption#time',
    topic: 'time',
    label: `Caption mentions the time of day: ${time}`,
    characterId: null,
    box: null,
    parts: [TIME_WORDS[time]],
  });
  const n = panel.cast.length;
  items.push({
    id: 'caption#count',
    topic: 'count',
    label:
      n === 0 ? 'Caption mentions no one' : `Caption mentions ${n} ${n === 1 ? 'character' : 'characters'}`,
    characterId: null,
    box: null,
    expected: n,
    figures: [...figures],
  });
  return items;
}

// ---------------------------------------------------------------- scoring

export interface CaptionScore {
  /** Share of the item's parts mentioned, in [0, 1]. */
  score: number;
  /** The excerpt that matched, or what was looked for. */
  detail: string;
}

const shown = (phrase: string) => phrase.replace(/\s*\*\s*/g, ' ');
const quoted = (xs: readonly string[]) =>
  unique(xs)
    .map((x) => `"${x}"`)
    .join('; ');

function lookedFor(parts: readonly (readonly string[])[]): string {
  const phrases = parts.length === 1 ? parts[0]!.slice(0, 4) : parts.map((p) => p[0]!);
  const more = parts.length === 1 && parts[0]!.length > 4 ? ', …' : '';
  return `${phrases.map(shown).join(', ')}${more}`;
}

function scoreMentions(item: MentionItem, caption: AnalysedCaption): CaptionScore {
  const hits = item.parts.map((phrases) => firstMention(caption, phrases));
  const found = hits.filter((h): h is Mention => h !== null);
  const score = found.length / item.parts.length;
  if (found.length === item.parts.length)
    return { score, detail: `Mentioned: ${quoted(found.map((h) => h.excerpt))}.` };
  const missing = item.parts.filter((_, i) => !hits[i]);
  if (found.length)
    return {
      score,
      detail: `Mentioned: ${quoted(found.map((h) => h.excerpt))}; not mentioned: ${lookedFor(missing)}.`,
    };
  const negated = item.parts
    .flat()
    .flatMap((p) => findMentions(caption, p))
    .find((m) => m.negated);
  if (negated) return { score, detail: `Mentioned only as absent: "${negated.excerpt}".` };
  return { score, detail: `Not mentioned (looked for ${lookedFor(item.parts)}).` };
}

function scoreCount(item: CountItem, caption: AnalysedCaption): CaptionScore {
  const figures = new Set(item.figures);
  const n = item.expected;
  if (n === 0) {
    const someone = figureMentions(caption, figures)[0];
    if (someone) return { score: 0, detail: `Mentions someone: "${someone.excerpt}".` };
    return { score: 1, detail: 'No one is mentioned.' };
  }
  const statements = countStatements(caption, figures).filter((s) => s.value > 0);
  const explicit = statements.filter((s) => s.explicit);
  const top = explicit.length ? explicit.reduce((a, b) => (b.value > a.value ? b : a)) : null;
  // Without a number or a list ("a girl … a fox"): as many figures as different nouns.
  const byNoun = new Map(statements.map((s) => [s.noun, s.excerpt]));
  const stated = top ? top.value : byNoun.size;
  const excerpts = top ? [top.excerpt] : [...byNoun.values()];
  if (stated === n) return { score: 1, detail: `Says ${n}: ${quoted(excerpts)}.` };
  if (stated === 0) return { score: 0, detail: 'Not mentioned (the caption states no number of figures).' };
  return { score: 0, detail: `Says ${stated}, expected ${n}: ${quoted(excerpts)}.` };
}

export function scoreCaptionItem(item: CaptionItem, caption: AnalysedCaption): CaptionScore {
  if (caption.words.length === 0) return { score: 0, detail: 'Not mentioned: the caption is empty.' };
  return item.topic === 'count' ? scoreCount(item, caption) : scoreMentions(item, caption);
}
