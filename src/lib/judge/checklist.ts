/**
 * The VLM checklist: yes/no questions generated from the panel spec, each with the answer a
 * correct panel gives, and a forgiving parser for what small VLMs actually reply.
 */
import { EXPRESSIONS, POSES, findTerm } from '../domain';
import type { Character, Panel, RegionBox } from '../domain';
import { groundingPhrases } from './placement';

export type YesNo = 'yes' | 'no' | 'unclear';

export interface ChecklistItem {
  /** Stable within a panel: `checklist#<n>`. */
  id: string;
  question: string;
  expected: 'yes' | 'no';
  /** The character the question is about, or null for panel-level questions. */
  characterId: string | null;
  box: RegionBox | null;
  topic: 'expression' | 'pose' | 'count' | 'scene';
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

export function countQuestion(n: number): string {
  if (n === 0) return 'Is the picture free of people?';
  if (n === 1) return 'Is there exactly one person in the picture?';
  return `Are there exactly ${NUMBER_WORDS[n] ?? String(n)} people in the picture?`;
}

const clean = (s: string) => s.trim().replace(/\s+/g, ' ');

/** "a person standing" → "Is … standing?"; "a person with arms crossed" → "Does … have arms crossed?" */
function poseQuestion(who: string, check: string): string {
  const rest = check.replace(/^an? person\s+/i, '');
  return /^with\s/i.test(rest) ? `Does ${who} have ${rest.replace(/^with\s+/i, '')}?` : `Is ${who} ${rest}?`;
}

const withArticle = (place: string) =>
  /^(a|an|the|my|our|their|his|her)\s/i.test(place) || /^[A-Z]/.test(place) ? place : `a ${place}`;

export function generateChecklist(
  panel: Pick<Panel, 'cast' | 'scene'>,
  characters: ReadonlyMap<string, Character>,
): ChecklistItem[] {
  const items: Omit<ChecklistItem, 'id'>[] = [];
  const names = groundingPhrases(panel.cast, characters);
  panel.cast.forEach((m, i) => {
    const who = names[i]!;
    const expression = findTerm(EXPRESSIONS, m.expression);
    if (expression) {
      items.push({
        question: `Does ${who} have ${expression.check}?`,
        expected: 'yes',
        characterId: m.characterId,
        box: m.region,
        topic: 'expression',
      });
    }
    const pose = findTerm(POSES, m.pose);
    if (pose) {
      items.push({
        question: poseQuestion(who, pose.check),
        expected: 'yes',
        characterId: m.characterId,
        box: m.region,
        topic: 'pose',
      });
    }
  });
  items.push({
    question: countQuestion(panel.cast.length),
    expected: 'yes',
    characterId: null,
    box: null,
    topic: 'count',
  });
  const location = clean(panel.scene.location);
  const question = location
    ? `Does this picture take place in ${withArticle(location)}?`
    : `Is it ${panel.scene.timeOfDay === 'noon' ? 'midday' : panel.scene.timeOfDay} in this picture?`;
  items.push({ question, expected: 'yes', characterId: null, box: null, topic: 'scene' });
  return items.map((item, n) => ({ id: `checklist#${n}`, ...item }));
}

// ------------------------------------------------------------------ parsing

/** Strip model tokens (<s>, </s>, <pad>), quotes and "Answer:" prefixes; collapse whitespace. */
export function normaliseAnswer(raw: string): string {
  return raw
    .replace(/<\/?[a-z_|]+[^>]*>/gi, ' ')
    .replace(/[“”"«»]/g, ' ')
    .replace(/^\s*(answer|a|assistant)\s*:\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const UNCLEAR =
  /\b(yes and no|yes or no|no or yes|not sure|unsure|maybe|perhaps|possibly|partly|partially|somewhat|sort of|kind of|hard to (tell|say)|difficult to (tell|say)|(can ?not|can'?t|cannot) (tell|say|see|determine|be sure)|unclear|unknown|uncertain|i (do not|don'?t) know|it depends|not clear)\b/;
const NO =
  /^(no|nope|nah|not really|not at all|not quite|negative|false|incorrect|never|none|(certainly|definitely|absolutely|of course|surely) not|i (do not|don'?t) think so|i (do not|don'?t) believe so|there (is|are) no|not)\b/;
const YES =
  /^(yes|yeah|yep|yup|yea|ya|aye|sure|correct|true|right|indeed|affirmative|absolutely|definitely|certainly|of course|i think so|i believe so|i guess so)\b/;
const FILLER = /^(well|um+|uh+|hmm+|so|ok(ay)?|oh)\b[\s,.!]*/;

/**
 * Map a free-form VLM answer to yes / no / unclear. Hedges ("maybe", "yes and no", "hard to
 * tell") and answers without a yes/no word are unclear; "I think so" counts as yes.
 */
export function parseYesNo(raw: string | null | undefined): YesNo {
  let s = normaliseAnswer(raw ?? '').toLowerCase();
  s = s.replace(/^[\s.,;:!?'`*\-()[\]]+/, '');
  s = s.replace(FILLER, '');
  if (!s) return 'unclear';
  if (UNCLEAR.test(s)) return 'unclear';
  if (NO.test(s)) return 'no';
  if (YES.test(s)) return 'yes';
  // "The answer is yes." / "I'd say no": one standalone yes/no word decides; both or neither is unclear.
  const hasYes = /\byes\b/.test(s);
  const hasNo = /\bno\b/.test(s);
  if (hasYes !== hasNo) return hasYes ? 'yes' : 'no';
  return 'unclear';
}

/** The first non-empty line of the answer, cleaned and at most 160 characters, kept on the report. */
export function explanationLine(raw: string | null | undefined): string {
  const line =
    (raw ?? '')
      .split(/\r?\n/)
      .map(normaliseAnswer)
      .find((l) => l.length > 0) ?? '';
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

/** Score of one answer: 1 if it is the expected one, 0.5 if unclear, 0 otherwise. */
export function answerScore(answer: YesNo, expected: 'yes' | 'no'): number {
  if (answer === 'unclear') return 0.5;
  return answer === expected ? 1 : 0;
}
