/** The bench's Chromium: the system browser, a persistent profile (that is where the seeded IndexedDB lives). */
import { mkdir } from 'node:fs/promises';
import { chromium } from '@playwright/test';
import type { Browser, BrowserContext } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';
import { chromiumPath, PROFILE_DIR } from './config';

export async function launchBrowser(): Promise<BrowserContext> {
  await mkdir(PROFILE_DIR, { recursive: true });
  try {
    return await chromium.launchPersistentContext(PROFILE_DIR, {
      executablePath: chromiumPath(),
      args: chromiumArgs,
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
  } catch (e) {
    const locked = /ProcessSingleton|SingletonLock|profile.*in use/i.test(String(e));
    const why = locked
      ? `the profile ${PROFILE_DIR} is in use by another Chromium (another bench or seed run?)`
      : `is ${chromiumPath()} a working Chromium? Set CHROMIUM_PATH to another one`;
    throw new Error(`Chromium did not start: ${why}.`, { cause: e });
  }
}

/** A throwaway Chromium with an empty profile, for measures that create records (the seeded library stays as seeded). */
export async function launchFreshBrowser(): Promise<{
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    headless: true,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { browser, context, close: () => browser.close() };
}
