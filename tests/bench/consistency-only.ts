/**
 * Only the consistency figures (localEditCostRatio, regionalCostPerRegion), without seeding the
 * paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist, port
 * STORYLOOM_BENCH_PORT) and runs `measureConsistency` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/consistency-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { launchFreshBrowser } from './browser';
import { BASE_URL } from './config';
import { measureConsistency } from './consistency-bench';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { serveApp } from './server';

runMain('consistency bench', async () => {
  const runs = runsOption(3);
  const log = (line: string) => console.log(line);
  await serveApp();
  const fresh = await launchFreshBrowser();
  onCleanup(() => fresh.close());
  log(machineLine());
  const figures = await measureConsistency(fresh.context, BASE_URL, { runs, log });
  log(`Load average after: ${loadAverage()}`);
  console.log(JSON.stringify(figures));
});
