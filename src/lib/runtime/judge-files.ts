/**
 * transformers.js reads a pack's judge models from the same verified storage the engine uses.
 * Its `env.fetch` is wrapped once: paths under PACK_PREFIX are answered with the verified bytes of
 * that pack file (store first, hash-checked origin copy for test packs with a localRoot), a file the
 * manifest does not list is a real 404 (transformers.js probes optional files), and every other
 * request goes to the fetch that was there before. Remote models stay off: nothing leaves the origin.
 */
import { env } from '@huggingface/transformers';
import { StoryLoomError } from '../domain/errors';
import type { PackComponent } from '../pipeline/contracts';
import { componentFile } from './engine-browser';
import { PACK_PREFIX, parsePackPath } from './judge-paths';

export { PACK_PREFIX };

type Fetch = (input: string | URL, init?: unknown) => Promise<Response>;
type FileSource = (pc: PackComponent, path: string) => Promise<Uint8Array>;

const registered = new Map<string, { pc: PackComponent; served: Set<string> }>();
/** Why the last file of a model id could not be served (transformers.js reports only "not found"). */
const failures = new Map<string, Error>();
let installed = false;
let source: FileSource = componentFile;

export const modelIdOf = (pc: PackComponent): string => `${pc.packId}/${pc.component.id}`;

async function answer(url: string): Promise<Response | null> {
  const parsed = parsePackPath(url);
  if (!parsed) return null;
  const entry = registered.get(parsed.modelId);
  // Only what the plan downloaded is served: another dtype's file is a real 404, never a fetch.
  if (!entry || !entry.served.has(parsed.path))
    return new Response(null, { status: 404, statusText: 'Not a planned file of this pack' });
  const { pc } = entry;
  try {
    const bytes = await source(pc, parsed.path);
    return new Response(bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: { 'content-length': String(bytes.byteLength) },
    });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    failures.set(parsed.modelId, error);
    throw error;
  }
}

/**
 * Make transformers.js read `pc` as model id `<packId>/<componentId>`, serving only `served` (paths
 * inside the component: its config files and the graphs the plan opens); idempotent.
 */
export function registerPackComponent(
  pc: PackComponent,
  served: readonly string[],
  files?: FileSource,
): string {
  if (files) source = files;
  if (!installed) {
    const previous = env.fetch as Fetch;
    env.fetch = (async (input: string | URL, init?: unknown) =>
      (await answer(String(input))) ?? previous(input, init)) as typeof env.fetch;
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.useBrowserCache = false;
    env.localModelPath = PACK_PREFIX;
    installed = true;
  }
  const id = modelIdOf(pc);
  registered.set(id, { pc, served: new Set(served) });
  failures.delete(id);
  return id;
}

/** Loading failed: rethrow the storage or integrity error behind it when there was one. */
export function loadError(pc: PackComponent, e: unknown): StoryLoomError {
  const cause = failures.get(modelIdOf(pc)) ?? e;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StoryLoomError('not-found', `${pc.component.title} could not be loaded for the judge: ${why}`, {
    cause,
  });
}
