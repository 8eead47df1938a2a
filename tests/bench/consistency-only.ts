/**
 * Only the consistency figures (localEditCostRatio, regionalCostPerRegion), without seeding the
 * paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist, port
 * STORYLOOM_BENCH_PORT) and runs `measureConsistency` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/consistency-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { launchFreshBrowser } from './browser';
import { BASE_URL, ROOT } from './config';
import { measureConsistency } from './consistency-bench';
import { onCleanup, option, runMain } from './lifecycle';
import { buildApp, startServer } from './server';

runMain('consistency bench', async () => {
  const runs = Number(option('--runs') ?? 3);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number of at least 1, got ${option('--runs')}.`);
  const log = (line: string) => console.log(line);
  const dist = path.join(ROOT, 'dist');
  const ownBuild = process.argv.includes('--build') || !existsSync(path.join(dist, 'index.html'));
  await buildApp(ownBuild ? undefined : dist);
  const server = await startServer();
  onCleanup(() => server.close());
  const fresh = await launchFreshBrowser();
  onCleanup(() => fresh.close());
  const load = () =>
    loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
  log(`Machine: ${availableParallelism()} CPUs, load average ${load()} (1, 5, 15 min)`);
  const figures = await measureConsistency(fresh.context, BASE_URL, { runs, log });
  log(`Load average after: ${load()}`);
  console.log(JSON.stringify(figures));
});
