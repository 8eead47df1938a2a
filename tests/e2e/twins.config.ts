/**
 * Playwright config for the LLM/VLM twin checks only:
 *   npx playwright test -c tests/e2e/twins.config.ts
 * Builds the test harness page (tests/e2e/twins-page) and serves it on its own port.
 */
import { defineConfig } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';
import { chromiumPath } from './chromium';

const executablePath = chromiumPath();
const port = Number(process.env.TWINS_PORT ?? 4178);
const vite = 'npx vite --config tests/e2e/twins-page/vite.config.ts';

export default defineConfig({
  testDir: '.',
  testMatch: 'twins.spec.ts',
  globalSetup: './global-setup.ts',
  // Not test-results/: the main suite cleans that folder when it starts, possibly mid-run.
  outputDir: '../../dist-twins-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: { executablePath, args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `${vite} build --logLevel warn && ${vite} preview --port ${port} --strictPort`,
    cwd: '../..',
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
