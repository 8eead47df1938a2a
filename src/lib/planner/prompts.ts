/**
 * The chat messages for the two planning stages. Short and literal, for a small instruct model: the
 * constraint already forces the JSON shape and the allowed values, so the prompt spends its words on
 * what the constraint cannot say — what the story is, who is who, and what makes a good panel.
 */
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  TIMES_OF_DAY,
  type Term,
} from '../domain';
import { PLAN_LIMITS, type Outline, type PanelPlan, type PlanRequest } from './schema';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const DIRECTIONS = {
  ltr: 'Western comic, read left to right',
  rtl: 'manga, read right to left',
  webtoon: 'vertical webtoon strip, read top to bottom',
} as const;

const idsOf = (terms: readonly Term[]) => terms.map((t) => t.id).join(', ');

const castLines = (request: PlanRequest) => request.cast.map((c) => `- ${c.name} (id "${c.id}")`).join('\n');

const SYSTEM =
  'You are a comic story planner. You answer with one JSON object only, no prose, no code fences. ' +
  'Use only the character ids and the values you are given. Never invent characters.';

/** Stage 1: one beat per panel, with who is in it and how much it matters. */
export function outlineMessages(request: PlanRequest): ChatMessage[] {
  const user = [
    `Premise: ${request.premise}`,
    `Cast:\n${castLines(request)}`,
    request.style ? `Style: ${request.style}` : '',
    `Format: ${DIRECTIONS[request.direction]}.`,
    `Write an outline of exactly ${request.panelCount} panels as {"title", "beats"}.`,
    `Each beat: "summary" (what happens, at most ${PLAN_LIMITS.beat} characters), "cast" (the ids of the characters seen in that panel), ` +
      '"importance" (1 ordinary, 2 big moment, 3 the climax; use 3 at most once or twice).',
    'Open with a panel that shows where we are; follow the premise in order; end on a resolution.',
  ];
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user.filter(Boolean).join('\n') },
  ];
}

/** Stage 2: the panel at `index`, given the outline and the panels planned before it. */
export function panelMessages(
  request: PlanRequest,
  outline: Outline,
  index: number,
  previous: readonly PanelPlan[],
): ChatMessage[] {
  const beat = outline.beats[index];
  if (!beat)
    throw new RangeError(`Panel ${index + 1} is not in an outline of ${outline.beats.length} panels.`);
  const names = new Map(request.cast.map((c) => [c.id, c.name]));
  const inPanel =
    beat.cast.map((id) => `${names.get(id) ?? id} (id "${id}")`).join(', ') || 'nobody (scenery only)';
  const story = outline.beats.map((b, i) => `${i + 1}. ${b.summary}`).join('\n');
  const last = previous.at(-1);
  const user = [
    `Story "${outline.title}": ${request.premise}`,
    request.style ? `Style: ${request.style}` : '',
    `Outline:\n${story}`,
    last
      ? `Panel ${index} was: ${last.composition.shotSize} shot at ${last.scene.location || 'the same place'}, ${last.scene.timeOfDay}.`
      : '',
    `Now plan panel ${index + 1}: ${beat.summary}`,
    `Characters in it, in this order: ${inPanel}.`,
    `Allowed poses: ${idsOf(POSES)}.`,
    `Allowed expressions: ${idsOf(EXPRESSIONS)}.`,
    `Allowed facings: ${idsOf(FACINGS)}. Allowed gazes: ${idsOf(GAZES)}.`,
    `Allowed shot sizes: ${idsOf(SHOT_SIZES)}. Allowed camera angles: ${idsOf(CAMERA_ANGLES)}.`,
    `Allowed times of day: ${TIMES_OF_DAY.join(', ')}.`,
    'Keep the place and time of day unless the story moves on. Caption: one short sentence of narration. ' +
      `Dialogue: at most ${PLAN_LIMITS.dialogueLines} short lines, only if someone speaks; an empty list is fine.`,
  ];
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user.filter(Boolean).join('\n') },
  ];
}
