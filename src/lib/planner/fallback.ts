/**
 * The template fallback: a plan with no model. Deterministic for a request (its seed included): beats
 * from the premise's sentences spread over the panels, a rhythm of shot sizes, poses and expressions
 * from keywords, the cast from names mentioned (else rotating), and no invented dialogue — the caption
 * is the beat's own sentence.
 *
 * The seeded stream is the schedulers' xoshiro128** (pure, imports nothing): the same seed gives the
 * same plan on every engine, since only its integer stream is used.
 */
import {
  MAX_CAST,
  type CameraAngleId,
  type ExpressionId,
  type FacingId,
  type GazeId,
  type PoseId,
  type ShotSizeId,
  type TimeOfDay,
} from '../domain';
import { Xoshiro128 } from '../schedulers/random';
import {
  PLAN_LIMITS,
  type Outline,
  type OutlineBeat,
  type PanelPlan,
  type PlannedPanel,
  type PlanRequest,
  type StoryPlan,
} from './schema';

// ----------------------------------------------------------- keyword tables

type Rule<T> = readonly [RegExp, T];

/** First match wins: the more specific words come first. */
const POSE_WORDS: readonly Rule<PoseId>[] = [
  [/\b(jump|jumps|jumped|jumping|leap|leaps|leapt|leaping)\b/, 'jumping'],
  [
    /\b(run|runs|ran|running|chase|chases|chased|flee|flees|fled|race|races|rush|rushes|sprint)\w*/,
    'running',
  ],
  [/\b(fall|falls|fell|falling|tumble|tumbles|drop|drops)\b/, 'falling'],
  [/\b(climb|climbs|climbed|climbing|scale|scales)\b/, 'climbing'],
  [
    /\b(fight|fights|fought|fighting|battle|battles|duel|duels|attack|attacks|punch|spar)\w*/,
    'fighting-stance',
  ],
  [/\b(hug|hugs|hugged|hugging|embrace|embraces|embraced)\b/, 'hugging'],
  [/\b(dance|dances|danced|dancing)\b/, 'dancing'],
  [/\b(read|reads|reading|book|letter|map)\b/, 'reading'],
  [
    /\b(eat|eats|ate|eating|drink|drinks|drank|drinking|tea|coffee|meal|dinner|breakfast|feast)\b/,
    'eating-drinking',
  ],
  [/\b(kneel|kneels|knelt|kneeling)\b/, 'kneeling'],
  [/\b(crouch|crouches|crouched|hide|hides|hid|hiding|sneak|sneaks)\b/, 'crouching'],
  [/\b(sleep|sleeps|slept|sleeping|lie|lies|lay|lying|rest|rests)\b/, 'lying-down'],
  [/\b(sit|sits|sat|sitting|seated)\b/, 'sitting'],
  [/\b(wave|waves|waved|waving|greet|greets|greeted|goodbye|farewell)\b/, 'waving'],
  [/\b(point|points|pointed|pointing|show|shows|showed)\b/, 'pointing'],
  [/\b(carry|carries|carried|carrying|haul|hauls)\b/, 'carrying'],
  [/\b(hold|holds|held|holding|grab|grabs|grabbed|find|finds|found|pick|picks|picked)\b/, 'holding-object'],
  [/\b(reach|reaches|reached|reaching|offer|offers|offered)\b/, 'reaching-out'],
  [/\b(bow|bows|bowed|bowing|apologi[sz]e)\w*/, 'bowing'],
  [/\b(celebrat|cheer|win|wins|won|victory|triumph)\w*/, 'celebrating'],
  [
    /\b(think|thinks|thought|wonder|wonders|wondered|ponder|plan|plans|planned|decide|decides)\w*/,
    'thinking',
  ],
  [/\b(look back|glance back|turns? around)\b/, 'looking-back'],
  [/\b(lean|leans|leaned|leaning)\b/, 'leaning'],
  [/\b(argue|argues|argued|refuse|refuses|refused|stubborn)\w*/, 'arms-crossed'],
  [
    /\b(walk|walks|walked|walking|wander|wanders|stroll|travel|travels|journey|set off|sets off|leave|leaves|arrive|arrives)\w*/,
    'walking',
  ],
];

