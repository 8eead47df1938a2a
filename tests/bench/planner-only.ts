/**
 * Only the planner figures (plannerConstraintOverheadRatio, plannerPanelsValid, plannerMsPerToken,
 * plannerLoadMs), without seeding the paper-scale library: serves the app built in dist/ like run.ts
 * (copied to .bench/dist, port STORYLOOM_BENCH_PORT) and runs `measurePlanner` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/planner-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { launchFreshBrowser } from './browser';
import { BASE_URL } from './config';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { measurePlanner } from './planner-bench';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

runMain('planner bench', async () => {
  const runs = runsOption(3);
  const log = (line: string) => console.log(line);
  await buildApp(appSource());
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const fresh = await launchFreshBrowser();
  onCleanup(() => fresh.close());
  log(machineLine());
  const figures = await measurePlanner(fresh.context, BASE_URL, { runs, log });
  log(`Load average after: ${loadAverage()}`);
  console.log(JSON.stringify(figures));
});
