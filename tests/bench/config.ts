/**
 * Fixed figures of the bench: where things live, which port, how big the library is.
 * The IndexedDB of the seeded profile belongs to the origin http://127.0.0.1:PORT, so the port is part
 * of the seed: seeding and measuring must use the same one.
 */
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BENCH_DIR = path.join(ROOT, '.bench');
export const PROFILE_DIR = path.join(BENCH_DIR, 'profile');
export const STAMP_FILE = path.join(BENCH_DIR, 'profile.stamp.json');
/** Our own build of the app (never the shared `dist/`), plus `__bench/seed.js`. Ignored by git, eslint, prettier. */
export const BENCH_DIST = path.join(BENCH_DIR, 'dist');
export const SEED_DIST = path.join(BENCH_DIR, 'seed-dist');
export const SEED_ENTRY = path.join(import.meta.dirname, 'browser', 'seed-entry.ts');
/** Where the seed bundle is served inside BENCH_DIST (same origin as the app: same IndexedDB). */
export const SEED_URL_PATH = '/__bench/seed.js';

export const HOST = '127.0.0.1';
export const PORT = Number(process.env.STORYLOOM_BENCH_PORT ?? 4176);
export const BASE_URL = `http://${HOST}:${PORT}`;

export { chromiumPath } from '../e2e/chromium';

/** Bump when the generated data changes shape or content: a profile with another stamp is reseeded. */
export const SEED_VERSION = 2;
export const SEED = 20_251_126;
/** The size of the paper's dataset: 2K characters, 10K stories of 7–8 panels. */
export const CHARACTER_COUNT = 2_000;
export const STORY_COUNT = 10_000;
/** Records per IndexedDB transaction while seeding. */
export const BATCH_SIZE = 500;