const EXPRESSION_WORDS: readonly Rule<ExpressionId>[] = [
  [/\b(cry|cries|cried|crying|tears|weep|weeps|sob|sobs)\b/, 'crying'],
  [/\b(laugh|laughs|laughed|laughing|joke|jokes)\b/, 'laughing'],
  [/\b(angry|anger|furious|rage|shout|shouts|shouted|yell|yells|argue|argues)\w*/, 'angry'],
  [/\b(scared|afraid|fear|fears|terrified|frightened|panic|monster|danger|dark)\w*/, 'scared'],
  [
    /\b(surprise|surprised|suddenly|shock|shocked|discover|discovers|discovered|gasp|gasps|unexpected)\w*/,
    'surprised',
  ],
  [/\b(sad|sadness|lonely|lost|loses|grief|mourn|miss|misses|alone)\b/, 'sad'],
  [/\b(disgust|disgusted|gross|smell|smells|rotten)\w*/, 'disgusted'],
  [/\b(confused|puzzled|strange|wonder|wonders|mystery|riddle)\w*/, 'confused'],
  [/\b(determined|resolve|resolves|vow|vows|must|fight|fights|battle|train|trains|race)\w*/, 'determined'],
  [/\b(embarrass|blush|blushes|shy|awkward)\w*/, 'embarrassed'],
  [
    /\b(happy|smile|smiles|smiled|glad|joy|friend|friends|together|home|win|wins|won|celebrat|hug|hugs)\w*/,
    'smiling',
  ],
];

const TIME_WORDS: readonly Rule<TimeOfDay>[] = [
  [/\b(dawn|sunrise|daybreak)\b/, 'dawn'],
  [/\b(morning|breakfast)\b/, 'morning'],
  [/\b(noon|midday|lunch)\b/, 'noon'],
  [/\b(afternoon)\b/, 'afternoon'],
  [/\b(dusk|sunset|evening|twilight|dinner)\b/, 'dusk'],
  [/\b(night|midnight|moon|moonlit|stars|starry|dark)\b/, 'night'],
];

const WEATHER_WORDS: readonly Rule<string>[] = [
  [/\b(storm|stormy|thunder|lightning)\b/, 'stormy'],
  [/\b(rain|rains|rainy|raining|drizzle)\b/, 'rainy'],
  [/\b(snow|snows|snowy|blizzard|winter)\b/, 'snowy'],
  [/\b(fog|foggy|mist|misty)\b/, 'foggy'],
  [/\b(wind|windy|gale)\b/, 'windy'],
  [/\b(sunny|sunshine|summer)\b/, 'sunny'],
];

const LIGHTING: Record<TimeOfDay, string> = {
  dawn: 'soft dawn light',
  morning: 'bright morning light',
  noon: 'harsh midday sun',
  afternoon: 'warm daylight',
  dusk: 'golden sunset light',
  night: 'moonlight',
};

const MOOD: Record<ExpressionId, string> = {
  neutral: 'calm',
  smiling: 'warm',
  laughing: 'joyful',
  sad: 'melancholy',
  crying: 'heartbroken',
  angry: 'tense',
  surprised: 'startling',
  scared: 'ominous',
  disgusted: 'uneasy',
  confused: 'curious',
  determined: 'resolute',
  embarrassed: 'awkward',
};

/** Words that raise a beat's importance: the big moments of a story. */
const INTENSE =
  /\b(suddenly|finally|at last|climax|battle|fight|fights|explodes?|explosion|attack|attacks|reveal|reveals|revealed|discovers?|transform|transforms|defeat|defeats|rescue|rescues|saves?|kiss|kisses|dies|death|wins?|roar|roars|confront|confronts)\b/g;
