/**
 * The bench library, generated deterministically from a seed: the same seed gives the same ids,
 * names, stories and panels on every machine. Pure (no DOM, no Node): it runs in the browser seed
 * bundle and in Node (which derives the search queries from it).
 *
 * Every record gets its own random stream (seed, kind, index), so any record can be made alone,
 * in any order, without generating the ones before it.
 */
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  PageSettings,
  SCHEMA_VERSION,
  SHOT_SIZES,
  TIMES_OF_DAY,
} from '../../src/lib/domain';
import type {
  Attempt,
  CastMember,
  Character,
  DialogueLine,
  Panel,
  RegionBox,
  Story,
  TemplateImage,
  WardrobeItem,
} from '../../src/lib/domain';

// ------------------------------------------------------------------ randomness

export type Rng = () => number;

/** mulberry32: small, fast, good enough for test data. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hash(...parts: (string | number)[]): number {
  let h = 2_166_136_261;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16_777_619);
  }
  return h >>> 0;
}

export const streamFor = (seed: number, kind: string, index: number): Rng =>
  mulberry32(hash(seed, kind, index));

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const chance = (rng: Rng, p: number): boolean => rng() < p;

function pickDistinct<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length) out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0] as T);
  return out;
}

/** A v4-shaped UUID from the stream, so ids look like the app's crypto.randomUUID(). */
export function uuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(rng() * 4) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

// ------------------------------------------------------------------ word lists

