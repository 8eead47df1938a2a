/**
 * Browser side of the bench seed. Bundled on its own into `.bench/seed-dist/seed.js` and served only by
 * the bench (as /__bench/seed.js, same origin as the app, so it writes the app's IndexedDB). The app
 * bundle never contains it.
 *
 * It writes through the store's own code: the store opens (and upgrades) the database, the store's
 * record mappers add the derived index fields, the store's transaction helper runs each batch. The store
 * only saves one character / one story per transaction (with a read-back of every cast member), which
 * would take minutes for 12,000 records, so this module is the bulk path: one transaction per batch,
 * every put issued at once and awaited together.
 */
import {
  Attempt,
  Character,
  PageSettings,
  SCHEMA_VERSION,
  newCastMember,
  newCharacter,
  newPanel,
  parseOrThrow,
} from '../../../src/lib/domain';
import type { DialogueLine, Panel, Story } from '../../../src/lib/domain';
import {
  DB,
  STORE,
  openStoryLoomDB,
  toStoredCharacter,
  toStoredPanel,
  toStoredStory,
} from '../../../src/lib/store/index';
import { validateStoryWithPanels } from '../../../src/lib/store/stories';
import { inTransaction } from '../../../src/lib/store/tx';
import type { ImageRecord } from '../../../src/lib/domain';
import {
  PANEL_PICTURE,
  PANEL_PICTURE_POOL,
  THUMB_MIME,
  makeCharacter,
  makeStory,
  mulberry32,
  seededAttempt,
  uuid,
} from '../data';
import type { Rng } from '../data';
import type { BenchSpec, ThumbSpec } from '../data';

export interface SeedOptions extends BenchSpec {
  batchSize: number;
  /** Validate every `validateEvery`-th record with the domain schemas (1 = all). */
  validateEvery: number;
}

export interface LibraryCounts {
  characters: number;
  stories: number;
  panels: number;
  attempts: number;
  images: number;
}

export interface SeedResult extends LibraryCounts {
  dbName: string;
  dbVersion: number;
  ms: { characters: number; stories: number; thumbnails: number; validation: number; total: number };
}

declare global {
  interface Window {
    /** Exposed by the Node side (page.exposeFunction) to print progress; optional. */
    __benchProgress?: (line: string) => Promise<void>;
  }
}

const progress = (line: string): void => {
  void window.__benchProgress?.(line);
};

// ------------------------------------------------------------------ thumbnails

