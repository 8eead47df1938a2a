/**
 * Run a bench script so that what it started (preview server, Chromium) is stopped on every way out:
 * success, an error (exit 1 with a sentence), Ctrl-C or SIGTERM (exit 130 / 143).
 */
import { availableParallelism, loadavg } from 'node:os';

type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | null = null;

/** Register something to stop; stopped in reverse order of registration. */
export function onCleanup(cleanup: Cleanup): void {
  cleanups.push(cleanup);
}

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (e) {
        console.error(`(while cleaning up: ${String(e)})`);
      }
    }
  })();
  return cleaning;
}

export function runMain(name: string, main: () => Promise<void>): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      console.error(`${name}: interrupted (${signal}); stopping the browser and the server.`);
      void cleanUp().finally(() => process.exit(code));
    });
  }
  main()
    .then(cleanUp)
    .then(() => process.exit(0))
    .catch(async (e: unknown) => {
      await cleanUp();
      const message = e instanceof Error ? e.message : String(e);
      console.error(`${name} failed: ${message}`);
      if (process.env.BENCH_DEBUG && e instanceof Error) console.error(e.stack);
      process.exit(1);
    });
}

/** The value after `name` on the command line, if any. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--runs N` (repetitions per median): a whole number of at least 1, else `fallback`. */
export function runsOption(fallback: number): number {
  const runs = Number(option('--runs') ?? fallback);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number of at least 1, got ${option('--runs')}.`);
  return runs;
}

/** The machine's load average (1, 5, 15 min): timings on a shared machine move with it. */
export const loadAverage = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

export const machineLine = (): string =>
  `Machine: ${availableParallelism()} CPUs, load average ${loadAverage()} (1, 5, 15 min)`;