const FIRST_NAMES = [
  'Ada',
  'Bram',
  'Cleo',
  'Dario',
  'Elin',
  'Fenna',
  'Gideon',
  'Hana',
  'Ivo',
  'Juno',
  'Kasimir',
  'Lyra',
  'Mato',
  'Nell',
  'Odile',
  'Pim',
  'Quinn',
  'Rosalind',
  'Sami',
  'Tove',
  'Ulla',
  'Vesper',
  'Wren',
  'Xavi',
  'Yara',
  'Zeno',
  'Anouk',
  'Basil',
  'Corin',
  'Delphine',
  'Emrys',
  'Fable',
  'Greta',
  'Hollis',
  'Isolde',
  'Jasper',
  'Kit',
  'Lumi',
  'Mireille',
  'Nico',
  'Orla',
  'Pax',
  'Rune',
  'Saffi',
  'Tamsin',
  'Umber',
  'Vito',
  'Willa',
  'Yusuf',
  'Zora',
  'Aurelio',
  'Bette',
  'Cyrus',
  'Dagny',
  'Eero',
  'Frey',
  'Ginevra',
  'Hugo',
] as const;
const SURNAME_HEADS = [
  'Ash',
  'Bright',
  'Cinder',
  'Dusk',
  'Ember',
  'Fern',
  'Gold',
  'Hollow',
  'Iron',
  'Juniper',
  'Kettle',
  'Lantern',
  'Moss',
  'North',
  'Oak',
  'Pebble',
  'Quill',
  'Raven',
  'Salt',
  'Thistle',
  'Umber',
  'Vale',
  'Willow',
  'Yarrow',
  'Zephyr',
  'Bramble',
  'Copper',
  'Drift',
  'Flint',
  'Glimmer',
  'Heather',
  'Marrow',
] as const;
const SURNAME_TAILS = [
  'wood',
  'field',
  'feather',
  'brook',
  'stone',
  'wick',
  'hart',
  'more',
  'grove',
  'ridge',
  'well',
  'ford',
  'weather',
  'whistle',
  'bloom',
  'thorne',
  'mantle',
  'shaw',
  'gate',
  'water',
  'by',
  'cott',
  'den',
  'ley',
] as const;
const ART_STYLES = [
  'watercolour picture book',
  'clean line anime',
  'gouache storybook',
  'flat vector',
  'ink and wash',
  'cel-shaded cartoon',
  'pastel chibi',
  'woodcut print',
  'soft pencil',
  'retro comic',
] as const;
const SPECIES = [
  'human',
  'human',
  'human',
  'human',
  'fox person',
  'cat person',
  'robot',
  'elf',
  'dwarf',
  'owl spirit',
  'tortoise sage',
  'rabbit kid',
  'bear',
  'dragonling',
] as const;
const AGE_RANGES = ['child', 'teen', 'young adult', 'adult', 'middle-aged', 'elderly'] as const;
const HAIR_COLOURS = [
  'black',
  'dark brown',
  'chestnut',
  'auburn',
  'copper',
  'strawberry blonde',
  'platinum',
  'silver',
  'teal',
  'lavender',
  'rose pink',
  'white',
] as const;
const HAIR_STYLES = [
  'bob',
  'pixie cut',
  'long braid',
  'twin buns',
  'curly afro',
  'messy spikes',
  'ponytail',
  'undercut',
  'shoulder-length waves',
  'shaved head',
  'side part',
  'dreadlocks',
] as const;
const EYE_COLOURS = ['brown', 'hazel', 'green', 'grey', 'blue', 'amber', 'violet', 'black'] as const;
const SKIN_TONES = [
  'porcelain',
  'fair',
  'olive',
  'tan',
  'bronze',
  'brown',
  'deep brown',
  'freckled',
] as const;
const GARMENTS = [
  'scarf',
  'raincoat',
  'hoodie',
  'waistcoat',
  'dungarees',
  'kimono',
  'trench coat',
  'sweater',
  'cape',
  'boots',
  'sneakers',
  'beret',
  'apron',
  'cardigan',
  'tunic',
  'skirt',
  'trousers',
  'jacket',
] as const;
const COLOURS = [
  'red',
  'mustard',
  'navy',
  'forest green',
  'plum',
  'teal',
  'ochre',
  'cream',
  'charcoal',
  'rust',
  'sky blue',
] as const;
const ACCESSORIES = [
  'round glasses',
  'satchel',
  'pocket watch',
  'star hairpin',
  'wooden staff',
  'camera',
  'earring',
  'bandana',
  'umbrella',
  'compass',
  'feather quill',
  'bell collar',
] as const;
const MARKS = [
  'scar over the left eyebrow',
  'freckles across the nose',
  'a chipped front tooth',
  'heterochromia',
  'a crescent birthmark on the cheek',
  'ink-stained fingers',
  'a bandaged right hand',
  'a mole under the eye',
] as const;
const ADJECTIVES = [
  'Lost',
  'Silver',
  'Hidden',
  'Sleeping',
  'Whispering',
  'Crooked',
  'Last',
  'Painted',
  'Drowned',
  'Paper',
  'Midnight',
  'Forgotten',
  'Clockwork',
  'Velvet',
  'Burning',
  'Quiet',
  'Wandering',
  'Glass',
] as const;
const NOUNS = [
  'Lighthouse',
  'Kite',
  'Orchard',
  'Map',
  'Lantern',
  'Bridge',
  'Garden',
  'Comet',
  'Library',
  'Harbor',
  'Carousel',
  'Teapot',
  'Tower',
  'Key',
  'Festival',
  'Train',
  'Mountain',
  'Music Box',
  'Island',
  'Fox',
] as const;
const PLACES = [
  'Brinewick',
  'Tallowmere',
  'the Salt Flats',
  'Old Quarry Lane',
  'Mossgate',
  'the Cloud Market',
  'Fernhollow',
  'the Sunken City',
  'Gull Point',
  'Larkspur Hill',
  'the Night Bazaar',
  'Emberfall',
] as const;
const STORY_STYLES = [
  'soft watercolour, warm light',
  'bold inks, limited palette',
  'pastel storybook',
  'moody noir',
  'bright saturday-morning cartoon',
  'muted gouache',
  'risograph print look',
] as const;
const LOCATIONS = [
  'a rainy harbour',
  'a cluttered attic',
  'a sunlit meadow',
  'a night market',
  'a train platform',
  'an old library',
  'a rooftop garden',
  'a snowy forest path',
  'a lighthouse stair',
  'a busy kitchen',
  'a candle-lit workshop',
  'a windy cliff edge',
  'a flooded street',
  'a school courtyard',
  'a bakery',
] as const;
const WEATHERS = [
  'clear',
  'drizzle',
  'heavy rain',
  'fog',
  'snow',
  'windy',
  'overcast',
  'thunderstorm',
] as const;
const LIGHTINGS = [
  'soft daylight',
  'golden hour',
  'neon glow',
  'candlelight',
  'moonlight',
  'harsh noon sun',
] as const;
const MOODS = ['hopeful', 'tense', 'cosy', 'melancholy', 'playful', 'eerie', 'triumphant', 'quiet'] as const;
const VERBS = [
  'finds',
  'loses',
  'follows',
  'repairs',
  'hides',
  'chases',
  'opens',
  'guards',
  'paints',
  'discovers',
  'returns',
  'trades away',
] as const;
const THINGS = [
  'a humming seashell',
  'a map with no edges',
  "a stranger's umbrella",
  'a letter sealed in green wax',
  'a key that is warm to the touch',
  'a paper boat',
  'a jar of fireflies',
  'a cracked compass',
  'a silver bell',
  'the last train ticket',
] as const;
const LINES = [
  'Did you hear that?',
  'We are not alone here.',
  'Hold the lantern higher.',
  'I told you it would rain.',
  'This way, quickly!',
  'It was here a moment ago.',
  'Promise you will not laugh.',
  'Look at the sky!',
  'We should go back.',
  'Trust me, just this once.',
  'Who left this here?',
  'I can fix it.',
] as const;

