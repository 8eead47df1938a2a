import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import type { Plugin } from 'vite';
import { cspHeader, cspMeta } from './src/lib/config/csp';

// Cross-origin isolation lets onnxruntime-web use threads (SharedArrayBuffer).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The built app carries its Content-Security-Policy in index.html (any static host) and, from
// `vite preview`, as a header too (only a header can hold frame-ancestors). Not in dev: Vite's client
// and HMR are not the app.
const cspMetaTag = (): Plugin => ({
  name: 'storyloom-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: cspMeta() },
      injectTo: 'head-prepend',
    },
  ],
});

export default defineConfig({
  plugins: [
    svelte(),
    cspMetaTag(),
    // The app shell (and the runtime's .wasm) is precached so the studio opens offline once it has
    // been loaded; model files are not: the model manager keeps them in OPFS with their hashes.
    VitePWA({
      injectRegister: false,
      registerType: 'autoUpdate',
      manifest: {
        name: 'StoryLoom',
        short_name: 'StoryLoom',
        description: 'Illustrated stories with consistent characters, on your own GPU.',
        theme_color: '#2b2d42',
        background_color: '#f5f4f0',
        display: 'standalone',
        icons: [{ src: '/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        // The helper graphs (scheduler arithmetic on the GPU, a few KB) are part of the app: a drawing
        // needs them offline. Model packs are not: they live in OPFS.
        // The lettering fonts' woff2 files too (the .woff copies the @fontsource CSS also names are
        // never chosen by a browser that runs the studio), and the upright .woff faces the PDF export
        // embeds (services/comic.service.ts: fontkit's WOFF2 subsets lose their outlines).
        globPatterns: [
          '**/*.{js,css,html,svg,wasm,webmanifest,woff2}',
          'assets/comic-neue-latin-{400,700}-normal-*.woff',
          'assets/bangers-*-400-normal-*.woff',
          'models/helpers/*.onnx',
        ],
        globIgnores: ['models/tiny/**', 'models/bench/**', 'models/replica/**', '__bench/**'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: null,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  // Hash routing: no SPA fallback, so a missing /models/… file is a real 404
  // (transformers.js probes optional files and must not receive index.html).
  appType: 'mpa',
  server: { host: '127.0.0.1', headers: isolationHeaders },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    strictPort: true,
    headers: { ...isolationHeaders, 'Content-Security-Policy': cspHeader() },
  },
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  test: {
    projects: [
      {
        extends: true,
        // Under Node, transformers.js' package exports pick its Node build, which needs onnxruntime-node
        // (a stub here). Unit tests take its web build, which runs on onnxruntime-web's Node build as the
        // app does; the structured-output package is inlined so its own import of transformers.js
        // resolves the same way.
        resolve: {
          alias: [
            {
              find: /^@huggingface\/transformers$/,
              replacement: fileURLToPath(
                new URL('./node_modules/@huggingface/transformers/dist/transformers.web.js', import.meta.url),
              ),
            },
          ],
        },
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          server: { deps: { inline: ['@huggingface/transformers-structured-output'] } },
        },
      },
      {
        extends: true,
        test: {
          name: 'store',
          include: ['tests/store/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['fake-indexeddb/auto'],
        },
      },
      {
        extends: true,
        resolve: { conditions: ['browser'] },
        test: {
          name: 'component',
          include: ['tests/component/**/*.test.ts'],
          environment: 'jsdom',
          setupFiles: ['tests/helpers/component-setup.ts'],
        },
      },
    ],
  },
});
