/**
 * The studio's typed test hooks (src/lib/config/test-hooks.ts) from outside the page: set before the
 * app loads (an init script), read once by main.ts. Used by the e2e fixture and by the bench.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { z } from 'zod';
import type { TestHooks } from '../../../src/lib/config/test-hooks';

export type Hooks = z.input<typeof TestHooks>;

/** The tiny pack (twins that draw noise), active without an install. */
export const TINY: Hooks = { testPacks: true, activePack: 'tiny', servedTestPacks: true };

/** Add hooks to every later page load of `target` (later calls win, key by key). */
export const addHooks = (target: Page | BrowserContext, hooks: Hooks) =>
  target.addInitScript((h) => {
    const scope = globalThis as unknown as Record<string, unknown>;
    const before = (scope.__STORYLOOM_TEST_HOOKS__ ?? {}) as Record<string, unknown>;
    scope.__STORYLOOM_TEST_HOOKS__ = { ...before, ...h };
  }, hooks);

/**
 * Load the studio afresh at `url` (a hash route) with these hooks added: a hash-only `goto` would
 * not reload the page, so the new hooks would never be read.
 */
export async function reopen(page: Page, url: string, hooks: Hooks = {}): Promise<void> {
  await addHooks(page, hooks);
  await page.goto('about:blank');
  await page.goto(url);
}
