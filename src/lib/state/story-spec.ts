import { Panel as PanelSchema, SCHEMA_VERSION, Story as StorySchema, fieldLengthError } from '../domain';
import type { Panel, Story, TextField } from '../domain';

/**
 * What the artist edits in the story editor: the story's words and every panel's spec. The status
 * and the kept attempt are not in it — they are the gate's and the artist's decisions on attempts,
 * which undo must not touch and which are not unsaved edits.
 */
export interface StorySpec {
  story: Pick<Story, 'title' | 'premise' | 'style'>;
  panels: PanelSpec[];
}
export type PanelSpec = Omit<Panel, 'status' | 'acceptedAttemptId' | 'updatedAt'>;

export function specOf(story: Story, panels: Panel[]): StorySpec {
  return {
    story: { title: story.title, premise: story.premise, style: story.style },
    panels: panels.map((p) => ({
      schemaVersion: p.schemaVersion,
      id: p.id,
      storyId: p.storyId,
      cast: p.cast.map((m) => ({ ...m, region: { ...m.region } })),
      scene: { ...p.scene },
      composition: { ...p.composition },
      caption: p.caption,
      dialogue: p.dialogue.map((d) => ({ ...d })),
      beat: p.beat,
      importance: p.importance,
      plannedBy: p.plannedBy,
      lettering: p.lettering.map((b) => ({
        ...b,
        box: b.box ? { ...b.box } : null,
        tail: b.tail ? { ...b.tail } : null,
      })),
      createdAt: p.createdAt,
    })),
  };
}

/** A panel from its spec; status and kept attempt from `live` (the panel as it is now), if any. */
export function panelFromSpec(spec: PanelSpec, live: Panel | undefined): Panel {
  return {
    ...structuredClone(spec),
    status: live?.status ?? 'draft',
    acceptedAttemptId: live?.acceptedAttemptId ?? null,
    updatedAt: live?.updatedAt ?? spec.createdAt,
  };
}

const panelFields: [TextField, (p: PanelSpec) => string[]][] = [
  ['caption', (p) => [p.caption]],
  ['location', (p) => [p.scene.location]],
  ['weather', (p) => [p.scene.weather]],
  ['lighting', (p) => [p.scene.lighting]],
  ['mood', (p) => [p.scene.mood]],
  ['action', (p) => p.cast.map((m) => m.action)],
  ['dialogue', (p) => p.dialogue.map((d) => d.text)],
  ['beat', (p) => [p.beat]],
];

/**
 * The first reason this spec cannot be saved, as the sentence the artist sees at the field (or the
 * schema's sentence), or null when it can be saved. Nothing is ever truncated to make it fit.
 */
export function specProblem(spec: StorySpec): string | null {
  const s = spec.story;
  const own =
    fieldLengthError('storyTitle', s.title) ??
    fieldLengthError('style', s.style) ??
    fieldLengthError('premise', s.premise);
  if (own) return own;
  for (const [i, p] of spec.panels.entries()) {
    for (const [field, values] of panelFields) {
      for (const v of values(p)) {
        const e = fieldLengthError(field, v);
        if (e) return `Panel ${i + 1}: ${e}`;
      }
    }
  }
  const story = StorySchema.safeParse({
    schemaVersion: SCHEMA_VERSION.story,
    id: 'draft',
    ...s,
    panelIds: spec.panels.map((p) => p.id),
    coverImageId: null,
    createdAt: 0,
    updatedAt: 0,
  });
  if (!story.success) return story.error.issues[0]?.message ?? 'The story cannot be saved as it is.';
  for (const [i, p] of spec.panels.entries()) {
    const panel = PanelSchema.safeParse(panelFromSpec(p, undefined));
    if (!panel.success)
      return `Panel ${i + 1}: ${panel.error.issues[0]?.message ?? 'it cannot be saved as it is.'}`;
  }
  return null;
}
