/**
 * Only the planner figures (plannerConstraintOverheadRatio, plannerPanelsValid, plannerMsPerToken,
 * plannerLoadMs), without seeding the paper-scale library: serves the app built in dist/ like run.ts
 * (copied to .bench/dist, port STORYLOOM_BENCH_PORT) and runs `measurePlanner` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/planner-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { BASE_URL } from './config';
import { runOnly } from './only';
import { measurePlanner } from './planner-bench';

runOnly('planner bench', { runs: 3, seedBundle: true }, ({ context, runs, log }) =>
  measurePlanner(context, BASE_URL, { runs, log }),
);
