/**
 * Only the pack figures (defaultPackBytes, peakResidentModelBytes, replicaFirstPanelMs), without
 * seeding the paper-scale library: serves the app built in dist/ like run.ts and runs the pack
 * measure in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/pack-only.ts
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { BASE_URL, ROOT } from './config';
import { onCleanup, runMain } from './lifecycle';
import { packBench } from './pack-bench';
import { buildApp, startServer } from './server';
import type { BenchContext } from './measure';

runMain('pack bench', async () => {
  const log = (line: string) => console.log(line);
  const dist = path.join(ROOT, 'dist');
  const ownBuild = process.argv.includes('--build') || !existsSync(path.join(dist, 'index.html'));
  await buildApp(ownBuild ? undefined : dist);
  const server = await startServer();
  onCleanup(() => server.close());
  // The pack measure opens its own fresh browser; the context fields it does not read stay empty.
  const ctx = { baseUrl: BASE_URL, runs: 1, profile: false, log } as unknown as BenchContext;
  console.log(JSON.stringify(await packBench.run(ctx)));
});
