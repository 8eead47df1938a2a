import { SCHEMA_VERSION } from './schema';
import { PageSettings } from './schema';
import type { CastMember, Character, DialogueLine, Panel, RegionBox, Settings, Story } from './schema';

export const newId = (): string => crypto.randomUUID();

export function newCharacter(now = Date.now(), name = ''): Character {
  return {
    schemaVersion: SCHEMA_VERSION.character,
    id: newId(),
    name,
    artStyle: '',
    species: '',
    ageRange: '',
    hair: '',
    eyes: '',
    skin: '',
    wardrobe: [],
    accessories: [],
    marks: [],
    palette: [],
    notes: '',
    templates: [],
    templateVersion: 0,
    verified: false,
    createdAt: now,
    updatedAt: now,
  };
}

export function newStory(now = Date.now(), title = ''): Story {
  return {
    schemaVersion: SCHEMA_VERSION.story,
    id: newId(),
    title,
    premise: '',
    style: '',
    panelIds: [],
    coverImageId: null,
    layout: PageSettings.parse({}),
    createdAt: now,
    updatedAt: now,
  };
}

export function newPanel(storyId: string, now = Date.now()): Panel {
  return {
    schemaVersion: SCHEMA_VERSION.panel,
    id: newId(),
    storyId,
    cast: [],
    scene: { location: '', timeOfDay: 'afternoon', weather: '', lighting: '', mood: '' },
    composition: { shotSize: 'medium', cameraAngle: 'eye-level' },
    caption: '',
    dialogue: [],
    beat: '',
    importance: 1,
    lettering: [],
    status: 'draft',
    acceptedAttemptId: null,
    plannedBy: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A new dialogue line (text to be typed): its id is what the lettering refers to. */
export function newDialogueLine(speakerId: string | null, text = ''): DialogueLine {
  return { id: newId().slice(0, 8), speakerId, kind: 'speech', text };
}

/** A default region for the n-th character of a panel: side-by-side columns. */
export function defaultRegion(index: number, count: number): RegionBox {
  const w = 1 / Math.max(1, count);
  return { x: Math.min(index * w, 1 - w), y: 0.1, w, h: 0.9 };
}

export function newCastMember(characterId: string, index = 0, count = 1): CastMember {
  return {
    characterId,
    pose: 'standing',
    expression: 'neutral',
    facing: 'front',
    gaze: 'at-viewer',
    action: '',
    region: defaultRegion(index, count),
  };
}

export function defaultSettings(): Settings {
  return {
    schemaVersion: SCHEMA_VERSION.settings,
    id: 'settings',
    thresholds: {},
    budget: { maxAttempts: 6, maxSeconds: 300 },
    generation: { width: 512, height: 512, numInferenceSteps: 4, guidanceScale: 0 },
    theme: 'system',
    models: { activePackId: null, developerTestPacks: false },
  };
}