const EVERYONE = /\b(they|them|together|both|everyone|all of them|the group|the friends|the team)\b/;
const LOOK_UP =
  /\b(tower|towers|giant|huge|enormous|sky|flies|fly|flying|above|looms|looming|mountain|dragon)\b/;
const LOOK_DOWN = /\b(below|tiny|small|lost|alone|falls|fell|pit|abyss|crowd)\b/;
const CLOSE = /\b(face|eyes|tears|whisper|whispers|whispered|secret|kiss)\b/;
const TALK =
  /\b(talk|talks|talked|says|said|ask|asks|asked|tell|tells|told|explain|explains|promise|promises)\b/;
const PLACE =
  /\b(?:in|at|on|inside|into|through|across|to|toward|towards|near|under|beside|over) (?:the|a|an|their|his|her) ((?:[a-z'-]+ ){0,2}[a-z'-]+)/;
/** Filler rest poses, chosen by the seed when a beat names no action. */
const REST_POSES: readonly PoseId[] = [
  'standing',
  'standing',
  'walking',
  'hands-on-hips',
  'arms-crossed',
  'leaning',
];
/** The medium-range rhythm between the opening and the big moments. */
const RHYTHMS: readonly (readonly ShotSizeId[])[] = [
  ['medium', 'full', 'medium-close-up', 'cowboy'],
  ['full', 'medium', 'cowboy', 'medium-close-up'],
  ['medium', 'cowboy', 'full', 'medium'],
];

const first = <T>(rules: readonly Rule<T>[], text: string): T | undefined =>
  rules.find(([re]) => re.test(text))?.[1];

/** The first rule that matches the first text (in order) that any rule matches. */
const firstIn = <T>(rules: readonly Rule<T>[], texts: readonly string[]): T | undefined =>
  texts.map((t) => first(rules, t)).find((v) => v !== undefined);

// ------------------------------------------------------------------ helpers

/** A seeded stream for one (request, panel) pair, independent of the other panels. */
function streamFor(seed: number, salt: number): Xoshiro128 {
  return new Xoshiro128((seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
}

const pick = <T>(rng: Xoshiro128, items: readonly T[]): T => items[rng.nextUint32() % items.length]!;

/** Cut at a word boundary to at most `max` characters. */
export function cutWords(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : t.slice(0, max)).replace(/[\s,;:–—-]+$/, '');
}

/** The premise's sentences (a newline ends one too), trimmed, none empty. */
export function premiseSentences(premise: string): string[] {
  const found = premise
    .split(/\n+|(?<=[.!?…])["'”’)]*\s+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
  return found.length > 0 ? found : [premise.trim()];
}

/** When there are fewer sentences than panels, split sentences at clause boundaries to get more beats. */
function clauses(sentence: string): string[] {
  return sentence
    .split(/[,;:]\s+|\s+[–—]\s+|\s+(?=(?:and then|but|while|until|when)\s)/i)
    .map((s) => s.replace(/^(?:and then|and|then)\s+/i, '').trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s))
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1));
}

/** `count` beat texts spread over the premise: groups of sentences, or sentences shared by neighbours. */
function spread(premise: string, count: number): string[] {
  const units = premiseSentences(premise);
  // Too few sentences: halve the longest one that has clauses, until there are enough or none splits.
  while (units.length < count) {
    let longest = -1;
    units.forEach((u, i) => {
      if (clauses(u).length > 1 && (longest < 0 || u.length > units[longest]!.length)) longest = i;
    });
    if (longest < 0) break;
    units.splice(longest, 1, ...mergeTo(clauses(units[longest]!), 2));
  }
  const n = units.length;
  if (n >= count) {
    return Array.from({ length: count }, (_, i) =>
      units.slice(Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)).join(' '),
    );
  }
  return Array.from({ length: count }, (_, i) => units[Math.floor((i * n) / count)]!);
}

