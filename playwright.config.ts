import { defineConfig } from '@playwright/test';
import { chromiumPath } from './tests/e2e/chromium';

// Playwright cannot download browsers here: it drives the system Chromium (CHROMIUM_PATH, else Debian's
// package or another usual path; `npm run chromium` installs one where it can).
const executablePath = chromiumPath();
// Port and build folder can be changed so that several checkouts can run suites side by side.
const port = Number(process.env.STORYLOOM_PORT ?? 4173);
const outDir = process.env.STORYLOOM_DIST ?? 'dist';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

export default defineConfig({
  testDir: 'tests/e2e',
  // twins.spec.ts has its own config and server (tests/e2e/twins.config.ts).
  projects: [
    { name: 'studio', testIgnore: ['twins.spec.ts', 'diskfull.spec.ts'] },
    // Last and alone: with the disk full, a browser on a loaded machine also loses its own writes
    // (seen: the browser process going away mid-download, sentences late), so nothing runs beside it.
    { name: 'full disk', testMatch: 'diskfull.spec.ts', dependencies: ['studio'] },
  ],
  globalSetup: './tests/e2e/global-setup.ts',
  fullyParallel: false,
  // Two spec files at a time (STORYLOOM_E2E_WORKERS overrides): much of a test is waiting on the
  // page, the workers or the disk, so two browsers share the 2 cores.
  workers: Number(process.env.STORYLOOM_E2E_WORKERS ?? 2),
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: { executablePath, args: chromiumArgs },
    trace: 'retain-on-failure',
    // The offline test opts in; elsewhere the service worker's precaching is only noise.
    serviceWorkers: 'block',
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort --outDir ${outDir}`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
