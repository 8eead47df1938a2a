/**
 * The studio under test: every page of a test's browser context gets the typed test hooks before the
 * app loads — by default the tiny test pack, served by our own origin, as the active pack. A test
 * changes them with `test.use({ hooks })` or, for one page, `setHooks(page, …)` / `reopen(page, …)`.
 * Nothing is passed in the address.
 */
import { test as base, expect } from '@playwright/test';
import { addHooks, reopen, TINY, type Hooks } from './hooks';

export const setHooks = addHooks;
export { expect, reopen, TINY, type Hooks };

export const test = base.extend<{ hooks: Hooks }>({
  hooks: [TINY, { option: true }],
  context: async ({ context, hooks }, use) => {
    await addHooks(context, hooks);
    await use(context);
  },
});
