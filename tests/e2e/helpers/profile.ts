/**
 * A studio in a persistent browser profile (a real user-data folder on disk, not an off-the-record
 * context), for what only such a profile shows: the browser process killed outright and relaunched
 * on the same folder, and a full disk (the folder on a small filesystem, helpers/disk.ts). Types only
 * from Playwright and Node.
 */
import { chromium, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs } from '../../../playwright.config';
import { addHooks, type Hooks } from './hooks';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ORIGIN = `http://127.0.0.1:${Number(process.env.STORYLOOM_PORT ?? 4173)}`;

export interface Profile {
  dir: string;
  context: BrowserContext;
  page: Page;
  /** Close the page and open a new one in the same browser (the tab closed, the browser lives on). */
  reopenTab(url: string): Promise<Page>;
  /** SIGKILL the browser process (no shutdown, no flush), then launch it again on the same folder. */
  killAndRelaunch(url: string): Promise<Page>;
  close(): Promise<void>;
}

/** The browser's own process for this profile: its command line names the folder and no `--type=`. */
async function browserPid(dir: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (args.includes(`--user-data-dir=${dir}`) && !args.some((a) => a.startsWith('--type=')))
      return Number(entry);
  }
  throw new Error(`No browser process runs the profile ${dir}.`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Lines of the browser's own log printed when a test fails. */
const BROWSER_LOG_TAIL = 120;

/** `logFile`: where the browser writes its own log (storage errors, crashes); off the profile's disk. */
async function launch(
  dir: string,
  hooks: Hooks,
  logFile: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath,
    args: [...chromiumArgs, '--enable-logging', `--log-file=${logFile}`],
    baseURL: ORIGIN,
    serviceWorkers: 'block',
    viewport: { width: 1280, height: 800 },
  });
  await addHooks(context, hooks);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** `parent`: the folder to make the profile in (a small filesystem, for a full disk); the system's temp by default. */
export async function openProfile(
  hooks: Hooks,
  url = '/#/library',
  parent: string = tmpdir(),
): Promise<Profile> {
  const dir = await mkdtemp(join(parent, 'storyloom-profile-'));
  const logDir = await mkdtemp(join(tmpdir(), 'storyloom-browser-log-'));
  const logFile = join(logDir, 'chrome.log');
  let { context, page } = await launch(dir, hooks, logFile);
  await page.goto(url);
  const profile: Profile = {
    dir,
    get context() {
      return context;
    },
    get page() {
      return page;
    },
    async reopenTab(next) {
      await page.close();
      page = await context.newPage();
      await page.goto(next);
      return page;
    },
    async killAndRelaunch(next) {
      const pid = await browserPid(dir);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      // The dead browser's context rejects everything; its close settles once Playwright notices.
      await context.close().catch(() => undefined);
      ({ context, page } = await launch(dir, hooks, logFile));
      await page.goto(next);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      // A failed test prints the end of the browser's log (CI keeps only the output): on a full disk
      // the reason is often there (LevelDB "FILE_ERROR_NO_SPACE", a storage database cleared).
      const info = test.info();
      if (info.status !== info.expectedStatus) {
        const lines = (await readFile(logFile, 'utf8').catch(() => ''))
          .split('\n')
          // This machine has no system bus: Chromium's complaints about it say nothing of the test.
          .filter((line) => line && !/dbus|bluez/i.test(line));
        console.log(`browser log (${logFile}), last lines:\n${lines.slice(-BROWSER_LOG_TAIL).join('\n')}`);
        await info.attach('browser log', { path: logFile }).catch(() => undefined);
      }
      await rm(logDir, { recursive: true, force: true });
    },
  };
  return profile;
}

/**
 * Every record of these stores of the studio's database, read in the page through IndexedDB itself
 * (image blobs replaced by their byte size, so the dump crosses to Node).
 */
export function readStores<S extends string>(
  page: Page,
  stores: readonly S[],
): Promise<Record<S, Record<string, unknown>[]>> {
  return page.evaluate(async (names) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const name of names)
      out[name] = await new Promise((resolve, reject) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => resolve(r.result as Record<string, unknown>[]);
        r.onerror = () => reject(r.error);
      });
    db.close();
    for (const image of out.images ?? []) image.blob = (image.blob as Blob).size;
    return out;
  }, stores) as Promise<Record<S, Record<string, unknown>[]>>;
}
