/**
 * Seed the profile once, reuse it afterwards. A stamp file next to the profile records what was seeded;
 * the profile is reused only when the stamp matches this code (seed version, seed, sizes, origin) and
 * the database in the profile still holds what the stamp says, at the store's current database version
 * (so a store upgrade never runs inside a measurement: an older database is reseeded instead).
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import {
  BASE_URL,
  BATCH_SIZE,
  CHARACTER_COUNT,
  PROFILE_DIR,
  SEED,
  SEED_URL_PATH,
  SEED_VERSION,
  STAMP_FILE,
  STORY_COUNT,
} from './config';
import type { LibraryCounts, SeedOptions, SeedResult } from './browser/seed-entry';
import { SEED_PAGE_PATH } from './server';

type SeedModule = typeof import('./browser/seed-entry');
type Inspection = Awaited<ReturnType<SeedModule['inspect']>>;

export interface Stamp {
  seedVersion: number;
  seed: number;
  origin: string;
  requested: { characters: number; stories: number };
  counts: LibraryCounts;
  dbName: string;
  dbVersion: number;
  seededAt: string;
  seedMs: number;
}

export interface SeedOutcome {
  seeded: boolean;
  counts: LibraryCounts;
  dbVersion: number;
  /** Wall time of this seeding, or of the one that made the reused profile. */
  seedMs: number;
  /** Why the profile was (re)seeded, or that it was reused. */
  reason: string;
  result?: SeedResult;
}

export const benchSpec = { seed: SEED, characters: CHARACTER_COUNT, stories: STORY_COUNT };

export async function readStamp(): Promise<Stamp | null> {
  try {
    return JSON.parse(await readFile(STAMP_FILE, 'utf8')) as Stamp;
  } catch {
    return null;
  }
}

/** Why this stamp does not describe what this code would seed, or null when it does. */
function stampMismatch(stamp: Stamp | null, found: Inspection): string | null {
  if (!stamp) return 'no seed stamp';
  if (stamp.seedVersion !== SEED_VERSION) return `seed version ${stamp.seedVersion} → ${SEED_VERSION}`;
  if (stamp.seed !== SEED) return `seed ${stamp.seed} → ${SEED}`;
  if (stamp.origin !== BASE_URL) return `origin ${stamp.origin} → ${BASE_URL}`;
  if (stamp.requested.characters !== CHARACTER_COUNT || stamp.requested.stories !== STORY_COUNT)
    return 'sizes changed';
  if (!found) return 'the profile has no StoryLoom database';
  if (found.dbVersion !== found.codeVersion) {
    return `the profile's database is at version ${found.dbVersion}, the store is at ${found.codeVersion}`;
  }
  const same = (['characters', 'stories', 'panels', 'attempts', 'images'] as const).every(
    (k) => stamp.counts[k] === found[k],
  );
  if (!same) return 'the database does not hold what the stamp says';
  return null;
}

/** Import the seed module into the page and call one of its functions (runs in the browser). */
function callSeed<K extends 'seed' | 'inspect' | 'reset'>(
  page: Page,
  name: K,
  arg?: SeedOptions,
): Promise<Awaited<ReturnType<SeedModule[K]>>> {
  return page.evaluate(
    async ({ url, name, arg }) => {
      const mod = (await import(/* @vite-ignore */ url)) as Record<string, (a?: unknown) => Promise<unknown>>;
      const fn = mod[name];
      if (!fn) throw new Error(`The seed bundle has no function ${name}.`);
      return fn(arg);
    },
    { url: SEED_URL_PATH, name, arg },
  ) as Promise<Awaited<ReturnType<SeedModule[K]>>>;
}

export async function ensureSeeded(
  context: BrowserContext,
  options: { force?: boolean; log?: (line: string) => void } = {},
): Promise<SeedOutcome> {
  const log = options.log ?? (() => undefined);
  const page = await context.newPage();
  try {
    let lastProgress = 0;
    await page.exposeFunction('__benchProgress', (line: string) => {
      const now = Date.now();
      if (now - lastProgress < 2000) return;
      lastProgress = now;
      log(`  seeding: ${line}`);
    });
    await page.goto(BASE_URL + SEED_PAGE_PATH);
    const found = await callSeed(page, 'inspect');
    const stamp = await readStamp();
    const mismatch = options.force ? '--force' : stampMismatch(stamp, found);
    if (!mismatch && stamp && found) {
      return {
        seeded: false,
        counts: found,
        dbVersion: found.dbVersion,
        seedMs: stamp.seedMs,
        reason: 'reused',
      };
    }
    log(`Seeding the library (${mismatch})…`);
    if (found) await callSeed(page, 'reset');
    const t0 = performance.now();
    const result = await callSeed(page, 'seed', { ...benchSpec, batchSize: BATCH_SIZE, validateEvery: 1 });
    const seedMs = Math.round(performance.now() - t0);
    const counts: LibraryCounts = {
      characters: result.characters,
      stories: result.stories,
      panels: result.panels,
      attempts: result.attempts,
      images: result.images,
    };
    const written: Stamp = {
      seedVersion: SEED_VERSION,
      seed: SEED,
      origin: BASE_URL,
      requested: { characters: CHARACTER_COUNT, stories: STORY_COUNT },
      counts,
      dbName: result.dbName,
      dbVersion: result.dbVersion,
      seededAt: new Date().toISOString(),
      seedMs,
    };
    await writeFile(STAMP_FILE, `${JSON.stringify(written, null, 2)}\n`);
    return {
      seeded: true,
      counts,
      dbVersion: result.dbVersion,
      seedMs,
      reason: mismatch ?? 'seeded',
      result,
    };
  } finally {
    await page.close();
  }
}

/** Bytes under a folder (the profile, or its IndexedDB part). */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

export const indexedDbDir = (): string => path.join(PROFILE_DIR, 'Default', 'IndexedDB');

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