// ------------------------------------------------------------------ records

/** Timestamps spread over the year before the base date, so "recent" has a meaning. */
const BASE_TIME = Date.UTC(2026, 10, 1);
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface BenchSpec {
  seed: number;
  characters: number;
  stories: number;
}

/** The image drawn for a record (the browser turns it into a small WebP). */
export interface ThumbSpec {
  imageId: string;
  width: number;
  height: number;
  /** Colours (#rrggbb) the drawing uses: background, then figures. */
  colours: string[];
  /** 0..1 values that place and size shapes. */
  shapes: number[];
}

export interface CharacterRecord {
  character: Character;
  thumb: ThumbSpec;
}

export interface StoryRecord {
  story: Story;
  panels: Panel[];
  /** The accepted attempt of every panel (the dataset export reads these and their pictures). */
  attempts: Attempt[];
  /** Each accepted attempt's picture: which of the seed's shared panel pictures its bytes are. */
  pictures: { imageId: string; pool: number; createdAt: number }[];
  thumb: ThumbSpec;
}

/**
 * Distinct panel pictures drawn once per seeding; every panel's picture is its own image record
 * holding one of them (drawing 75,000 pictures would take most of the seeding time, and the
 * exporter reads, copies and names each record's bytes the same whatever they show).
 */
export const PANEL_PICTURE_POOL = 64;
/** A seeded attempt: a 4-step SD-Turbo txt2img on the tiny pack, with what the caller varies. */
export function seededAttempt(
  a: Pick<Attempt, 'id' | 'panelId' | 'storyId' | 'index' | 'seed' | 'imageId' | 'createdAt'> &
    Partial<Pick<Attempt, 'report' | 'action' | 'timings'>> & { width: number; height: number },
): Attempt {
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: a.id,
    panelId: a.panelId,
    storyId: a.storyId,
    index: a.index,
    seed: a.seed,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: a.width,
      height: a.height,
      numInferenceSteps: 4,
      guidanceScale: 0,
      scheduler: 'euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId: a.imageId,
    report: a.report ?? null,
    action: a.action ?? { kind: 'accept', reason: 'Accepted by the artist.', diff: [] },
    timings: a.timings ?? {},
    createdAt: a.createdAt,
  };
}

export const PANEL_PICTURE = { width: 256, height: 256, mime: 'image/jpeg', quality: 0.85 };

const hex = (rng: Rng): string =>
  `#${Math.floor(rng() * 0xffffff)
    .toString(16)
    .padStart(6, '0')}`;

export function characterName(spec: BenchSpec, index: number): string {
  const rng = streamFor(spec.seed, 'character-name', index);
  return `${pick(rng, FIRST_NAMES)} ${pick(rng, SURNAME_HEADS)}${pick(rng, SURNAME_TAILS)}`;
}

export function characterId(spec: BenchSpec, index: number): string {
  return uuid(streamFor(spec.seed, 'character-id', index));
}

export const THUMB_MIME = 'image/webp';
export const CHARACTER_THUMB = { width: 48, height: 48 };
export const STORY_THUMB = { width: 64, height: 48 };

