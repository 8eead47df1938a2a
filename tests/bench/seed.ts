/**
 * `npm run seed [-- --force]`: fill the bench profile (.bench/profile) with a library the size of the
 * paper's dataset, or report that the existing one is still good. Prints counts and time.
 */
import { rm } from 'node:fs/promises';
import { launchBrowser } from './browser';
import { BASE_URL, PROFILE_DIR, STAMP_FILE } from './config';
import { onCleanup, runMain } from './lifecycle';
import { dirSize, ensureSeeded, indexedDbDir, mb } from './seeding';
import { buildSeedBundle, startServer } from './server';

runMain('seed', async () => {
  const force = process.argv.includes('--force');
  if (force) {
    // A clean profile, so its size on disk is the library's and nothing else's.
    await rm(PROFILE_DIR, { recursive: true, force: true });
    await rm(STAMP_FILE, { force: true });
  }
  const t0 = performance.now();
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const context = await launchBrowser();
  onCleanup(() => context.close());
  console.log(`Profile ${PROFILE_DIR}, origin ${BASE_URL}`);
  const outcome = await ensureSeeded(context, { force, log: (line) => console.log(line) });
  await context.close();
  const { characters, stories, panels, attempts, images } = outcome.counts;
  console.log(
    `${characters} characters, ${stories} stories, ${panels} panels, ${attempts} accepted attempts, ${images} images (database v${outcome.dbVersion})`,
  );
  if (outcome.result) {
    const ms = outcome.result.ms;
    console.log(
      `Seeded in ${(outcome.seedMs / 1000).toFixed(1)} s (in the page: characters ${Math.round(ms.characters)} ms, ` +
        `stories+panels ${Math.round(ms.stories)} ms, of which thumbnails ${Math.round(ms.thumbnails)} ms, ` +
        `validation ${Math.round(ms.validation)} ms)`,
    );
  } else {
    console.log(
      `Reused the seeded profile (seeded earlier in ${(outcome.seedMs / 1000).toFixed(1)} s; --force reseeds).`,
    );
  }
  console.log(
    `Profile on disk: ${mb(await dirSize(PROFILE_DIR))} (IndexedDB ${mb(await dirSize(indexedDbDir()))}); ` +
      `total time ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
});
