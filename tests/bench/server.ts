/**
 * Builds and serves what the bench drives: the app, built into our own folder (never the shared
 * `dist/`), with the seed bundle beside it under /__bench/. Served by `vite preview` on our own port, so
 * the seed page and the app share one origin and therefore one IndexedDB.
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build, preview } from 'vite';
import type { PreviewServer } from 'vite';
import { onCleanup } from './lifecycle';
import { BASE_URL, BENCH_DIST, HOST, PORT, ROOT, SEED_DIST, SEED_ENTRY, SEED_URL_PATH } from './config';

const BLANK_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body></body></html>\n';
/** An empty page on the app's origin from which the seed module is imported (the app itself is not started). */
export const SEED_PAGE_PATH = '/__bench/index.html';

/** Where the bench's app comes from: dist/ (copied), unless `--build` asks for a fresh build or there is none. */
export function appSource(): string | undefined {
  const dist = path.join(ROOT, 'dist');
  return process.argv.includes('--build') || !existsSync(path.join(dist, 'index.html')) ? undefined : dist;
}

/** The app of `appSource()` served on the bench's port until the script ends (no seed bundle). */
export async function serveApp(): Promise<void> {
  await buildApp(appSource());
  const server = await startServer();
  onCleanup(() => server.close());
}

/** The app, as `vite build` makes it, into BENCH_DIST. `from` reuses an existing build folder instead. */
export async function buildApp(from?: string): Promise<void> {
  if (from) {
    if (!existsSync(path.join(from, 'index.html'))) {
      throw new Error(
        `There is no built app in ${from} (index.html is missing); run \`vite build\` first or drop --use-dist.`,
      );
    }
    await rm(BENCH_DIST, { recursive: true, force: true });
    await cp(from, BENCH_DIST, { recursive: true });
    return;
  }
  await build({ root: ROOT, logLevel: 'warn', build: { outDir: BENCH_DIST, emptyOutDir: true } });
}

/** The browser-side seed module as one ES module, copied into BENCH_DIST/__bench/. */
export async function buildSeedBundle(): Promise<void> {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      lib: { entry: SEED_ENTRY, formats: ['es'], fileName: () => 'seed.js' },
      outDir: SEED_DIST,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
    },
  });
  const target = path.join(BENCH_DIST, path.dirname(SEED_URL_PATH));
  await mkdir(target, { recursive: true });
  await cp(path.join(SEED_DIST, 'seed.js'), path.join(target, 'seed.js'));
  await writeFile(path.join(BENCH_DIST, SEED_PAGE_PATH), BLANK_PAGE);
}

export interface Server {
  url: string;
  close(): Promise<void>;
}

/** `vite preview` of BENCH_DIST with the project's config (headers for cross-origin isolation included). */
export async function startServer(): Promise<Server> {
  let server: PreviewServer;
  try {
    server = await preview({
      root: ROOT,
      logLevel: 'warn',
      build: { outDir: BENCH_DIST },
      preview: { host: HOST, port: PORT, strictPort: true, open: false },
    });
  } catch (e) {
    const busy = (e as { code?: string } | null)?.code === 'EADDRINUSE' || /in use/i.test(String(e));
    if (busy)
      throw new Error(`Port ${PORT} is in use; stop what runs there or set STORYLOOM_BENCH_PORT.`, {
        cause: e,
      });
    throw e;
  }
  return { url: BASE_URL, close: () => server.close() };
}
