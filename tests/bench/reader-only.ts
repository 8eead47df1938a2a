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
import { BASE_URL } from './config';
import { runOnly } from './only';
import { measureReader } from './reader-bench';

runOnly('reader bench', { runs: 5, seedBundle: true }, ({ context, runs, log }) =>
  measureReader(context, BASE_URL, { runs, log, profile: process.argv.includes('--profile') }),
);