function mergeTo(parts: string[], k: number): string[] {
  const n = parts.length;
  return Array.from({ length: k }, (_, i) =>
    parts.slice(Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)).join(', '),
  );
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The chosen characters named in `text` (by full name or first name), in cast order. */
function named(request: PlanRequest, text: string): string[] {
  const lower = text.toLowerCase();
  return request.cast
    .filter((c) => {
      const full = c.name.toLowerCase();
      const given = full.split(/\s+/)[0]!;
      return [full, given].some(
        (n) => n.length > 0 && new RegExp(`(^|[^\\p{L}])${escapeRe(n)}($|[^\\p{L}])`, 'u').test(lower),
      );
    })
    .map((c) => c.id);
}

function intensity(text: string): number {
  return (text.toLowerCase().match(INTENSE)?.length ?? 0) + (text.match(/!/g)?.length ?? 0);
}

// ------------------------------------------------------------------ outline

/** Stage 1 without a model: `panelCount` beats from the premise. */
export function templateOutline(request: PlanRequest): Outline {
  const texts = spread(request.premise, request.panelCount);
  const rng = streamFor(request.seed, 0x51);
  const rotation = rng.nextUint32() % request.cast.length;
  const all = request.cast.slice(0, MAX_CAST).map((c) => c.id);
  const scores = texts.map(intensity);
  const peak = scores.reduce((best, s, i) => (s > scores[best]! ? i : best), 0);
  let rotated = 0;
  const beats: OutlineBeat[] = texts.map((text, i) => {
    const mentioned = named(request, text).slice(0, MAX_CAST);
    let cast: string[];
    if (mentioned.length > 0) cast = mentioned;
    else if (i === 0 || EVERYONE.test(text.toLowerCase())) cast = all;
    else cast = [request.cast[(rotation + rotated++) % request.cast.length]!.id];
    const score = scores[i]!;
    const importance = score >= 2 && i === peak ? 3 : score >= 1 ? 2 : 1;
    return { summary: cutWords(text, PLAN_LIMITS.beat), cast, importance };
  });
  return {
    title: cutWords(premiseSentences(request.premise)[0]!.replace(/[.!?…]+$/, ''), PLAN_LIMITS.title),
    beats,
  };
}

// -------------------------------------------------------------------- panel

function shotSize(beat: OutlineBeat, index: number, count: number, rng: Xoshiro128): ShotSizeId {
  const text = beat.summary.toLowerCase();
  if (index === 0 && count > 1) return 'wide';
  if (beat.importance === 3) return CLOSE.test(text) ? 'extreme-close-up' : 'close-up';
  if (beat.importance === 2) return 'medium-close-up';
  if (CLOSE.test(text)) return 'close-up';
  if (index === count - 1 && count > 2) return 'wide';
  if (beat.cast.length >= 3) return 'full';
  const rhythm = pick(rng, RHYTHMS);
  return rhythm[(index - 1 + rhythm.length) % rhythm.length]!;
}

function cameraAngle(beat: OutlineBeat, index: number): CameraAngleId {
  const text = beat.summary.toLowerCase();
  if (LOOK_UP.test(text)) return 'low';
  if (LOOK_DOWN.test(text)) return 'high';
  if (beat.importance === 3 && /\b(fight|battle|attack|confront)\w*/.test(text)) return 'dutch';
  if (beat.cast.length === 2 && TALK.test(text) && index % 2 === 1) return 'over-the-shoulder';
  return 'eye-level';
}

function facings(count: number, direction: PlanRequest['direction']): FacingId[] {
  if (count === 1) return ['front'];
  // Two or more face each other; a right-to-left page mirrors who faces whom.
  const towards: FacingId[] =
    direction === 'rtl'
      ? ['three-quarter-left', 'three-quarter-right']
      : ['three-quarter-right', 'three-quarter-left'];
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? towards[0]! : i === count - 1 ? towards[1]! : 'front',
  );
}

