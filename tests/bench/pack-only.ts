/**
 * Only the pack figures (defaultPackBytes, peakResidentModelBytes, replicaFirstPanelMs), without
 * seeding the paper-scale library: serves the app built in dist/ like run.ts and runs the pack
 * measure in a throwaway Chromium.
 *
 *   npm run build && npx tsx tests/bench/pack-only.ts
 *
 * Last line of stdout: one JSON object, as run.ts prints it.
 */
import { BASE_URL } from './config';
import { runMain } from './lifecycle';
import { packFigures } from './pack-bench';
import { serveApp } from './server';

runMain('pack bench', async () => {
  const log = (line: string) => console.log(line);
  await serveApp();
  console.log(JSON.stringify(await packFigures(BASE_URL, log)));
});
