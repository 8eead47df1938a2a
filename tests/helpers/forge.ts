/**
 * Test helpers for the forged twins: make sure they exist (cheap when the
 * forge's stamp is current), and open them with onnxruntime-web (its Node
 * build with WASM under vitest).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { forge, REPO_ROOT } from '../../models/forge/index.ts';
import { validatePack, type Component, type Pack } from '../../src/lib/models/manifest.ts';

export const PUBLIC_DIR = join(REPO_ROOT, 'public');

let forged: Promise<unknown> | undefined;

/** Runs the forge once per test process; skips quickly when its output is current. */
export function ensureForged(): Promise<unknown> {
  forged ??= forge();
  return forged;
}

export async function readPack(name: 'tiny-pack' | 'bench-pack' | 'default-pack'): Promise<Pack> {
  return validatePack(JSON.parse(await readFile(join(REPO_ROOT, 'models', `${name}.json`), 'utf8')));
}

/** Absolute path of a forged file of a pack with a localRoot. */
export function forgedPath(pack: Pack, component: Component, path: string): string {
  if (!pack.localRoot) throw new Error(`${pack.id} has no localRoot`);
  return join(PUBLIC_DIR, pack.localRoot, component.id, path);
}

ort.env.wasm.numThreads = 1;

export async function openSession(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(new Uint8Array(await readFile(path)));
}

export { ort };
