/**
 * Closed vocabularies for transient attributes and composition.
 * Each term has a stable id (stored in records; never renamed), the phrase the
 * prompt compiler uses to draw it, and the phrase the judge uses to check it.
 */
export interface Term<Id extends string = string> {
  readonly id: Id;
  readonly label: string;
  readonly draw: string;
  readonly check: string;
}

const term = <Id extends string>(id: Id, label: string, draw: string, check: string): Term<Id> => ({
  id,
  label,
  draw,
  check,
});

export const POSES = [
  term('standing', 'Standing', 'standing upright', 'a person standing'),
  term('walking', 'Walking', 'walking, mid-stride', 'a person walking'),
  term('running', 'Running', 'running, dynamic motion', 'a person running'),
  term('jumping', 'Jumping', 'jumping in the air, feet off the ground', 'a person jumping'),
  term('sitting', 'Sitting', 'sitting on a chair', 'a person sitting on a chair'),
  term(
    'sitting-on-ground',
    'Sitting on the ground',
    'sitting on the ground',
    'a person sitting on the ground',
  ),
  term('kneeling', 'Kneeling', 'kneeling on one knee', 'a person kneeling'),
  term('crouching', 'Crouching', 'crouching low', 'a person crouching'),
  term('lying-down', 'Lying down', 'lying down', 'a person lying down'),
  term('leaning', 'Leaning', 'leaning against a wall', 'a person leaning against something'),
  term('waving', 'Waving', 'waving one hand', 'a person waving a hand'),
  term('pointing', 'Pointing', 'pointing with an outstretched finger', 'a person pointing'),
  term('arms-crossed', 'Arms crossed', 'arms crossed over the chest', 'a person with arms crossed'),
  term('hands-on-hips', 'Hands on hips', 'hands on hips', 'a person with hands on hips'),
  term('reaching-out', 'Reaching out', 'reaching out with one arm', 'a person reaching out'),
  term('holding-object', 'Holding an object', 'holding an object in the hands', 'a person holding an object'),
  term('carrying', 'Carrying', 'carrying something heavy', 'a person carrying something'),
  term('hugging', 'Hugging', 'hugging', 'a person hugging someone'),
  term(
    'fighting-stance',
    'Fighting stance',
    'in a fighting stance, fists raised',
    'a person in a fighting stance',
  ),
  term('dancing', 'Dancing', 'dancing', 'a person dancing'),
  term('climbing', 'Climbing', 'climbing', 'a person climbing'),
  term('falling', 'Falling', 'falling through the air', 'a person falling'),
  term(
    'looking-back',
    'Looking back over the shoulder',
    'looking back over the shoulder',
    'a person looking back over their shoulder',
  ),
  term('bowing', 'Bowing', 'bowing forward', 'a person bowing'),
  term('reading', 'Reading', 'reading a book', 'a person reading'),
  term('eating-drinking', 'Eating or drinking', 'eating or drinking', 'a person eating or drinking'),
  term(
    'thinking',
    'Thinking (hand on chin)',
    'thinking with a hand on the chin',
    'a person with a hand on their chin',
  ),
  term(
    'celebrating',
    'Celebrating (arms raised)',
    'celebrating with both arms raised',
    'a person with arms raised',
  ),
] as const;

export const EXPRESSIONS = [
  term('neutral', 'Neutral', 'neutral expression', 'a face with a neutral expression'),
  term('smiling', 'Smiling', 'smiling', 'a smiling face'),
  term('laughing', 'Laughing', 'laughing with an open mouth', 'a laughing face'),
  term('sad', 'Sad', 'sad expression', 'a sad face'),
  term('crying', 'Crying', 'crying, tears on the cheeks', 'a crying face'),
  term('angry', 'Angry', 'angry, furrowed brows', 'an angry face'),
  term('surprised', 'Surprised', 'surprised, wide eyes', 'a surprised face'),
  term('scared', 'Scared', 'scared, frightened', 'a scared face'),
  term('disgusted', 'Disgusted', 'disgusted grimace', 'a disgusted face'),
  term('confused', 'Confused', 'confused, puzzled look', 'a confused face'),
  term('determined', 'Determined', 'determined, focused look', 'a determined face'),
  term('embarrassed', 'Embarrassed', 'embarrassed, blushing', 'an embarrassed face'),
] as const;

