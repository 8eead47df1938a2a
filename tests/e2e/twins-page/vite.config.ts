/**
 * A test-only page that loads the forged planner-LLM and VLM-judge twins with
 * transformers.js (no app code). Built to dist-twins/ and served by
 * `vite preview` on port 4178 from tests/e2e/twins.config.ts.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
export const TWINS_PORT = Number(process.env.TWINS_PORT ?? 4178);

export default defineConfig({
  root: here,
  // Serves /models/tiny/… from the forge's output; a missing file is a real 404 (no SPA fallback).
  publicDir: resolve(repo, 'public'),
  appType: 'mpa',
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  build: { outDir: resolve(repo, 'dist-twins'), emptyOutDir: true, target: 'es2022' },
  preview: { host: '127.0.0.1', port: TWINS_PORT, strictPort: true },
});
