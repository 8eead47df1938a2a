/**
 * `npm run bench`: the studio at the paper's scale. Serves a build of the app with the seed bundle on
 * port 4176, drives the system Chromium through Playwright on the seeded profile (seeding it first when
 * needed), runs every measure, prints readable lines and, as the LAST line of stdout, one JSON object of
 * figures. Timing lives here only, never in tests.
 *
 * Options: --build (build the app into .bench/dist instead of copying dist/), --reseed, --runs N,
 * --profile (also print where the Library's open time goes).
 *
 * Later issues add a Measure to MEASURES; each returns its own keys for the JSON line.
 */
import { launchBrowser } from './browser';
import { BASE_URL, PROFILE_DIR } from './config';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import type { BenchContext, Figures, Measure } from './measure';
import { libraryOpen, librarySearch } from './measures/library';
import { engineBench } from './engine-bench';
import { judgeBench } from './judge-bench';
import { gateBench } from './gate-bench';
import { consistencyBench } from './consistency-bench';
import { packBench } from './pack-bench';
import { readerBench } from './reader-bench';
import { bundleBench } from './bundle-bench';
import { datasetBench } from './dataset-bench';
import { plannerBench } from './planner-bench';
import { benchSpec, dirSize, ensureSeeded, indexedDbDir, mb } from './seeding';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

const MEASURES: Measure[] = [
  libraryOpen,
  librarySearch,
  engineBench,
  judgeBench,
  gateBench,
  consistencyBench,
  packBench,
  readerBench,
  bundleBench,
  datasetBench,
  plannerBench,
];

runMain('bench', async () => {
  const runs = runsOption(5);
  const log = (line: string) => console.log(line);

  const source = appSource();
  log(
    source ? 'Using the app built in dist/ (copied to .bench/dist)…' : 'Building the app into .bench/dist…',
  );
  await buildApp(source);
  await buildSeedBundle();
  const server = await startServer();
  onCleanup(() => server.close());
  const browser = await launchBrowser();
  onCleanup(() => browser.close());

  const seeded = await ensureSeeded(browser, { force: process.argv.includes('--reseed'), log });
  const { characters, stories, panels, images } = seeded.counts;
  log(
    `Library: ${characters} characters, ${stories} stories, ${panels} panels, ${images} images ` +
      `(${seeded.seeded ? `seeded now in ${(seeded.seedMs / 1000).toFixed(1)} s` : 'reused the seeded profile'}; ` +
      `profile ${mb(await dirSize(PROFILE_DIR))}, IndexedDB ${mb(await dirSize(indexedDbDir()))})`,
  );

  const ctx: BenchContext = {
    browser,
    baseUrl: BASE_URL,
    spec: benchSpec,
    counts: seeded.counts,
    runs,
    profile: process.argv.includes('--profile'),
    log,
  };
  const figures: Figures = {};
  // Timings on a shared machine move with its load; say what it was.
  log(machineLine());
  for (const measure of MEASURES) {
    try {
      Object.assign(figures, await measure.run(ctx));
    } catch (e) {
      throw new Error(`${measure.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  log(`Load average after the measures: ${loadAverage()}`);
  Object.assign(figures, { characters, stories, panels, seedMs: seeded.seedMs });
  console.log(JSON.stringify(figures));
});
