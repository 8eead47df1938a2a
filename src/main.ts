import { mount } from 'svelte';
import App from './App.svelte';
// The lettering fonts are bundled (their woff2 files ship in dist/): nothing is fetched from a font host.
import '@fontsource/comic-neue/400.css';
import '@fontsource/comic-neue/700.css';
import '@fontsource/bangers/400.css';
import './app.css';
import { createStudioConfig, readTestHooks } from './lib/config';
import { configureServices } from './lib/services/configure';

const target = document.getElementById('app');
if (!target) throw new Error('StoryLoom needs an element with id "app" to mount into.');

// The composition root: the one place that reads the test hooks (an artist's studio has none) and
// hands the configuration to the services. Nothing below reads the address or a global.
configureServices(createStudioConfig(readTestHooks(globalThis)));

const app = mount(App, { target });

// The service worker (offline app shell) registers after the shell is up, never before it.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void import('virtual:pwa-register').then(({ registerSW }) => registerSW({ immediate: true }));
}

export default app;
