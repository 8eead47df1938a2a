/**
 * The frame of a `*-only.ts` script: serve the app built in dist/ (with the seed bundle when asked),
 * open a throwaway Chromium, print the machine line, run one measure, print the load average after and
 * the figures as the last line of stdout (one JSON object, as run.ts prints it).
 */
import type { Browser, BrowserContext } from '@playwright/test';
import { launchFreshBrowser } from './browser';
import { loadAverage, machineLine, onCleanup, runMain, runsOption } from './lifecycle';
import { appSource, buildApp, buildSeedBundle, startServer } from './server';

export interface OnlyContext {
  browser: Browser;
  context: BrowserContext;
  runs: number;
  log(line: string): void;
}

export function runOnly(
  name: string,
  options: { runs: number; seedBundle: boolean },
  measure: (ctx: OnlyContext) => Promise<object>,
): void {
  runMain(name, async () => {
    const runs = runsOption(options.runs);
    const log = (line: string) => console.log(line);
    await buildApp(appSource());
    if (options.seedBundle) await buildSeedBundle();
    const server = await startServer();
    onCleanup(() => server.close());
    const fresh = await launchFreshBrowser();
    onCleanup(() => fresh.close());
    log(machineLine());
    const figures = await measure({ browser: fresh.browser, context: fresh.context, runs, log });
    log(`Load average after: ${loadAverage()}`);
    console.log(JSON.stringify(figures));
  });
}
