/**
 * Records into and out of a bundle, pure. Out: every image reference (a template's, an attempt's, a
 * story's cover) becomes the image's SHA-256, so the bundle refers only to files inside it. In: the
 * records are migrated to the current schema versions and checked by the domain schemas; then the
 * artist's choice for each conflict (copy, replace, skip) is applied — a copy gets new ids everywhere
 * (panels, attempts, references between them), so nothing in the library is ever overwritten
 * silently and two copies never share an image.
 */
import {
  Attempt,
  Character,
  Panel,
  Story,
  StoryLoomError,
  TEXT_LIMITS,
  newId,
  parseOrThrow,
} from '../domain';
import type { ImageRecord } from '../domain';
import { migrateAttempt, migrateCharacter, migratePanel, migrateStory } from '../store/migrations';
import type { BundleImage, BundleImageMime, Manifest } from './manifest';
import { BUNDLE_IMAGE_TYPES } from './manifest';

export interface LibraryRecords {
  characters: Character[];
  stories: Story[];
  panels: Panel[];
  attempts: Attempt[];
}

/** What the exporter knows of each image it packs: its id in the library and its content hash. */
export interface PackedImage extends Omit<BundleImage, 'mime'> {
  id: string;
  mime: string;
}

const isBundleMime = (mime: string): mime is BundleImageMime => mime in BUNDLE_IMAGE_TYPES;

/**
 * The records with image ids replaced by SHA-256, and the images they need (once each). An image
 * the library no longer has is dropped from the record that referred to it.
 */
export function recordsForBundle(
  records: LibraryRecords,
  images: ReadonlyMap<string, PackedImage>,
): Pick<Manifest, 'characters' | 'stories' | 'panels' | 'attempts' | 'images'> {
  const used = new Map<string, BundleImage>();
  const sha = (imageId: string | null): string | null => {
    const image = imageId ? images.get(imageId) : undefined;
    if (!image || !isBundleMime(image.mime)) return null;
    used.set(image.sha256, {
      sha256: image.sha256,
      mime: image.mime,
      width: image.width,
      height: image.height,
      bytes: image.bytes,
    });
    return image.sha256;
  };
  const characters = records.characters.map((c) => ({
    ...c,
    templates: c.templates.flatMap((t) => {
      const hash = sha(t.imageId);
      return hash ? [{ ...t, imageId: hash }] : [];
    }),
  }));
  const stories = records.stories.map((s) => ({ ...s, coverImageId: sha(s.coverImageId) }));
  const attempts = records.attempts.map((a) => ({ ...a, imageId: sha(a.imageId) }));
  return { characters, stories, panels: records.panels, attempts, images: [...used.values()] };
}

/** A record of the bundle that is not what it claims: one sentence naming it. */
function badRecord(kind: string, raw: { id?: unknown }, e: unknown): never {
  const why = e instanceof Error ? e.message : String(e);
  throw new StoryLoomError(
    'unsupported-file',
    `The bundle's ${kind} “${String(raw.id)}” cannot be read: ${why}`,
  );
}

function parsed<T>(kind: string, raw: { id?: unknown }, read: () => T): T {
  try {
    return read();
  } catch (e) {
    return badRecord(kind, raw, e);
  }
}

/** The bundle's records migrated to the current schema versions and checked by the domain schemas. */
export function readBundleRecords(manifest: Manifest): LibraryRecords {
  return {
    characters: manifest.characters.map((r) =>
      parsed('character', r, () => parseOrThrow(Character, migrateCharacter(r as never), 'character')),
    ),
    stories: manifest.stories.map((r) =>
      parsed('story', r, () => parseOrThrow(Story, migrateStory(r as never), 'story')),
    ),
    panels: manifest.panels.map((r) =>
      parsed('panel', r, () => parseOrThrow(Panel, migratePanel(r as never), 'panel')),
    ),
    attempts: manifest.attempts.map((r) =>
      parsed('attempt', r, () => parseOrThrow(Attempt, migrateAttempt(r as never), 'attempt')),
    ),
  };
}

/**
 * Every reference inside the bundle must resolve inside the bundle: panels to their story, stories
 * to their panels, cast members to characters that are in the bundle (or, for a story bundle, in the
 * library — `known` — as the artist may share a story without its cast), attempts to their panel,
 * images to files listed in the manifest.
 */
