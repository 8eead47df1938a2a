/**
 * Transformer pieces for the language-model twins (planner LLM, VLM judge):
 * RMS norm, rotary embedding, masks, multi-head attention over a KV cache and
 * the "pad the tiny vocabulary to the real one" trick for logits. Everything
 * is built from plain opset-17 ops so ORT-web's WASM and WebGPU providers run it.
 */
import type { GraphBuilder } from './graph.ts';
import type { GraphSpec, ValueSpec } from './onnx.ts';

/** A large negative logit: finite, so softmax and log-softmax never see -Infinity − -Infinity. */
export const NEVER = -1e4;

/** Axis `axis` of `x`'s shape as an int64 scalar. */
export function dim(b: GraphBuilder, x: string, axis: number): string {
  return b.op('Gather', [b.op('Shape', [x]), b.ints64([], [axis])], { axis: 0 });
}

/** int64 [limit − start] = start, start + 1, …, limit − 1 (scalars in). */
export function range(b: GraphBuilder, start: string, limit: string): string {
  return b.op('Range', [start, limit, b.ints64([], [1])]);
}

/** x[..., start:end] along `axis` (constant bounds). */
export function slice(b: GraphBuilder, x: string, axis: number, start: number, end: number): string {
  return b.op('Slice', [x, b.ints64([1], [start]), b.ints64([1], [end]), b.ints64([1], [axis])]);
}

/** RMSNorm over the last axis with a learned scale (Qwen2, Llama). */
export function rmsNorm(b: GraphBuilder, x: string, width: number, eps = 1e-6): string {
  const ms = b.mean(b.mul(x, x), [-1], true);
  const inv = b.op('Reciprocal', [b.op('Sqrt', [b.add(ms, b.scalar(eps))])]);
  const scale = b.floats(
    [width],
    Array.from({ length: width }, (_, i) => 1 + 0.05 * Math.sin(i + 1)),
  );
  return b.mul(b.mul(x, inv), scale);
}

/** [B, T, heads·headDim] → [B, heads, T, headDim]. */
export function splitHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
  return b.op('Transpose', [b.reshape(x, [0, 0, heads, headDim])], { perm: [0, 2, 1, 3] });
}

/** [B, heads, T, headDim] → [B, T, heads·headDim]. */
export function mergeHeads(b: GraphBuilder, x: string, heads: number, headDim: number): string {
  return b.reshape(b.op('Transpose', [x], { perm: [0, 2, 1, 3] }), [0, 0, heads * headDim]);
}

/**
 * Rotary embedding tables for integer positions [B, T]: cos and sin of shape
 * [B, 1, T, headDim] (the half-split layout of HF's `rotate_half`).
 */
export function rotaryTables(
  b: GraphBuilder,
  positions: string,
  headDim: number,
  theta: number,
): { cos: string; sin: string } {
  const half = headDim / 2;
  const invFreq = b.floats(
    [half],
    Array.from({ length: half }, (_, i) => theta ** ((-2 * i) / headDim)),
  );
  const angles = b.mul(b.unsqueeze(b.cast(positions, 'float32'), [2]), invFreq);
  const emb = b.unsqueeze(b.op('Concat', [angles, angles], { axis: -1 }), [1]);
  return { cos: b.op('Cos', [emb]), sin: b.op('Sin', [emb]) };
}

/** x·cos + rotate_half(x)·sin for x [B, heads, T, headDim]. */
export function rotate(
  b: GraphBuilder,
  x: string,
  tables: { cos: string; sin: string },
  headDim: number,
): string {
  const half = headDim / 2;
  const x1 = slice(b, x, 3, 0, half);
  const x2 = slice(b, x, 3, half, headDim);
  const rotated = b.op('Concat', [b.op('Neg', [x2]), x1], { axis: 3 });
  return b.add(b.mul(x, tables.cos), b.mul(rotated, tables.sin));
}

/**
 * Additive attention bias [B?, 1, T, S]: 0 where query i (absolute position
 * past + i) may see key j (j ≤ past + i), NEVER elsewhere; `keyMask` [B, S]
 * (int64, 1 = keep) additionally hides padded keys.
 */