/** A tiny deterministic picture: background, a few blobs of colour, a head for characters. */
async function drawThumb(spec: ThumbSpec, kind: 'character' | 'story'): Promise<ImageRecord> {
  const canvas = new OffscreenCanvas(spec.width, spec.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available in this browser.');
  const [bg = '#888888', a = '#444444', b = '#cccccc', c = '#222222'] = spec.colours;
  const s = (i: number) => spec.shapes[i % spec.shapes.length] ?? 0.5;
  const { width: w, height: h } = spec;
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, w, h);
  if (kind === 'character') {
    ctx.fillStyle = a; // body
    ctx.fillRect(w * 0.2, h * 0.62, w * 0.6, h * 0.38);
    ctx.fillStyle = b; // head
    ctx.beginPath();
    ctx.arc(w / 2, h * 0.4, w * (0.18 + s(0) * 0.06), 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = c; // hair
    ctx.beginPath();
    ctx.arc(w / 2, h * 0.33, w * (0.2 + s(1) * 0.05), Math.PI, 0);
    ctx.fill();
  } else {
    ctx.fillStyle = a; // ground
    ctx.fillRect(0, h * (0.6 + s(0) * 0.2), w, h);
    for (let i = 0; i < 3; i++) {
      ctx.fillStyle = [b, c, a][i] ?? c;
      ctx.beginPath();
      ctx.arc(w * s(i + 1), h * (0.3 + s(i + 4) * 0.4), 3 + s(i + 2) * 8, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  const blob = await canvas.convertToBlob({ type: THUMB_MIME, quality: 0.8 });
  return {
    id: spec.imageId,
    blob,
    mime: blob.type || THUMB_MIME,
    width: w,
    height: h,
    bytes: blob.size,
    createdAt: 0,
  };
}

/** The shared panel pictures (see PANEL_PICTURE_POOL): grain, a horizon, a few figures; JPEG. */
async function drawPanelPool(seed: number): Promise<Blob[]> {
  const rng = mulberry32(seed ^ 0x5eed);
  const { width: w, height: h, mime, quality } = PANEL_PICTURE;
  const pool: Blob[] = [];
  for (let k = 0; k < PANEL_PICTURE_POOL; k++) {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('OffscreenCanvas 2D context is not available in this browser.');
    const hue = Math.floor(rng() * 360);
    const pixels = ctx.createImageData(w, h);
    let noise = Math.floor(rng() * 2 ** 31);
    for (let i = 0; i < w * h; i++) {
      noise = (Math.imul(noise, 1_103_515_245) + 12_345) >>> 0;
      const n = (noise >>> 24) % 24;
      const shade = 60 + (150 * Math.floor(i / w)) / h;
      pixels.data[i * 4] = Math.min(255, shade + n + (hue % 60));
      pixels.data[i * 4 + 1] = Math.min(255, shade * 0.8 + n);
      pixels.data[i * 4 + 2] = Math.min(255, 255 - shade * 0.6 + n);
      pixels.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(pixels, 0, 0);
    ctx.fillStyle = `hsl(${(hue + 120) % 360} 30% 25%)`;
    ctx.fillRect(0, h * 0.78, w, h * 0.22);
    const figures = 1 + (k % 3);
    for (let f = 0; f < figures; f++) {
      const cx = ((f + 0.5) / figures) * w;
      ctx.fillStyle = `hsl(${(hue + 200 + f * 70) % 360} 45% 40%)`;
      ctx.fillRect(cx - w * 0.12, h * 0.45, w * 0.24, h * 0.45);
    }
    pool.push(await canvas.convertToBlob({ type: mime, quality }));
  }
  return pool;
}

// ------------------------------------------------------------------ seeding

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

export async function seed(options: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const ms = { characters: 0, stories: 0, thumbnails: 0, validation: 0, total: 0 };
  const db = await openStoryLoomDB();
  try {
    const counts: LibraryCounts = { characters: 0, stories: 0, panels: 0, attempts: 0, images: 0 };
    const pool = await drawPanelPool(options.seed);

    for (let start = 0; start < options.characters; start += options.batchSize) {
      const t = performance.now();
      const batch = range(start, Math.min(start + options.batchSize, options.characters)).map((i) =>
        makeCharacter(options, i),
      );
      const tv = performance.now();
      batch.forEach((r, i) => {
        if ((start + i) % options.validateEvery === 0) parseOrThrow(Character, r.character, 'character');
      });
      ms.validation += performance.now() - tv;
      const tt = performance.now();
      // Blobs are made before the transaction: nothing but IDB may be awaited inside one.
      const images = await Promise.all(batch.map((r) => drawThumb(r.thumb, 'character')));
      ms.thumbnails += performance.now() - tt;
      await inTransaction(db, [STORE.characters, STORE.images], 'readwrite', 'save', async (tx) => {
        const characters = tx.objectStore(STORE.characters);
        const imageStore = tx.objectStore(STORE.images);
        await Promise.all([
          ...images.map((image, i) =>
            imageStore.put({ ...image, createdAt: batch[i]?.character.createdAt ?? 0 }),
          ),
          ...batch.map((r) => characters.put(toStoredCharacter(r.character))),
        ]);
      });
      counts.characters += batch.length;
      counts.images += images.length;
      ms.characters += performance.now() - t;
      progress(`characters ${counts.characters}/${options.characters}`);
    }

    for (let start = 0; start < options.stories; start += options.batchSize) {
      const t = performance.now();
      const batch = range(start, Math.min(start + options.batchSize, options.stories)).map((i) =>
        makeStory(options, i),
      );
      const tv = performance.now();
      batch.forEach((r, i) => {
        if ((start + i) % options.validateEvery !== 0) return;
        validateStoryWithPanels(r.story, r.panels);
        for (const a of r.attempts) parseOrThrow(Attempt, a, 'attempt');
      });
      ms.validation += performance.now() - tv;
      const tt = performance.now();
      const images = await Promise.all(batch.map((r) => drawThumb(r.thumb, 'story')));
      ms.thumbnails += performance.now() - tt;
      const pictures: ImageRecord[] = batch.flatMap((r) =>
        r.pictures.map((p) => {
          const blob = pool[p.pool] as Blob;
          return {
            id: p.imageId,
            blob,
            mime: PANEL_PICTURE.mime,
            width: PANEL_PICTURE.width,
            height: PANEL_PICTURE.height,
            bytes: blob.size,
            createdAt: p.createdAt,
          };
        }),
      );
      await inTransaction(
        db,
        [STORE.stories, STORE.panels, STORE.attempts, STORE.images],
        'readwrite',
        'save',
        async (tx) => {
          const stories = tx.objectStore(STORE.stories);
          const panels = tx.objectStore(STORE.panels);
          const attempts = tx.objectStore(STORE.attempts);
          const imageStore = tx.objectStore(STORE.images);
          await Promise.all([
            ...images.map((image, i) =>
              imageStore.put({ ...image, createdAt: batch[i]?.story.createdAt ?? 0 }),
            ),
            ...pictures.map((image) => imageStore.put(image)),
            ...batch.map((r) => stories.put(toStoredStory(r.story))),
            ...batch.flatMap((r) => r.panels.map((p) => panels.put(toStoredPanel(p)))),
            ...batch.flatMap((r) => r.attempts.map((a) => attempts.put(a))),
          ]);
        },
      );
      counts.stories += batch.length;
      counts.panels += batch.reduce((n, r) => n + r.panels.length, 0);
      counts.attempts += batch.reduce((n, r) => n + r.attempts.length, 0);
      counts.images += images.length + pictures.length;
      ms.stories += performance.now() - t;
      progress(`stories ${counts.stories}/${options.stories} (${counts.panels} panels)`);
    }

    ms.total = performance.now() - t0;
    return { ...counts, dbName: DB.name, dbVersion: db.version, ms };
  } finally {
    db.close();
  }
}

/** What the profile holds now, read with plain IndexedDB (no upgrade): null when there is no database. */
export async function inspect(): Promise<
  (LibraryCounts & { dbName: string; dbVersion: number; codeVersion: number }) | null
> {
  const known = await indexedDB.databases();
  if (!known.some((d) => d.name === DB.name)) return null;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB.name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error(`Could not open ${DB.name}.`));
  });
  try {
    const count = (name: string) =>
      new Promise<number>((resolve, reject) => {
        if (!db.objectStoreNames.contains(name)) return resolve(0);
        const request = db.transaction(name, 'readonly').objectStore(name).count();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error(`Could not count ${name}.`));
      });
    const [characters, stories, panels, attempts, images] = await Promise.all(
      [STORE.characters, STORE.stories, STORE.panels, STORE.attempts, STORE.images].map(count),
    );
    return {
      characters: characters ?? 0,
      stories: stories ?? 0,
      panels: panels ?? 0,
      attempts: attempts ?? 0,
      images: images ?? 0,
      dbName: DB.name,
      dbVersion: db.version,
      codeVersion: DB.version,
    };
  } finally {
    db.close();
  }
}

/** Delete the app's database (to reseed from nothing). Fails if another page keeps it open. */
export function reset(): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB.name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`Could not delete ${DB.name}.`));
    request.onblocked = () =>
      reject(new Error(`Could not delete ${DB.name}: another page of ${location.origin} keeps it open.`));
  });
}