export function makeCharacter(spec: BenchSpec, index: number): CharacterRecord {
  const rng = streamFor(spec.seed, 'character', index);
  const createdAt = BASE_TIME - YEAR_MS + Math.floor(rng() * YEAR_MS * 0.5);
  const updatedAt = createdAt + Math.floor(rng() * YEAR_MS * 0.5);
  const hairColour = pick(rng, HAIR_COLOURS);
  const wardrobe: WardrobeItem[] = pickDistinct(rng, GARMENTS, int(rng, 2, 4)).map((item) => ({
    item,
    color: pick(rng, COLOURS),
  }));
  const palette = Array.from({ length: int(rng, 3, 5) }, () => hex(rng));
  const imageId = uuid(streamFor(spec.seed, 'character-image', index));
  const template: TemplateImage = {
    imageId,
    width: CHARACTER_THUMB.width,
    height: CHARACTER_THUMB.height,
    mime: THUMB_MIME,
    addedAt: createdAt,
  };
  const name = characterName(spec, index);
  const character: Character = {
    schemaVersion: SCHEMA_VERSION.character,
    id: characterId(spec, index),
    name,
    artStyle: pick(rng, ART_STYLES),
    species: pick(rng, SPECIES),
    ageRange: pick(rng, AGE_RANGES),
    hair: `${hairColour} ${pick(rng, HAIR_STYLES)}`,
    eyes: pick(rng, EYE_COLOURS),
    skin: pick(rng, SKIN_TONES),
    wardrobe,
    accessories: pickDistinct(rng, ACCESSORIES, int(rng, 0, 2)),
    marks: pickDistinct(rng, MARKS, int(rng, 0, 2)),
    palette,
    notes: `${name.split(' ')[0]} always wears the ${wardrobe[0]?.color ?? ''} ${wardrobe[0]?.item ?? 'coat'}; keep the ${hairColour} hair consistent.`,
    templates: [template],
    templateVersion: 1,
    verified: chance(rng, 0.8),
    createdAt,
    updatedAt,
  };
  const thumb: ThumbSpec = {
    imageId,
    ...CHARACTER_THUMB,
    colours: palette,
    shapes: Array.from({ length: 6 }, () => rng()),
  };
  return { character, thumb };
}

function region(rng: Rng, index: number, count: number): RegionBox {
  const w = 1 / count;
  const shrink = 0.05 + rng() * 0.1;
  const x = Math.min(index * w + (w * shrink) / 2, 1 - w);
  const y = 0.05 + rng() * 0.1;
  return { x: round(x), y: round(y), w: round(w * (1 - shrink)), h: round(Math.min(0.9, 1 - y)) };
}

const round = (v: number): number => Math.floor(v * 1000) / 1000;

export function storyTitle(spec: BenchSpec, index: number): string {
  const rng = streamFor(spec.seed, 'story-title', index);
  const shape = Math.floor(rng() * 3);
  if (shape === 0) return `The ${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`;
  if (shape === 1) return `The ${pick(rng, NOUNS)} of ${pick(rng, PLACES)}`;
  return `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}, ${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`;
}

