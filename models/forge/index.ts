/**
 * The forge: writes the tiny (and bench) twins of every component of
 * models/tiny-pack.json and models/bench-pack.json into public/models/, the
 * replica of models/default-pack.json into public/models/replica/ (replica.ts),
 * the helper graphs into public/models/helpers/, then records the exact sizes
 * and hashes back into the tiny and bench manifests. Skips all work when a stamp
 * says the output matches the current forge sources.
 *
 *   npm run forge            (add -- --force to rebuild)
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatePack, type Component, type Pack } from '../../src/lib/models/manifest.ts';
import { configFile } from './configs.ts';
import { HELPER_GRAPHS, helperGraph } from './helpers.ts';
import { encodeModel } from './onnx.ts';
import { REPLICA_MANIFEST, replicaFiles, replicaManifest } from './replica.ts';
import { vocabulary } from './tokenizer.ts';
import { TWINS } from './twins.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Packs the forge writes: manifest file, twin key prefix. */
export const FORGED_PACKS = [
  { manifest: 'models/tiny-pack.json', twinPrefix: '' },
  { manifest: 'models/bench-pack.json', twinPrefix: 'bench-' },
] as const;

/** The pack the replica copies (its every field counts for the stamp: the replica repeats them). */
export const REPLICATED_PACK = 'models/default-pack.json';

export interface ForgeOptions {
  /** Repository root (manifests and sources); defaults to this checkout. */
  repoRoot?: string;
  /** Where public/ is; twins go to {publicDir}/{pack.localRoot}/… */
  publicDir?: string;
  /** Rewrite sizes and hashes in the manifests (default true). */
  updateManifests?: boolean;
  force?: boolean;
  log?: (line: string) => void;
}

