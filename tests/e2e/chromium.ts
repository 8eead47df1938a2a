/**
 * Which Chromium the browser tests drive (Playwright cannot download browsers here). One place for the
 * path logic: playwright.config.ts, tests/e2e/twins.config.ts, the bench and the screenshots ask
 * `chromiumPath()`; `npm test` runs this file first (`npm run chromium`) so a machine without a browser
 * stops in a second with one sentence instead of failing every end-to-end test after the unit tests.
 *
 * Order: CHROMIUM_PATH (when set, only it: the artist asked for that browser), then the usual system
 * paths. None found: install Debian's `chromium` when apt-get is there and may run (root, or
 * passwordless sudo), else say what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
] as const;

/** What the machine looks like, as far as the decision goes. */
export interface ChromiumProbe {
  /** CHROMIUM_PATH, or undefined when unset or empty. */
  envPath: string | undefined;
  /** Is this path an executable file? */
  executable: (path: string) => boolean;
  /** How apt-get may run: directly (root), through `sudo -n`, or not at all. */
  apt: 'root' | 'sudo' | null;
}

export type ChromiumDecision =
  | { kind: 'found'; path: string }
  | { kind: 'install'; command: string[]; path: string }
  | { kind: 'missing'; message: string };

const INSTALL_HINT =
  "install Debian's or Ubuntu's chromium (`sudo apt-get install chromium`) or Google Chrome, or set CHROMIUM_PATH to a Chromium or Chrome executable";

/** The decision alone (pure): the finder, the configs and the unit tests share it. */
export function decideChromium(probe: ChromiumProbe): ChromiumDecision {
  if (probe.envPath !== undefined) {
    if (probe.executable(probe.envPath)) return { kind: 'found', path: probe.envPath };
    return {
      kind: 'missing',
      message: `CHROMIUM_PATH is ${probe.envPath}, which is not an executable file: set it to a Chromium or Chrome executable, or unset it to use a system one (Debian's: \`sudo apt-get install chromium\`).`,
    };
  }
  const found = SYSTEM_CHROMIUMS.find((p) => probe.executable(p));
  if (found) return { kind: 'found', path: found };
  if (probe.apt) {
    const apt = ['apt-get', 'install', '-y', '-qq', 'chromium'];
    return {
      kind: 'install',
      command: probe.apt === 'root' ? apt : ['sudo', '-n', ...apt],
      path: SYSTEM_CHROMIUMS[0],
    };
  }
  return {
    kind: 'missing',
    message: `No Chromium found (CHROMIUM_PATH is unset; looked at ${SYSTEM_CHROMIUMS.join(', ')}) and apt-get cannot install one here: ${INSTALL_HINT}.`,
  };
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));
}

function aptAccess(): ChromiumProbe['apt'] {
  if (!onPath('apt-get')) return null;
  if (process.getuid?.() === 0) return 'root';
  if (!onPath('sudo')) return null;
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'sudo' : null;
}

/** This machine, for `decideChromium`. `apt` is only asked for when no browser is there (sudo is slow-ish). */
export function probeMachine(env: NodeJS.ProcessEnv = process.env): ChromiumProbe {
  const envPath = env.CHROMIUM_PATH?.trim() || undefined;
  const needsApt = envPath === undefined && !SYSTEM_CHROMIUMS.some(executable);
  return { envPath, executable, apt: needsApt ? aptAccess() : null };
}

/** For the Playwright configs and the bench: the browser's path, or one sentence saying what to install. */
export function chromiumPath(): string {
  const decision = decideChromium({ ...probeMachine(), apt: null });
  if (decision.kind === 'found') return decision.path;
  throw new Error(decision.kind === 'missing' ? decision.message : `No Chromium found: ${INSTALL_HINT}.`);
}

/** `npm run chromium`: find one, or install one with a visible line, or stop with one sentence. */
function main(): number {
  let decision = decideChromium(probeMachine());
  if (decision.kind === 'install') {
    const run = (cmd: string[]) =>
      spawnSync(cmd[0] ?? '', cmd.slice(1), {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0;
    const update = decision.command.slice(0, decision.command.indexOf('install'));
    console.log(
      `No Chromium found: installing Debian's chromium with ${decision.command.join(' ')} (Playwright cannot download browsers here)…`,
    );
    if (!run([...update, 'update', '-qq']) || !run(decision.command)) {
      console.error(`Installing chromium with apt-get failed: ${INSTALL_HINT}.`);
      return 1;
    }
    decision = decideChromium({ ...probeMachine(), apt: null });
  }
  if (decision.kind !== 'found') {
    console.error(decision.kind === 'missing' ? decision.message : `No Chromium found: ${INSTALL_HINT}.`);
    return 1;
  }
  let version: string;
  try {
    version = execFileSync(decision.path, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    console.error(
      `${decision.path} is there but does not run (\`${decision.path} --version\` failed): ${INSTALL_HINT}.`,
    );
    return 1;
  }
  console.log(`Chromium for the browser tests: ${decision.path} (${version}).`);
  return 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) process.exitCode = main();
