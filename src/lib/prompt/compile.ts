/**
 * The conditioning compiler: a panel spec becomes separate chunks so that identity (persistent),
 * transient attributes (pose, expression, …) and scene/composition are encoded apart and
 * concatenated along the encoder's sequence axis. Changing one part re-encodes only its chunk.
 */
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  StoryLoomError,
  findTerm,
} from '../domain';
import type { CastMember, Character, ConditioningChunk, Panel, Story, Term } from '../domain';

export interface CompiledChunk extends ConditioningChunk {
  /** Cache key: equal keys encode to equal states. */
  key: string;
}

export interface CompiledConditioning {
  /** Positive chunks in encoding order: per character identity then transient, then the scene chunk (alone for a scene-only panel). */
  chunks: CompiledChunk[];
  negative: CompiledChunk;
}

export interface CompileOptions {
  /** Per-kind weights; the gate raises one to strengthen a failing attribute. */
  weights?: Partial<Record<'identity' | 'transient' | 'scene', number>>;
  /** Per-character overrides, e.g. { 'char-id': { transient: 1.4 } }. */
  characterWeights?: Record<string, Partial<Record<'identity' | 'transient', number>>>;
  /** Extra negative phrases (the gate adds these on a failed check). */
  extraNegatives?: string[];
  /** Phrases to move to the front of a character's transient chunk (the failing attribute). */
  frontLoad?: Record<string, string[]>;
}

export const BASE_NEGATIVE = 'blurry, low quality, deformed, extra limbs, duplicate person, text, watermark';

/**
 * A scene-only panel (an establishing shot: no cast) shows the place, so figures go in the negative:
 * a "no people" in the positive prompt would still put people in a CLIP-conditioned picture.
 */
export const SCENE_ONLY_NEGATIVE = 'people, person, figure, character';

const join = (parts: Array<string | undefined | null>) =>
  parts
    .map((p) => (p ?? '').trim())
    .filter(Boolean)
    .join(', ');

/** The identity chunk: only what must not drift between panels (face, hair, wardrobe, marks, palette). */
export function identityText(c: Character): string {
  const wardrobe = c.wardrobe.map((w) => join([w.color, w.item]).replace(', ', ' '));
  return join([
    c.name,
    c.species,
    c.ageRange,
    c.hair && `${c.hair} hair`,
    c.eyes && `${c.eyes} eyes`,
    c.skin && `${c.skin} skin`,
    wardrobe.length ? `wearing ${wardrobe.join(' and ')}` : '',
    c.accessories.length ? `with ${c.accessories.join(' and ')}` : '',
    ...c.marks,
    c.palette.length ? `palette ${c.palette.join(' ')}` : '',
    c.artStyle,
  ]);
}

const phrase = (terms: readonly Term[], id: string) => findTerm(terms, id)?.draw ?? '';

/** The transient chunk: this panel's pose, expression, facing, gaze and action for one character. */
export function transientText(m: CastMember, c: Character, frontLoad: string[] = []): string {
  return join([
    ...frontLoad,
    c.name,
    phrase(POSES, m.pose),
    phrase(EXPRESSIONS, m.expression),
    phrase(FACINGS, m.facing),
    phrase(GAZES, m.gaze),
    m.action,
  ]);
}

export function sceneText(panel: Panel, story: Pick<Story, 'style'>): string {
  const s = panel.scene;
  return join([
    phrase(SHOT_SIZES, panel.composition.shotSize),
    phrase(CAMERA_ANGLES, panel.composition.cameraAngle),
    s.location,
    s.timeOfDay && `at ${s.timeOfDay}`,
    s.weather,
    s.lighting,
    s.mood && `${s.mood} mood`,
    story.style,
  ]);
}

/** A short stable hash (FNV-1a, 32 bit) for cache keys. */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function compilePanel(
  panel: Panel,
  story: Pick<Story, 'style'>,
  characters: ReadonlyMap<string, Character>,
  options: CompileOptions = {},
): CompiledConditioning {
  const w = { identity: 1, transient: 1, scene: 1, ...options.weights };
  const chunks: CompiledChunk[] = [];
  for (const member of panel.cast) {
    const c = characters.get(member.characterId);
    if (!c) {
      throw new StoryLoomError(
        'not-found',
        `A panel refers to a character that no longer exists (${member.characterId}). Remove it from the cast.`,
      );
    }
    if (!c.verified) {
      throw new StoryLoomError(
        'invalid-input',
        `${c.name} has no verified template yet. Open ${c.name}, check the reference images and tick "Verified template" before generating.`,
      );
    }
    const cw = options.characterWeights?.[c.id] ?? {};
    const idText = identityText(c);
    chunks.push({
      kind: 'identity',
      characterId: c.id,
      text: idText,
      weight: cw.identity ?? w.identity,
      // Keyed by the template version: re-verified or edited characters are re-encoded.
      key: `identity:${c.id}:${c.templateVersion}:${hashText(idText)}`,
    });
    const trText = transientText(member, c, options.frontLoad?.[c.id]);
    chunks.push({
      kind: 'transient',
      characterId: c.id,
      text: trText,
      weight: cw.transient ?? w.transient,
      key: `transient:${hashText(trText)}`,
    });
  }
  const scText = sceneText(panel, story);
  chunks.push({
    kind: 'scene',
    characterId: null,
    text: scText,
    weight: w.scene,
    key: `scene:${hashText(scText)}`,
  });
  const negText = join([
    BASE_NEGATIVE,
    panel.cast.length === 0 ? SCENE_ONLY_NEGATIVE : null,
    ...(options.extraNegatives ?? []),
  ]);
  const negative: CompiledChunk = {
    kind: 'negative',
    characterId: null,
    text: negText,
    weight: 1,
    key: `negative:${hashText(negText)}`,
  };
  return { chunks, negative };
}
