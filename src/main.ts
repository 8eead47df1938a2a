import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('StoryLoom needs an element with id "app" to mount into.');

const app = mount(App, { target });

// The service worker (offline app shell) registers after the shell is up, never before it.
if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void import('virtual:pwa-register').then(({ registerSW }) => registerSW({ immediate: true }));
}

export default app;
