/**
 * Only the bundle figures (bundleExportMs, bundleImportMs, bundleBytes and the counts), without
 * seeding the paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist,
 * with the seed bundle, port STORYLOOM_BENCH_PORT) and runs `measureBundle` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/bundle-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { launchFreshBrowser } from './browser';
import { BASE_URL } from './config';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { measureBundle } from './bundle-bench';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

runMain('bundle bench', async () => {
  const runs = runsOption(5);
  const log = (line: string) => console.log(line);
  await buildApp(appSource());
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const fresh = await launchFreshBrowser();
  onCleanup(() => fresh.close());
  log(machineLine());
  const figures = await measureBundle(fresh.browser, BASE_URL, { runs, log });
  log(`Load average after: ${loadAverage()}`);
  console.log(JSON.stringify(figures));
});