export function causalBias(b: GraphBuilder, past: string, length: string, keyMask?: string): string {
  const total = b.add(past, length);
  const queries = b.unsqueeze(range(b, past, total), [1]);
  const keys = b.unsqueeze(range(b, b.ints64([], [0]), total), [0]);
  let allowed = b.op('LessOrEqual', [keys, queries]);
  if (keyMask) {
    const keep = b.unsqueeze(b.cast(keyMask, 'bool'), [1, 2]);
    allowed = b.op('And', [b.unsqueeze(allowed, [0, 1]), keep]);
  }
  return b.op('Where', [allowed, b.scalar(0), b.scalar(NEVER)]);
}

/** Additive bias [B, 1, 1, S] that hides padded keys (mask [B, S] int64). */
export function paddingBias(b: GraphBuilder, mask: string): string {
  const keep = b.unsqueeze(b.cast(mask, 'bool'), [1, 2]);
  return b.op('Where', [keep, b.scalar(0), b.scalar(NEVER)]);
}

/** softmax(q·kᵀ/√d + bias)·v for q [B, H, T, d], k and v [B, H, S, d]. */
export function attend(b: GraphBuilder, q: string, k: string, v: string, headDim: number, bias: string) {
  const scores = b.mul(
    b.matmul(q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })),
    b.scalar(1 / Math.sqrt(headDim)),
  );
  return b.matmul(b.op('Softmax', [b.add(scores, bias)], { axis: -1 }), v);
}

/** Grouped-query attention: repeat each of `kvHeads` heads `groups` times → [B, kvHeads·groups, S, d]. */
export function repeatKv(
  b: GraphBuilder,
  x: string,
  kvHeads: number,
  groups: number,
  headDim: number,
): string {
  if (groups === 1) return x;
  const expanded = b.op('Expand', [b.unsqueeze(x, [2]), b.ints64([5], [1, 1, groups, 1, 1])]);
  return b.reshape(expanded, [0, kvHeads * groups, -1, headDim]);
}

/**
 * Logits over the real vocabulary from the twin's small one: tied-embedding or
 * head logits [B, T, small] + a bias that keeps `banned` ids (special tokens)
 * from being chosen and lifts `favoured` ones, then padded with NEVER up to `vocab` ids.
 */
export function paddedLogits(
  b: GraphBuilder,
  small: string,
  smallVocab: number,
  vocab: number,
  banned: number[],
  favoured: readonly { id: number; bias: number }[] = [],
): string {
  const bias = new Float32Array(smallVocab);
  for (const id of banned) bias[id] = NEVER;
  for (const f of favoured) bias[f.id] = f.bias;
  const biased = b.add(small, b.floats([smallVocab], bias));
  if (vocab === smallVocab) return biased;
  if (vocab < smallVocab) throw new Error('forge: the twin tokenizer is larger than the real vocabulary');
  return b.op('Pad', [biased, b.ints64([6], [0, 0, 0, 0, 0, vocab - smallVocab]), b.scalar(NEVER)], {
    mode: 'constant',
  });
}

/**
 * One-node branch graph for If: returns the enclosing graph's value `from`
 * under the name `name` (ORT resolves outer-scope names inside subgraphs).
 */
export function passThrough(name: string, from: string, out: ValueSpec): GraphSpec {
  return {
    name,
    doc: '',
    nodes: [{ opType: 'Identity', inputs: [from], outputs: [out.name], name: `${name}_identity` }],
    inits: [],
    inputs: [],
    outputs: [out],
  };
}

/** If(cond) then `whenTrue` else `whenFalse` — both values of the enclosing graph. */
export function select(
  b: GraphBuilder,
  cond: string,
  whenTrue: string,
  whenFalse: string,
  spec: ValueSpec,
): string {
  const tag = `${whenTrue}_or_${whenFalse}`.replace(/[^A-Za-z0-9_]/g, '_');
  return b.op('If', [b.op('Squeeze', [cond])], {
    then_branch: { graph: passThrough(`${tag}_then`, whenTrue, { ...spec, name: `${tag}_then_out` }) },
    else_branch: { graph: passThrough(`${tag}_else`, whenFalse, { ...spec, name: `${tag}_else_out` }) },
  });
}
