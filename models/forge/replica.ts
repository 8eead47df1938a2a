/**
 * The replica of the default pack: for every file of every component of models/default-pack.json,
 * a tiny file at the Hub's URL layout,
 *
 *   public/models/replica/<repo>/resolve/<revision>/<path>
 *
 * so a test can answer `https://huggingface.co/<repo>/resolve/<revision>/<path>` with it, plus
 * public/models/replica/default-pack.json: the default manifest with only each file's
 * bytes/bytesExact/sha256, the title and the description changed. Everything else — ids, repos,
 * revisions, paths, variants, devices, derivations, contracts, tokenizer and scheduler facts,
 * licences, evidence — is the default pack's, so the real download, plan and engine code runs.
 *
 * Each ONNX file is the tiny twin of its graph (the builders in twins.ts, llm-twin.ts and
 * vlm-twin.ts, fed the default pack's contract) stored the way its variant's dtype is published:
 * fp32, fp16 with float32 IO, int8 through DequantizeLinear (q8), MatMulNBits (q4) or both (q4f16).
 * It draws noise, never pictures.
 */
import type { Component, Graph, Pack } from '../../src/lib/models/manifest.ts';
import { configFile } from './configs.ts';
import { encodeModel } from './onnx.ts';
import { withPrecision } from './precision.ts';
import { vocabulary } from './tokenizer.ts';
import { TWINS } from './twins.ts';

export const REPLICA_ROOT = 'models/replica';
export const REPLICA_MANIFEST = `${REPLICA_ROOT}/default-pack.json`;
export const REPLICA_TITLE_SUFFIX = ' — replica (tiny weights, draws noise)';
export const REPLICA_DESCRIPTION =
  "Test replica of the default pack, written by the forge (npm run forge): the same repositories, revisions, paths, variants, devices and contracts, served from public/models/replica/ at the Hub URL layout, with tiny deterministic weights stored in each variant's precision. It draws noise, never pictures; use it only for tests.";

/** Where the replica of one file of a component lives, relative to public/. */
export function replicaPath(component: Pick<Component, 'repo' | 'revision'>, path: string): string {
  return `${REPLICA_ROOT}/${component.repo}/resolve/${component.revision}/${path}`;
}

/** The graph and the (downloaded, not derived) variant dtype a file of the component holds. */
function variantOf(component: Component, path: string): { graph: Graph; dtype: string } | undefined {
  for (const graph of component.graphs) {
    const v =
      graph.variants.find((x) => x.file === path && !x.derive) ?? graph.variants.find((x) => x.file === path);
    if (v) return { graph, dtype: v.dtype };
  }
  return undefined;
}

/** The replica's bytes of one graph of a component in a precision (tests forge the fp32 reference with it). */
export function onnxFile(component: Component, graph: Graph, dtype: string): Uint8Array {
  const key = `${component.id}/${graph.id}`;
  const twin = TWINS[key];
  if (!twin) throw new Error(`forge: no twin for ${key}`);
  const spec = withPrecision(twin(graph, { vocabSize: vocabulary().length, wrapIds: true }), dtype);
  return encodeModel(
    spec,
    `StoryLoom replica of ${component.repo} ${graph.id} (${dtype}); tiny weights, draws noise`,
  );
}

function jsonFile(component: Component, path: string): Uint8Array {
  const json = configFile(component, path) as Record<string, unknown> | undefined;
  if (!json) throw new Error(`forge: does not know how to write ${component.id}/${path} for the replica`);
  // The twins' configs pin dtype fp32 for transformers.js; the real repos publish q4 files only for
  // some of these graphs, so the replica leaves the dtype to the caller, as the real config does.
  const out = { ...json };
  if (path === 'config.json') delete out['transformers.js_config'];
  return new TextEncoder().encode(`${JSON.stringify(out, null, 2)}\n`);
}

export interface ReplicaFile {
  component: string;
  /** Path inside the repository (the manifest's file path). */
  file: string;
  /** Path relative to public/. */
  path: string;
  data: Uint8Array;
}

/** Every replica file of the pack, in manifest order. */
export function replicaFiles(pack: Pack): ReplicaFile[] {
  const out: ReplicaFile[] = [];
  for (const c of pack.components)
    for (const f of c.files) {
      const v = variantOf(c, f.path);
      const data = v ? onnxFile(c, v.graph, v.dtype) : jsonFile(c, f.path);
      out.push({ component: c.id, file: f.path, path: replicaPath(c, f.path), data });
    }
  return out;
}

interface RawManifest {
  title: string;
  description: string;
  components: {
    id: string;
    files: { path: string; bytes: number; bytesExact: boolean; sha256: string | null }[];
  }[];
}

/**
 * The replica manifest: the default manifest as it is written (`raw`, not the parsed pack, so no
 * defaults are added), with the forged sizes and hashes, and the replica's title and description.
 */
export function replicaManifest(
  raw: RawManifest,
  forged: (component: string, file: string) => { bytes: number; sha256: string },
): RawManifest {
  const copy = structuredClone(raw);
  copy.title = `${raw.title}${REPLICA_TITLE_SUFFIX}`;
  copy.description = REPLICA_DESCRIPTION;
  for (const c of copy.components)
    for (const f of c.files) Object.assign(f, { ...forged(c.id, f.path), bytesExact: true });
  return copy;
}
