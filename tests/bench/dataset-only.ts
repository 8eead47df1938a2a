/**
 * Only the dataset figures (datasetExportMBps, datasetExportPeakMB and what was written), on the
 * seeded paper-scale profile: serves the app built in dist/ like run.ts (copied to .bench/dist, with
 * the seed bundle, port STORYLOOM_BENCH_PORT), seeds the profile first if its stamp does not match,
 * and runs `measureDataset` in the bench's persistent Chromium.
 *
 *   npm run build && npx tsx tests/bench/dataset-only.ts [--build] [--reseed]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { launchBrowser } from './browser';
import { BASE_URL } from './config';
import { measureDataset } from './dataset-bench';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { benchSpec, ensureSeeded } from './seeding';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

runMain('dataset bench', async () => {
  const log = (line: string) => console.log(line);
  await buildApp(appSource());
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const browser = await launchBrowser();
  onCleanup(() => browser.close());
  const seeded = await ensureSeeded(browser, { force: process.argv.includes('--reseed'), log });
  log(machineLine());
  const figures = await measureDataset({
    browser,
    baseUrl: BASE_URL,
    spec: benchSpec,
    counts: seeded.counts,
    runs: runsOption(1),
    profile: false,
    log,
  });
  log(`Load average after: ${loadAverage()}`);
  console.log(JSON.stringify(figures));
});
