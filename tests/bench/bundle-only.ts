/**
 * Only the bundle figures (bundleExportMs, bundleImportMs, bundleBytes and the counts), without
 * seeding the paper-scale library: serves the app built in dist/ like run.ts (copied to .bench/dist,
 * with the seed bundle, port STORYLOOM_BENCH_PORT) and runs `measureBundle` in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/bundle-only.ts [--runs N] [--build]
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { measureBundle } from './bundle-bench';
import { BASE_URL } from './config';
import { runOnly } from './only';

runOnly('bundle bench', { runs: 5, seedBundle: true }, ({ browser, runs, log }) =>
  measureBundle(browser, BASE_URL, { runs, log }),
);
