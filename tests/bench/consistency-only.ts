/**
 * Only the consistency figures (localEditCostRatio, regionalCostPerRegion), without seeding the
 * paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist, port
 * STORYLOOM_BENCH_PORT) and runs `measureConsistency` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/consistency-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { BASE_URL } from './config';
import { measureConsistency } from './consistency-bench';
import { runOnly } from './only';

runOnly('consistency bench', { runs: 3, seedBundle: false }, ({ context, runs, log }) =>
  measureConsistency(context, BASE_URL, { runs, log }),
);