// ------------------------------------------------------------------ the reader's story

/** Lines of 3 to 15 words, as a planner or an artist writes them. */
const READER_LINES = [
  'Where were you last night?',
  'Nobody saw it coming.',
  'Keep your voice down, please.',
  'The lantern went dark at midnight, and nobody came to light it again.',
  'Then we go up the hill ourselves, before the tide turns.',
  'I told you the bridge would not hold.',
  'Look at the sky over the harbour.',
  'You kept the map all this time and never said a word to me?',
  'We have maybe an hour before they notice.',
  'That is not a bird.',
  'If the gate is open, someone opened it from the inside.',
  'Stay close to me and do not touch anything you cannot name.',
  'I am not going back down there without a light.',
  'Fine, you lead the way then.',
  'The old keeper used to say the fog listens to whoever walks in it.',
  'Is that smoke coming from the mill?',
  'Run!',
  'Hand me the rope, quickly, before it slips.',
];
const READER_CAPTIONS = [
  'Later that evening.',
  'Meanwhile, at the top of the old lighthouse stairs.',
  'Three days after the storm, the village was still counting its boats.',
  'Nobody in Harrowmere remembered the bell ringing on its own.',
  'The path narrowed as the cliffs rose on either side.',
];

function pickOf<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

/** A 512×512 PNG like a generated panel: a lit background with grain, and a figure per cast member. */
async function drawPanelPicture(rng: Rng, figures: number, id: string): Promise<ImageRecord> {
  const size = 512;
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available in this browser.');
  const hue = Math.floor(rng() * 360);
  const pixels = ctx.createImageData(size, size);
  const data = pixels.data;
  // Grain, so the PNG is about as large (and as slow to decode) as a generated picture.
  let noise = Math.floor(rng() * 2 ** 31);
  for (let y = 0; y < size; y++) {
    const shade = 60 + (150 * y) / size;
    for (let x = 0; x < size; x++) {
      noise = (Math.imul(noise, 1_103_515_245) + 12_345) >>> 0;
      const n = (noise >>> 24) % 24;
      const i = (y * size + x) * 4;
      data[i] = Math.min(255, shade + n + (hue % 60));
      data[i + 1] = Math.min(255, shade * 0.8 + n);
      data[i + 2] = Math.min(255, 255 - shade * 0.6 + n);
      data[i + 3] = 255;
    }
  }
  ctx.putImageData(pixels, 0, 0);
  ctx.fillStyle = `hsl(${(hue + 120) % 360} 30% 25%)`;
  ctx.fillRect(0, size * 0.78, size, size * 0.22);
  for (let k = 0; k < figures; k++) {
    const cx = ((k + 0.5) / figures) * size;
    ctx.fillStyle = `hsl(${(hue + 200 + k * 70) % 360} 45% 40%)`;
    ctx.fillRect(cx - size * 0.12, size * 0.45, size * 0.24, size * 0.45);
    ctx.fillStyle = '#e8c6a5';
    ctx.beginPath();
    ctx.arc(cx, size * 0.33, size * 0.09, 0, Math.PI * 2);
    ctx.fill();
  }
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return { id, blob, mime: 'image/png', width: size, height: size, bytes: blob.size, createdAt: 0 };
}