export function checkReferences(
  records: LibraryRecords,
  images: ReadonlySet<string>,
  known: ReadonlySet<string>,
): void {
  function fail(sentence: string): never {
    throw new StoryLoomError('unsupported-file', sentence);
  }
  const characterIds = new Set(records.characters.map((c) => c.id));
  const storyById = new Map(records.stories.map((s) => [s.id, s]));
  const panelById = new Map(records.panels.map((p) => [p.id, p]));
  const unique = (kind: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) fail(`The bundle lists the ${kind} “${id}” twice.`);
      seen.add(id);
    }
  };
  unique(
    'character',
    records.characters.map((c) => c.id),
  );
  unique(
    'story',
    records.stories.map((s) => s.id),
  );
  unique(
    'panel',
    records.panels.map((p) => p.id),
  );
  unique(
    'attempt',
    records.attempts.map((a) => a.id),
  );
  for (const c of records.characters)
    for (const t of c.templates)
      if (!images.has(t.imageId))
        fail(`The character “${c.name}” refers to an image that is not in the bundle.`);
  for (const s of records.stories) {
    if (s.coverImageId && !images.has(s.coverImageId))
      fail(`The story “${s.title}” refers to a cover image that is not in the bundle.`);
    for (const pid of s.panelIds) {
      const p = panelById.get(pid);
      if (!p || p.storyId !== s.id)
        fail(`The story “${s.title}” lists a panel (${pid}) that is not in the bundle.`);
    }
  }
  for (const p of records.panels) {
    const s = storyById.get(p.storyId);
    if (!s || !s.panelIds.includes(p.id)) fail(`The panel ${p.id} belongs to no story of the bundle.`);
    for (const m of p.cast)
      if (!characterIds.has(m.characterId) && !known.has(m.characterId))
        fail(`A panel of “${s.title}” casts a character that is neither in the bundle nor in your library.`);
    if (p.acceptedAttemptId && !records.attempts.some((a) => a.id === p.acceptedAttemptId))
      fail(`A panel of “${s.title}” keeps an attempt that is not in the bundle.`);
  }
  for (const a of records.attempts) {
    const p = panelById.get(a.panelId);
    if (!p || p.storyId !== a.storyId) fail(`The attempt ${a.id} belongs to no panel of the bundle.`);
    if (a.imageId && !images.has(a.imageId))
      fail(`The attempt ${a.id} refers to an image that is not in the bundle.`);
  }
}

// ------------------------------------------------------------------ conflicts

export type Resolution = 'copy' | 'replace' | 'skip';

/** "Mira" → "Mira (copy)", within the name's limit. */
export function copyName(name: string): string {
  const suffix = ' (copy)';
  return name.slice(0, TEXT_LIMITS.characterName - suffix.length).trimEnd() + suffix;
}

export interface Conflicts {
  /** Characters of the bundle whose id is already in the library. */
  characters: { id: string; name: string; libraryName: string }[];
  stories: { id: string; title: string; libraryTitle: string }[];
  /** This very bundle (its bundleId) was imported before. */
  importedBefore: boolean;
}

export function findConflicts(
  records: LibraryRecords,
  library: {
    characters: ReadonlyMap<string, string>;
    stories: ReadonlyMap<string, string>;
    bundles: ReadonlySet<string>;
  },
  bundleId: string,
): Conflicts {
  return {
    characters: records.characters
      .filter((c) => library.characters.has(c.id))
      .map((c) => ({ id: c.id, name: c.name, libraryName: library.characters.get(c.id) ?? '' })),
    stories: records.stories
      .filter((s) => library.stories.has(s.id))
      .map((s) => ({ id: s.id, title: s.title, libraryTitle: library.stories.get(s.id) ?? '' })),
    importedBefore: library.bundles.has(bundleId),
  };
}

export const hasConflicts = (c: Conflicts): boolean =>
  c.characters.length > 0 || c.stories.length > 0 || c.importedBefore;

/** What will be written: records with final ids, and the image ids each SHA-256 gets. */
export interface ImportPlan extends LibraryRecords {
  /** Library ids (stories) whose panels and attempts are replaced by the bundle's. */
  replacedStories: string[];
  /** SHA-256 → the new image record's id. */
  imageIds: Map<string, string>;
}