export function makeStory(spec: BenchSpec, index: number): StoryRecord {
  const rng = streamFor(spec.seed, 'story', index);
  const storyId = uuid(streamFor(spec.seed, 'story-id', index));
  const createdAt = BASE_TIME - YEAR_MS + Math.floor(rng() * YEAR_MS * 0.9);
  const updatedAt = createdAt + Math.floor(rng() * YEAR_MS * 0.1);
  const castIndexes = pickDistinct(
    rng,
    Array.from({ length: 12 }, () => Math.floor(rng() * spec.characters)),
    int(rng, 2, 4),
  );
  const cast = [...new Set(castIndexes)].map((i) => ({
    id: characterId(spec, i),
    name: characterName(spec, i),
  }));
  const lead = cast[0] ?? { id: characterId(spec, 0), name: characterName(spec, 0) };
  const panelCount = int(rng, 7, 8);
  const panels: Panel[] = [];
  const attempts: Attempt[] = [];
  const pictures: StoryRecord['pictures'] = [];
  const location = pick(rng, LOCATIONS);
  for (let p = 0; p < panelCount; p++) {
    const prng = streamFor(spec.seed, `story-${index}-panel`, p);
    // Its own stream, so the panels are what they were before attempts were seeded.
    const arng = streamFor(spec.seed, `story-${index}-attempt`, p);
    const attemptId = uuid(arng);
    const imageId = uuid(arng);
    const inPanel = pickDistinct(prng, cast, int(prng, 1, Math.min(3, cast.length)));
    const members: CastMember[] = inPanel.map((c, i) => ({
      characterId: c.id,
      pose: pick(prng, POSES).id,
      expression: pick(prng, EXPRESSIONS).id,
      facing: pick(prng, FACINGS).id,
      gaze: pick(prng, GAZES).id,
      action: `${pick(prng, VERBS)} ${pick(prng, THINGS)}`,
      region: region(prng, i, inPanel.length),
    }));
    const dialogue: DialogueLine[] = Array.from({ length: int(prng, 0, 2) }, (_, i) => ({
      id: `line-${i + 1}`,
      kind: 'speech',
      speakerId: chance(prng, 0.9) ? pick(prng, inPanel).id : null,
      text: pick(prng, LINES),
    }));
    const who = inPanel.map((c) => c.name.split(' ')[0]).join(' and ');
    const panelId = uuid(prng);
    const acceptedAt = updatedAt - 1000 * (panelCount - p);
    attempts.push(
      seededAttempt({
        id: attemptId,
        panelId,
        storyId,
        index: 0,
        seed: Math.floor(arng() * 2 ** 31),
        width: PANEL_PICTURE.width,
        height: PANEL_PICTURE.height,
        imageId,
        createdAt: acceptedAt,
      }),
    );
    pictures.push({ imageId, pool: Math.floor(arng() * PANEL_PICTURE_POOL), createdAt: acceptedAt });
    panels.push({
      schemaVersion: SCHEMA_VERSION.panel,
      plannedBy: null,
      id: panelId,
      storyId,
      cast: members,
      scene: {
        location: chance(prng, 0.7) ? location : pick(prng, LOCATIONS),
        timeOfDay: pick(prng, TIMES_OF_DAY),
        weather: pick(prng, WEATHERS),
        lighting: pick(prng, LIGHTINGS),
        mood: pick(prng, MOODS),
      },
      composition: { shotSize: pick(prng, SHOT_SIZES).id, cameraAngle: pick(prng, CAMERA_ANGLES).id },
      caption: `${who} ${pick(prng, VERBS)} ${pick(prng, THINGS)}.`,
      dialogue,
      beat: '',
      importance: 1,
      lettering: [],
      status: 'accepted',
      acceptedAttemptId: attemptId,
      createdAt,
      updatedAt,
    });
  }
  const coverImageId = uuid(streamFor(spec.seed, 'story-image', index));
  const story: Story = {
    schemaVersion: SCHEMA_VERSION.story,
    id: storyId,
    title: storyTitle(spec, index),
    premise: `${lead.name} ${pick(rng, VERBS)} ${pick(rng, THINGS)} in ${pick(rng, PLACES)}.`,
    style: pick(rng, STORY_STYLES),
    panelIds: panels.map((p) => p.id),
    coverImageId,
    layout: PageSettings.parse({}),
    createdAt,
    updatedAt,
  };
  const thumb: ThumbSpec = {
    imageId: coverImageId,
    ...STORY_THUMB,
    colours: Array.from({ length: 4 }, () => hex(rng)),
    shapes: Array.from({ length: 8 }, () => rng()),
  };
  return { story, panels, attempts, pictures, thumb };
}

/**
 * Queries a person would type that are known to match: surnames, title words, a full name.
 * Each comes with the kind of record it was taken from.
 */
export function searchQueries(spec: BenchSpec): { query: string; from: 'character' | 'story' }[] {
  const name = (i: number) => characterName(spec, i);
  const title = (i: number) => storyTitle(spec, i);
  const lastWord = (s: string) => s.split(/\s+/).pop() ?? s;
  return [
    { query: lastWord(name(17)).toLowerCase(), from: 'character' },
    { query: name(1234), from: 'character' },
    { query: lastWord(title(4242)).replace(/[^A-Za-z]/g, ''), from: 'story' },
    { query: title(777).split(' ').slice(0, 3).join(' '), from: 'story' },
    { query: lastWord(name(1999)).slice(0, 5), from: 'character' },
  ];
}
