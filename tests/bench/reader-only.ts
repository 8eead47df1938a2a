/**
 * Only the reader figures (readerLayoutMs, pageRenderMs, readerPages), without seeding the
 * paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist, with the seed
 * bundle, port STORYLOOM_BENCH_PORT) and runs `measureReader` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/reader-only.ts [--runs N] [--build] [--profile]
 *
 * --profile also prints where the layout time goes (text measurement counters, a CPU profile).
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { launchFreshBrowser } from './browser';
import { BASE_URL } from './config';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { measureReader } from './reader-bench';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

runMain('reader bench', async () => {
  const runs = runsOption(5);
  const log = (line: string) => console.log(line);
  await buildApp(appSource());
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const fresh = await launchFreshBrowser();
  onCleanup(() => fresh.close());
  log(machineLine());
  const figures = await measureReader(fresh.context, BASE_URL, {
    runs,
    log,
    profile: process.argv.includes('--profile'),
  });
  log(`Load average after: ${loadAverage()}`);
  console.log(JSON.stringify(figures));
});
