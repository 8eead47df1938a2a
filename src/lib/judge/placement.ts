/**
 * Placement: where Florence-2's phrase grounding (<CAPTION_TO_PHRASE_GROUNDING>, one of its trained
 * tasks; see caption.ts for why the judge uses no questions) finds each character's descriptor,
 * compared with the region the plan gave that character.
 */
import type { CastMember, Character, RegionBox } from '../domain';
import { iou } from './matching';

const clean = (s: string) => s.trim().replace(/\s+/g, ' ');

/** "the girl with copper bob hair", falling back to the first wardrobe item, then to the species. */
export function describeCharacter(c: Character): string {
  const who = clean(c.species) || 'person';
  const hair = clean(c.hair);
  if (hair) return `the ${who} with ${/\bhair$/i.test(hair) ? hair : `${hair} hair`}`;
  const first = c.wardrobe[0];
  if (first) return `the ${who} wearing ${clean(`${first.color} ${first.item}`)}`;
  return `the ${who}`;
}

function horizontalPlace(region: RegionBox): string {
  const centre = region.x + region.w / 2;
  if (centre < 0.4) return 'on the left';
  if (centre > 0.6) return 'on the right';
  return 'in the middle';
}

/** The phrase to ground per cast member; when two would read the same, their positions tell them apart. */
export function groundingPhrases(
  cast: readonly CastMember[],
  characters: ReadonlyMap<string, Character>,
): string[] {
  const base = cast.map((m) => {
    const c = characters.get(m.characterId);
    return c ? describeCharacter(c) : 'the person';
  });
  return base.map((d, i) =>
    base.filter((o) => o === d).length > 1 ? `${d} ${horizontalPlace(cast[i]!.region)}` : d,
  );
}

/** Centres this far apart (in panel widths/heights) get nothing for closeness. */
export const CENTRE_SCALE = 0.5;

export interface Placement {
  /** ½·IoU + ½·closeness, in [0, 1]. */
  score: number;
  iou: number;
  /** Distance between the centres, in panel units. */
  distance: number;
}

const centre = (b: RegionBox) => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

/**
 * How well a found box sits on the planned region: half IoU, half centre closeness
 * max(0, 1 − d / CENTRE_SCALE). The centre half matters because planned regions are generous
 * (a column of the panel) while a figure fills only part of one: IoU alone would punish a figure
 * drawn exactly where asked but smaller.
 */
export function placement(planned: RegionBox, found: RegionBox): Placement {
  const a = centre(planned);
  const b = centre(found);
  const distance = Math.hypot(a.x - b.x, a.y - b.y);
  const overlap = iou(planned, found);
  const closeness = Math.max(0, 1 - distance / CENTRE_SCALE);
  return { score: 0.5 * overlap + 0.5 * closeness, iou: overlap, distance };
}

/** The best-placed of the found boxes (the earliest on ties), or null when none was found. */
export function bestPlacement(
  planned: RegionBox,
  found: readonly RegionBox[],
): (Placement & { index: number }) | null {
  let best: (Placement & { index: number }) | null = null;
  for (const [index, box] of found.entries()) {
    const p = placement(planned, box);
    if (!best || p.score > best.score) best = { ...p, index };
  }
  return best;
}