/**
 * Apply one resolution to every conflict (the preview offers copy, replace or skip). Copy: the
 * conflicting character or story — and, for a story, its panels and attempts — get new ids, and
 * every reference follows. Replace: the bundle's records take the library's ids. Skip: a conflicting
 * record is left out (a skipped character stays the library's, and the bundle's panels cast it).
 * Records without a conflict are written as they are. Images always get new ids, so deleting one
 * copy never takes another's pictures.
 */
export function planImport(
  records: LibraryRecords,
  conflicts: Conflicts,
  resolution: Resolution,
  makeId: () => string = newId,
): ImportPlan {
  const clashing = new Set([...conflicts.characters.map((c) => c.id), ...conflicts.stories.map((s) => s.id)]);
  const characterId = new Map<string, string>();
  const characters: Character[] = [];
  for (const c of records.characters) {
    if (!clashing.has(c.id) || resolution === 'replace') {
      // A copy: the plan rewrites template image ids below, and the opened bundle's records must stay
      // as they were (a cancelled import is committed again from them).
      characters.push({ ...c });
    } else if (resolution === 'copy') {
      const id = makeId();
      characterId.set(c.id, id);
      characters.push({ ...c, id, name: copyName(c.name) });
    }
  }
  const imageIds = new Map<string, string>();
  const imageId = (sha: string | null): string | null => {
    if (!sha) return null;
    if (!imageIds.has(sha)) imageIds.set(sha, makeId());
    return imageIds.get(sha) ?? null;
  };
  const stories: Story[] = [];
  const panels: Panel[] = [];
  const attempts: Attempt[] = [];
  const replacedStories: string[] = [];
  const panelsOf = new Map<string, Panel[]>();
  for (const p of records.panels) panelsOf.set(p.storyId, [...(panelsOf.get(p.storyId) ?? []), p]);
  const attemptsOf = new Map<string, Attempt[]>();
  for (const a of records.attempts) attemptsOf.set(a.panelId, [...(attemptsOf.get(a.panelId) ?? []), a]);
  const castId = (id: string) => characterId.get(id) ?? id;

  for (const s of records.stories) {
    const clash = clashing.has(s.id);
    if (clash && resolution === 'skip') continue;
    const copy = clash && resolution === 'copy';
    if (clash && resolution === 'replace') replacedStories.push(s.id);
    const storyId = copy ? makeId() : s.id;
    const panelId = new Map<string, string>();
    const attemptId = new Map<string, string>();
    for (const p of panelsOf.get(s.id) ?? []) {
      panelId.set(p.id, copy ? makeId() : p.id);
      for (const a of attemptsOf.get(p.id) ?? []) attemptId.set(a.id, copy ? makeId() : a.id);
    }
    stories.push({
      ...s,
      id: storyId,
      panelIds: s.panelIds.map((id) => panelId.get(id) ?? id),
      coverImageId: imageId(s.coverImageId),
    });
    for (const p of panelsOf.get(s.id) ?? []) {
      const pid = panelId.get(p.id) ?? p.id;
      panels.push({
        ...p,
        id: pid,
        storyId,
        cast: p.cast.map((m) => ({ ...m, characterId: castId(m.characterId) })),
        dialogue: p.dialogue.map((d) => ({ ...d, speakerId: d.speakerId ? castId(d.speakerId) : null })),
        acceptedAttemptId: p.acceptedAttemptId ? (attemptId.get(p.acceptedAttemptId) ?? null) : null,
      });
      for (const a of attemptsOf.get(p.id) ?? [])
        attempts.push({
          ...a,
          id: attemptId.get(a.id) ?? a.id,
          panelId: pid,
          storyId,
          imageId: imageId(a.imageId),
        });
    }
  }
  for (const c of characters)
    c.templates = c.templates.map((t) => ({ ...t, imageId: imageId(t.imageId) ?? t.imageId }));
  return { characters, stories, panels, attempts, replacedStories, imageIds };
}

/** The image record an imported image becomes (its bytes already sniffed and decoded by the caller). */
export function importedImage(id: string, image: BundleImage, blob: Blob, now: number): ImageRecord {
  return {
    id,
    blob,
    mime: image.mime,
    width: image.width,
    height: image.height,
    bytes: image.bytes,
    createdAt: now,
  };
}
