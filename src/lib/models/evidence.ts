/**
 * Evidence for every fact a component states about its real model (`Component.evidence`).
 *
 * A key names a field inside the component; a value is the source it was read from, or a
 * sentence that starts with "unverified:" and says why it could not be confirmed.
 *
 * Key syntax: field names joined by ".", list items selected in brackets by what identifies them:
 *
 *   repo  revision  revisionKind  optional
 *   files[<path>].path | .bytes | .bytesExact | .sha256
 *   graphs[<graph id>].inputs[<tensor name>].name | .dtype | .shape   (outputs likewise)
 *   graphs[<graph id>].variants[<dtype>].file | .dataFiles | .requiresFeatures | .devices | .derive
 *   tokenizer.<field>  scheduler.<field>  latent.<field>  image.<field>  licence.<field>
 *
 * A key covers every field below it: `graphs[unet].outputs` covers every output tensor of the
 * unet graph, `files[unet/model.onnx]` the four fields of that file, `scheduler` all of it. When
 * several keys cover a field the most specific one speaks for it. A variant is selected by its
 * dtype, which is unique within a graph. The component's own labels (id, role, title,
 * verification) are not facts about the model and need no evidence.
 */
import type { Component } from './manifest';

export const UNVERIFIED = 'unverified:';

/** One step of a field path: a field name or a `[selector]`. */
type Step = string;

/** `files[onnx/model.onnx].bytes` → ["files", "[onnx/model.onnx]", "bytes"]; selectors may hold dots. */
export function parseKey(key: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < key.length) {
    if (key[i] === '.') {
      i += 1;
      continue;
    }
    if (key[i] === '[') {
      const end = key.indexOf(']', i);
      if (end < 0) throw new Error(`evidence key ${key}: "[" without "]"`);
      steps.push(key.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < key.length && key[j] !== '.' && key[j] !== '[') j += 1;
    steps.push(key.slice(i, j));
    i = j;
  }
  return steps;
}

/** A malformed key covers nothing (evidenceStrays reports it). */
function tryParse(key: string): Step[] | undefined {
  try {
    return parseKey(key);
  } catch {
    return undefined;
  }
}

const covers = (key: Step[], leaf: Step[]) =>
  key.length <= leaf.length && key.every((step, i) => step === leaf[i]);

function fields(prefix: string, object: object | undefined): string[] {
  if (!object) return [];
  return Object.entries(object)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => `${prefix}.${k}`);
}

/** Every field of the component that states a fact about the real model, as evidence paths. */
export function evidenceLeaves(c: Component): string[] {
  const leaves = ['repo', 'revision', 'revisionKind', 'optional'];
  for (const f of c.files)
    for (const k of ['path', 'bytes', 'bytesExact', 'sha256']) leaves.push(`files[${f.path}].${k}`);
  for (const g of c.graphs) {
    for (const kind of ['inputs', 'outputs'] as const)
      for (const t of g[kind])
        for (const k of ['name', 'dtype', 'shape']) leaves.push(`graphs[${g.id}].${kind}[${t.name}].${k}`);
    for (const v of g.variants) leaves.push(...fields(`graphs[${g.id}].variants[${v.dtype}]`, v));
  }
  leaves.push(
    ...fields('tokenizer', c.tokenizer),
    ...fields('scheduler', c.scheduler),
    ...fields('latent', c.latent),
    ...fields('image', c.image),
    ...fields('licence', c.licence),
  );
  return leaves;
}

/** The most specific evidence entry that covers `leaf`, or undefined. */
export function evidenceFor(c: Component, leaf: string): { key: string; value: string } | undefined {
  const steps = parseKey(leaf);
  let best: { key: string; value: string; depth: number } | undefined;
  for (const [key, value] of Object.entries(c.evidence)) {
    const k = tryParse(key);
    if (k && covers(k, steps) && (!best || k.length > best.depth)) best = { key, value, depth: k.length };
  }
  return best && { key: best.key, value: best.value };
}

/** The fact-stating fields no evidence key covers (empty when every fact names its source). */
export function evidenceGaps(c: Component): string[] {
  const keys = Object.keys(c.evidence)
    .map(tryParse)
    .filter((k): k is Step[] => k !== undefined);
  return evidenceLeaves(c).filter((leaf) => {
    const steps = parseKey(leaf);
    return !keys.some((k) => covers(k, steps));
  });
}

/** Evidence keys that cover no field (misspelt, or left behind when a field was removed). */
export function evidenceStrays(c: Component): string[] {
  const leaves = evidenceLeaves(c).map(parseKey);
  return Object.keys(c.evidence).filter((key) => {
    const k = tryParse(key);
    return !k || !leaves.some((leaf) => covers(k, leaf));
  });
}

export const isUnverified = (value: string) => value.trimStart().toLowerCase().startsWith(UNVERIFIED);