/** The clause about one character: from their name to the next named character (or the whole beat). */
function clauseFor(request: PlanRequest, text: string, characterId: string): string {
  const lower = text.toLowerCase();
  const name =
    request.cast
      .find((c) => c.id === characterId)
      ?.name.toLowerCase()
      .split(/\s+/)[0] ?? '';
  const at = name ? lower.indexOf(name) : -1;
  if (at < 0) return lower;
  const others = request.cast
    .filter((c) => c.id !== characterId)
    .map((c) => lower.indexOf(c.name.toLowerCase().split(/\s+/)[0]!, at + name.length))
    .filter((i) => i > at);
  const end = others.length > 0 ? Math.min(...others) : lower.length;
  const own = lower.slice(at, end);
  return first(POSE_WORDS, own) || first(EXPRESSION_WORDS, own) ? own : lower;
}

/**
 * Stage 2 without a model: the panel of `beat` at `index` (also the stand-in for a panel the model failed
 * twice). `earlier` are the beats before it: the place and time of day carry over from the latest one
 * that names them, then from the premise.
 */
export function templatePanel(
  request: PlanRequest,
  beat: OutlineBeat,
  index: number,
  earlier: readonly Pick<OutlineBeat, 'summary'>[] = [],
): PanelPlan {
  const rng = streamFor(request.seed, index + 1);
  const text = beat.summary.toLowerCase();
  const premise = request.premise.toLowerCase();
  const chosen = new Set(request.cast.map((c) => c.id));
  const inPanel = beat.cast.filter((id) => chosen.has(id));
  const faces = facings(inPanel.length, request.direction);
  const cast = inPanel.map((characterId, i) => {
    const own = clauseFor(request, beat.summary, characterId);
    const gaze: GazeId = LOOK_UP.test(own)
      ? 'up'
      : /\b(sleep|sleeps|asleep|dream|dreams)\b/.test(own)
        ? 'closed'
        : LOOK_DOWN.test(own)
          ? 'down'
          : inPanel.length > 1
            ? 'at-other'
            : 'at-viewer';
    return {
      characterId,
      pose: first(POSE_WORDS, own) ?? pick(rng, REST_POSES),
      expression: first(EXPRESSION_WORDS, own) ?? 'neutral',
      facing: faces[i]!,
      gaze,
      action: '',
    };
  });
  const context = [text, ...earlier.map((b) => b.summary.toLowerCase()).reverse(), premise];
  const timeOfDay = firstIn(TIME_WORDS, context) ?? 'afternoon';
  const location = context.map((t) => PLACE.exec(t)?.[1]).find((l) => l !== undefined) ?? '';
  const lead = cast[0]?.expression ?? first(EXPRESSION_WORDS, text) ?? 'neutral';
  return {
    cast,
    scene: {
      location: cutWords(location, PLAN_LIMITS.location),
      timeOfDay,
      weather: first(WEATHER_WORDS, text) ?? '',
      lighting: LIGHTING[timeOfDay],
      mood: MOOD[lead],
    },
    composition: {
      shotSize: shotSize(beat, index, request.panelCount, rng),
      cameraAngle: cameraAngle(beat, index),
    },
    // A sentence spread over two panels is narrated once, in the first.
    caption: earlier.at(-1)?.summary === beat.summary ? '' : cutWords(beat.summary, PLAN_LIMITS.caption),
    dialogue: [],
  };
}

/** The panel at `index` of `outline`, planned by the template and flagged so. */
export function templatePlannedPanel(request: PlanRequest, outline: Outline, index: number): PlannedPanel {
  const beat = outline.beats[index];
  if (!beat)
    throw new RangeError(`Panel ${index + 1} is not in an outline of ${outline.beats.length} panels.`);
  return {
    index,
    beat,
    plan: templatePanel(request, beat, index, outline.beats.slice(0, index)),
    source: 'template',
  };
}

/** A whole plan without a model. */
export function templatePlan(request: PlanRequest): StoryPlan {
  const outline = templateOutline(request);
  return {
    request,
    outline,
    panels: outline.beats.map((_, i) => templatePlannedPanel(request, outline, i)),
    direction: request.direction,
  };
}
