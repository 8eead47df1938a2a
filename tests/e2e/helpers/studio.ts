/**
 * The studio under test: every page of a test's browser context gets the typed test hooks
 * (src/lib/config/test-hooks.ts) before the app loads — by default the tiny test pack, served by our
 * own origin, as the active pack. A test changes them with `test.use({ hooks })` or, for one page,
 * `setHooks(page, …)` before its next navigation. Nothing is passed in the address.
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import type { z } from 'zod';
import type { TestHooks } from '../../../src/lib/config/test-hooks';

export type Hooks = z.input<typeof TestHooks>;

/** The tiny pack (twins that draw noise), active without an install. */
export const TINY: Hooks = { testPacks: true, activePack: 'tiny', servedTestPacks: true };

const install = (target: Page | BrowserContext, hooks: Hooks) =>
  target.addInitScript((h) => {
    const scope = globalThis as unknown as Record<string, unknown>;
    const before = (scope.__STORYLOOM_TEST_HOOKS__ ?? {}) as Record<string, unknown>;
    scope.__STORYLOOM_TEST_HOOKS__ = { ...before, ...h };
  }, hooks);

/** Change the hooks of one page from its next navigation on (later calls win, key by key). */
export const setHooks = (page: Page, hooks: Hooks) => install(page, hooks);

export const test = base.extend<{ hooks: Hooks }>({
  hooks: [TINY, { option: true }],
  context: async ({ context, hooks }, use) => {
    await install(context, hooks);
    await use(context);
  },
});

export { expect };

/**
 * Load the studio afresh at `path` (a hash route) with these hooks added: a hash-only `goto` would
 * not reload the page, so the new hooks would never be read.
 */
export async function reopen(page: Page, path: string, hooks: Hooks = {}): Promise<void> {
  await setHooks(page, hooks);
  await page.goto('about:blank');
  await page.goto(path);
}