/**
 * Writes into the current profile's database (a fresh one: the reader bench runs in a throwaway
 * Chromium) what the reader bench lays out: two verified characters and one story of 40 panels, each
 * with one or two of them side by side, two lines of dialogue, a caption on every third panel, and
 * one accepted attempt with a 512×512 PNG. Deterministic: a fixed seed, fixed timestamps and ids.
 * Every record is parsed by the domain schemas (the story and its panels together) before one
 * transaction writes them all through the store's record mappers.
 *
 * `attemptsPerPanel` (default 1) > 1 adds, after each accepted attempt, later attempts the artist did
 * not keep (a reseed each, a failed judge report, a 512×512 PNG of their own). They come from their
 * own random stream, so the story, its accepted attempts and their pictures are the same whatever
 * the option (the reader bench lays out exactly what it always did).
 */
export async function seedReaderStory(
  options: { attemptsPerPanel?: number } = {},
): Promise<{ storyId: string; panels: number; attempts: number; images: number }> {
  const attemptsPerPanel = Math.max(1, Math.floor(options.attemptsPerPanel ?? 1));
  const rng = mulberry32(20_261_201);
  const extraRng = mulberry32(20_261_202);
  const now = 1_764_000_000_000;
  const panelCount = 40;

  const characters = (['Mira Vale', 'Tobin Ash'] as const).map((name, i) =>
    parseOrThrow(
      Character,
      {
        ...newCharacter(now + i, name),
        id: uuid(rng),
        artStyle: 'ink and watercolour',
        hair: i === 0 ? 'short copper hair' : 'black curls',
        wardrobe: [{ item: i === 0 ? 'oilskin coat' : 'knitted jumper', color: i === 0 ? 'yellow' : 'grey' }],
        verified: true,
        templateVersion: 1,
      },
      'character',
    ),
  );

  const story: Story = {
    schemaVersion: SCHEMA_VERSION.story,
    id: uuid(rng),
    title: 'The Lantern of Harrowmere',
    premise: 'Two friends climb to a lighthouse that went dark on its own.',
    style: 'ink and watercolour',
    panelIds: [],
    coverImageId: null,
    layout: PageSettings.parse({}),
    createdAt: now,
    updatedAt: now,
  };

  const panels: Panel[] = [];
  const attempts: Attempt[] = [];
  const images: ImageRecord[] = [];
  for (let i = 0; i < panelCount; i++) {
    const solo = rng() < 0.35;
    const cast = solo ? [pickOf(rng, characters)] : rng() < 0.5 ? characters : [...characters].reverse();
    const members = cast.map((c, k) => newCastMember(c.id, k, cast.length));
    const speaker = (k: number) => (cast[k % cast.length] as Character).id;
    const dialogue: DialogueLine[] = [
      { id: 'line-1', speakerId: speaker(0), kind: 'speech', text: pickOf(rng, READER_LINES) },
      { id: 'line-2', speakerId: speaker(1), kind: 'speech', text: pickOf(rng, READER_LINES) },
    ];
    const panelId = uuid(rng);
    const attemptId = uuid(rng);
    const imageId = uuid(rng);
    const createdAt = now + 1000 * (i + 1);
    panels.push({
      ...newPanel(story.id, createdAt),
      id: panelId,
      cast: members,
      scene: { location: 'the harbour', timeOfDay: 'dusk', weather: 'fog', lighting: '', mood: 'uneasy' },
      caption: i % 3 === 0 ? pickOf(rng, READER_CAPTIONS) : '',
      dialogue,
      beat: `Beat ${i + 1}`,
      importance: i % 9 === 4 ? 2 : 1,
      status: 'accepted',
      acceptedAttemptId: attemptId,
    });
    attempts.push(
      parseOrThrow(
        Attempt,
        seededAttempt({
          id: attemptId,
          panelId,
          storyId: story.id,
          index: 0,
          seed: 1000 + i,
          width: 512,
          height: 512,
          imageId,
          createdAt,
        }),
        'attempt',
      ),
    );
    // Blobs are made before the transaction: nothing but IDB may be awaited inside one.
    images.push({ ...(await drawPanelPicture(rng, cast.length, imageId)), createdAt });
    for (let k = 1; k < attemptsPerPanel; k++) {
      const extraId = uuid(extraRng);
      const extraImageId = uuid(extraRng);
      const at = createdAt + 100 * k;
      const identity = 0.3 + 0.3 * extraRng();
      attempts.push(
        parseOrThrow(
          Attempt,
          seededAttempt({
            id: extraId,
            panelId,
            storyId: story.id,
            index: k,
            seed: 5000 + 100 * i + k,
            width: 512,
            height: 512,
            imageId: extraImageId,
            report: {
              checks: [
                {
                  id: 'identity-0',
                  kind: 'identity',
                  label: 'identity',
                  characterId: speaker(0),
                  score: identity,
                  threshold: 0.62,
                  passed: false,
                  hard: true,
                  box: null,
                  detail: 'The face does not match the character sheet.',
                },
              ],
              verdict: 'fail',
              weightedScore: identity,
              judgedAt: at,
              artistDecision: { decision: 'reject', at },
            },
            action: { kind: 'reseed', reason: 'Identity below the threshold.', diff: [] },
            timings: { generateMs: 900 + k, judgeMs: 300 + k },
            createdAt: at,
          }),
          'attempt',
        ),
      );
      images.push({ ...(await drawPanelPicture(extraRng, cast.length, extraImageId)), createdAt: at });
    }
  }
  story.panelIds = panels.map((p) => p.id);
  const valid = validateStoryWithPanels(story, panels);

  const db = await openStoryLoomDB();
  try {
    await inTransaction(
      db,
      [STORE.characters, STORE.stories, STORE.panels, STORE.attempts, STORE.images],
      'readwrite',
      'save',
      async (tx) => {
        await Promise.all([
          ...characters.map((c) => tx.objectStore(STORE.characters).put(toStoredCharacter(c))),
          tx.objectStore(STORE.stories).put(toStoredStory(valid.story)),
          ...valid.panels.map((p) => tx.objectStore(STORE.panels).put(toStoredPanel(p))),
          ...attempts.map((a) => tx.objectStore(STORE.attempts).put(a)),
          ...images.map((image) => tx.objectStore(STORE.images).put(image)),
        ]);
      },
    );
  } finally {
    db.close();
  }
  return {
    storyId: valid.story.id,
    panels: valid.panels.length,
    attempts: attempts.length,
    images: images.length,
  };
}