export interface ForgedFile {
  /** Path relative to publicDir. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface ForgeResult {
  skipped: boolean;
  ms: number;
  files: ForgedFile[];
}

const STAMP = 'models/tiny/.forge-stamp.json';
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
const MANIFEST_FILLED = new Set(['bytes', 'bytesExact', 'sha256', 'bosTokenId', 'eosTokenId', 'padTokenId']);

async function sourceHash(repoRoot: string): Promise<string> {
  const hash = createHash('sha256');
  const forgeDir = join(repoRoot, 'models/forge');
  const sources = (await readdir(forgeDir)).filter((f) => f.endsWith('.ts')).sort();
  const paths = [
    ...sources.map((f) => join(forgeDir, f)),
    join(repoRoot, 'src/lib/domain/vocabulary.ts'),
    join(repoRoot, 'src/lib/models/manifest.ts'),
  ];
  for (const p of paths) hash.update(p.slice(repoRoot.length)).update(await readFile(p));
  // The manifests count without the values the forge itself fills in.
  for (const { manifest } of FORGED_PACKS) {
    const raw = JSON.parse(await readFile(join(repoRoot, manifest), 'utf8'));
    hash.update(JSON.stringify(raw, (k, v) => (MANIFEST_FILLED.has(k) ? undefined : v)));
  }
  hash.update(await readFile(join(repoRoot, REPLICATED_PACK)));
  return hash.digest('hex');
}

interface Stamp {
  hash: string;
  files: ForgedFile[];
}

async function upToDate(publicDir: string, hash: string): Promise<Stamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(publicDir, STAMP), 'utf8')) as Stamp;
    if (stamp.hash !== hash) return undefined;
    for (const f of stamp.files) if ((await stat(join(publicDir, f.path))).size !== f.bytes) return undefined;
    return stamp;
  } catch {
    return undefined;
  }
}

/** Write through a temporary file so a concurrent reader never sees half a model. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function componentFile(component: Component, path: string, twinPrefix: string): Uint8Array {
  for (const graph of component.graphs) {
    if (!graph.variants.some((v) => v.file === path)) continue;
    const key = `${twinPrefix}${component.id}/${graph.id}`;
    const twin = TWINS[key];
    if (!twin) throw new Error(`forge: no twin for ${key}`);
    return encodeModel(
      twin(graph, { vocabSize: vocabulary().length }),
      `StoryLoom tiny twin ${key}; draws noise`,
    );
  }
  const json = configFile(component, path);
  if (!json) throw new Error(`forge: does not know how to write ${component.id}/${path}`);
  return new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`);
}

async function formatJson(path: string, text: string): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...config, plugins: [], filepath: path });
}

interface RawFile {
  path: string;
  bytes: number;
  bytesExact: boolean;
  sha256: string | null;
}
interface RawComponent {
  id: string;
  role: string;
  files: RawFile[];
  tokenizer?: { bosTokenId: number | null; eosTokenId: number | null; padTokenId: number };
}

async function updateManifest(file: string, written: Map<string, ForgedFile>, pack: Pack): Promise<void> {
  const text = await readFile(file, 'utf8');
  const raw = JSON.parse(text) as { components: RawComponent[] };
  const vocabSize = vocabulary().length;
  for (const c of raw.components) {
    for (const f of c.files) {
      const w = written.get(`${pack.localRoot}/${c.id}/${f.path}`);
      if (!w) throw new Error(`forge: ${c.id}/${f.path} was not written`);
      Object.assign(f, { bytes: w.bytes, bytesExact: true, sha256: w.sha256 });
    }
    // Like the real ones: CLIP pads with its end token; SD 2.x and OWL-ViT pad with "!" (id 0).
    const padTokenId = c.role === 'image-text-encoder' ? vocabSize - 1 : 0;
    if (c.tokenizer)
      Object.assign(c.tokenizer, { bosTokenId: vocabSize - 2, eosTokenId: vocabSize - 1, padTokenId });
  }
  const next = await formatJson(file, JSON.stringify(raw));
  validatePack(JSON.parse(next));
  if (next !== text) await writeAtomic(file, next);
}

/** The replica of the default pack: its files at the Hub URL layout, then its manifest. */
async function forgeReplica(repoRoot: string, emit: (path: string, data: Uint8Array) => Promise<void>) {
  const file = join(repoRoot, REPLICATED_PACK);
  const raw = JSON.parse(await readFile(file, 'utf8'));
  const written = new Map<string, { bytes: number; sha256: string }>();
  for (const f of replicaFiles(validatePack(raw))) {
    await emit(f.path, f.data);
    written.set(`${f.component}/${f.file}`, { bytes: f.data.byteLength, sha256: sha256(f.data) });
  }
  const manifest = replicaManifest(raw, (component, path) => {
    const w = written.get(`${component}/${path}`);
    if (!w) throw new Error(`forge: the replica of ${component}/${path} was not written`);
    return w;
  });
  const text = await formatJson(file, JSON.stringify(manifest));
  validatePack(JSON.parse(text));
  await emit(REPLICA_MANIFEST, new TextEncoder().encode(text));
}

export async function forge(options: ForgeOptions = {}): Promise<ForgeResult> {
  const started = performance.now();
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const publicDir = options.publicDir ?? join(repoRoot, 'public');
  const updateManifests = options.updateManifests ?? true;
  const log = options.log ?? (() => {});

  const hash = await sourceHash(repoRoot);
  if (!options.force) {
    const stamp = await upToDate(publicDir, hash);
    if (stamp) return { skipped: true, ms: performance.now() - started, files: stamp.files };
  }

  const files: ForgedFile[] = [];
  const emit = async (path: string, data: Uint8Array) => {
    await writeAtomic(join(publicDir, path), data);
    files.push({ path, bytes: data.byteLength, sha256: sha256(data) });
    log(`${path}  ${data.byteLength} bytes`);
  };

  for (const { manifest, twinPrefix } of FORGED_PACKS) {
    const file = join(repoRoot, manifest);
    const pack = validatePack(JSON.parse(await readFile(file, 'utf8')));
    if (!pack.localRoot) throw new Error(`forge: ${manifest} needs a localRoot`);
    for (const c of pack.components)
      for (const f of c.files)
        await emit(`${pack.localRoot}/${c.id}/${f.path}`, componentFile(c, f.path, twinPrefix));
    if (updateManifests) await updateManifest(file, new Map(files.map((f) => [f.path, f])), pack);
  }
  await forgeReplica(repoRoot, emit);
  for (const h of HELPER_GRAPHS)
    await emit(`models/helpers/${h.file}`, encodeModel(helperGraph(h), h.summary));
  await (await import('./engine-helpers.ts')).writeEngineHelpers(emit);

  await writeAtomic(join(publicDir, STAMP), `${JSON.stringify({ hash, files } satisfies Stamp, null, 2)}\n`);
  return { skipped: false, ms: performance.now() - started, files };
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const force = process.argv.includes('--force');
  forge({ force, log: (line) => console.log(`  ${line}`) })
    .then((r) => {
      const total = r.files.reduce((s, f) => s + f.bytes, 0);
      const what = r.skipped ? 'up to date' : `wrote ${r.files.length} files`;
      console.log(`forge: ${what} (${(total / 1024).toFixed(0)} KiB) in ${r.ms.toFixed(0)} ms`);
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    });
}