export const FACINGS = [
  term('front', 'Front', 'facing the viewer', 'a person facing the camera'),
  term(
    'three-quarter-left',
    'Three-quarter left',
    'three-quarter view turned left',
    'a person turned slightly left',
  ),
  term(
    'three-quarter-right',
    'Three-quarter right',
    'three-quarter view turned right',
    'a person turned slightly right',
  ),
  term('profile-left', 'Profile left', 'in profile facing left', 'a person in profile facing left'),
  term('profile-right', 'Profile right', 'in profile facing right', 'a person in profile facing right'),
  term('back', 'Back', 'seen from behind', 'a person seen from behind'),
] as const;

export const GAZES = [
  term('at-viewer', 'At the viewer', 'looking at the viewer', 'a person looking at the camera'),
  term('away', 'Away', 'looking away', 'a person looking away'),
  term('up', 'Up', 'looking up', 'a person looking up'),
  term('down', 'Down', 'looking down', 'a person looking down'),
  term(
    'at-other',
    'At another character',
    'looking at the other character',
    'a person looking at someone else',
  ),
  term('closed', 'Eyes closed', 'eyes closed', 'a person with eyes closed'),
] as const;

export const SHOT_SIZES = [
  term('extreme-close-up', 'Extreme close-up', 'extreme close-up shot', 'an extreme close-up'),
  term('close-up', 'Close-up', 'close-up shot', 'a close-up of a face'),
  term(
    'medium-close-up',
    'Medium close-up',
    'medium close-up shot, head and shoulders',
    'a head and shoulders shot',
  ),
  term('medium', 'Medium', 'medium shot, waist up', 'a waist-up shot'),
  term('cowboy', 'Cowboy', 'cowboy shot, mid-thigh up', 'a shot from the thighs up'),
  term('full', 'Full', 'full body shot', 'a full body shot'),
  term('wide', 'Wide / establishing', 'wide establishing shot', 'a wide establishing shot'),
] as const;

export const CAMERA_ANGLES = [
  term('eye-level', 'Eye level', 'eye-level view', 'an eye-level view'),
  term('high', 'High angle', 'high-angle view', 'a high-angle view'),
  term('low', 'Low angle', 'low-angle view', 'a low-angle view'),
  term('birds-eye', "Bird's-eye", "bird's-eye view from directly above", 'a view from directly above'),
  term('worms-eye', "Worm's-eye", "worm's-eye view from the ground", 'a view from the ground looking up'),
  term('dutch', 'Dutch angle', 'dutch angle, tilted frame', 'a tilted frame'),
  term('over-the-shoulder', 'Over the shoulder', 'over-the-shoulder shot', 'an over-the-shoulder shot'),
] as const;

export const TIMES_OF_DAY = ['dawn', 'morning', 'noon', 'afternoon', 'dusk', 'night'] as const;

type Ids<T extends readonly Term[]> = T[number]['id'];
export type PoseId = Ids<typeof POSES>;
export type ExpressionId = Ids<typeof EXPRESSIONS>;
export type FacingId = Ids<typeof FACINGS>;
export type GazeId = Ids<typeof GAZES>;
export type ShotSizeId = Ids<typeof SHOT_SIZES>;
export type CameraAngleId = Ids<typeof CAMERA_ANGLES>;
export type TimeOfDay = (typeof TIMES_OF_DAY)[number];

export const ids = <T extends readonly Term[]>(terms: T) =>
  terms.map((t) => t.id) as unknown as [Ids<T>, ...Ids<T>[]];

export function findTerm<T extends readonly Term[]>(terms: T, id: string): T[number] | undefined {
  return terms.find((t) => t.id === id);
}
