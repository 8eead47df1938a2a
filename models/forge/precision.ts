/**
 * Precision passes over a twin's fp32 graph, so one builder gives every published variant of a
 * graph with the real file's storage:
 *
 * - toFloat16: float16 initializers and values inside, float32 at the boundary (a Cast after each
 *   float input, before each float output) — what onnxconverter-common's convert_float_to_float16
 *   with keep_io_types=True writes, the recipe of transformers.js' scripts/quantize.py for fp16 and
 *   q4f16. Integer inputs (input_ids, timestep) stay integer.
 * - quantizeInt8: weights stored as int8 and widened by DequantizeLinear (the `_quantized` files).
 * - quantizeQ4: every MatMul by a constant [K, N] weight becomes com.microsoft MatMulNBits (4 bits,
 *   block size 32, packed uint8 weights, float32 scales, the default zero point 8).
 *
 * All passes are pure and deterministic: the same graph gives the same bytes.
 */
import { ELEM_TYPE, type AttrValue, type GraphSpec, type InitSpec, type NodeSpec } from './onnx.ts';

const FLOAT = ELEM_TYPE.float32;
const FLOAT16 = ELEM_TYPE.float16;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even. */
export function halfBits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h += 1;
    return sign | h;
  }
  let h = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h += 1;
  return sign | h;
}

/** The number a binary16 bit pattern stands for. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const floatsOf = (t: InitSpec) =>
  new Float32Array(t.raw.buffer.slice(t.raw.byteOffset, t.raw.byteOffset + t.raw.byteLength));

function toHalfInit(t: InitSpec): InitSpec {
  if (t.dtype !== 'float32') return t;
  const f = floatsOf(t);
  const h = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) h[i] = halfBits(f[i] ?? 0);
  return { ...t, dtype: 'float16', raw: new Uint8Array(h.buffer) };
}

const isGraph = (v: AttrValue): v is { graph: GraphSpec } =>
  typeof v === 'object' && !Array.isArray(v) && 'graph' in v;

/** Renames value references (inputs and outputs) in nodes and in their subgraphs. */
function renameValues(nodes: NodeSpec[], rename: (name: string) => string): NodeSpec[] {
  return nodes.map((n) => ({
    ...n,
    inputs: n.inputs.map(rename),
    outputs: n.outputs.map(rename),
    ...(n.attrs && {
      attrs: Object.fromEntries(
        Object.entries(n.attrs).map(([k, v]) => [
          k,
          isGraph(v) ? { graph: { ...v.graph, nodes: renameValues(v.graph.nodes, rename) } } : v,
        ]),
      ),
    }),
  }));
}

/** float32 → float16 everywhere inside a (sub)graph: initializers, Cast targets, subgraph outputs. */
function halveInside(graph: GraphSpec, boundary: boolean): GraphSpec {
  const nodes = graph.nodes.map((n): NodeSpec => {
    const attrs = n.attrs && { ...n.attrs };
    if (attrs)
      for (const [k, v] of Object.entries(attrs)) {
        if (isGraph(v)) attrs[k] = { graph: halveInside(v.graph, false) };
        else if (n.opType === 'Cast' && k === 'to' && typeof v === 'object' && 'int' in v && v.int === FLOAT)
          attrs[k] = { int: FLOAT16 };
      }
    return attrs ? { ...n, attrs } : n;
  });
  const retype = <T extends { dtype: string }>(v: T): T =>
    v.dtype === 'float32' ? { ...v, dtype: 'float16' } : v;
  return {
    ...graph,
    nodes,
    inits: graph.inits.map(toHalfInit),
    // A subgraph's outputs are internal values; the main graph's keep float32 (cast at the boundary).
    outputs: boundary ? graph.outputs : graph.outputs.map(retype),
  };
}

/** fp16 weights and values with float32 IO (keep_io_types). */
export function toFloat16(graph: GraphSpec): GraphSpec {
  const inner = (name: string) => `${name}__fp16`;
  const floatInputs = new Set(graph.inputs.filter((t) => t.dtype === 'float32').map((t) => t.name));
  const floatOutputs = new Set(graph.outputs.filter((t) => t.dtype === 'float32').map((t) => t.name));
  const halved = halveInside(graph, true);
  const body = renameValues(halved.nodes, (v) => (floatInputs.has(v) || floatOutputs.has(v) ? inner(v) : v));
  const cast = (from: string, to: string, type: number, tag: string): NodeSpec => ({
    opType: 'Cast',
    inputs: [from],
    outputs: [to],
    name: `${tag}_${to}`,
    attrs: { to: { int: type } },
  });
  return {
    ...halved,
    nodes: [
      ...[...floatInputs].map((n) => cast(n, inner(n), FLOAT16, 'cast_in')),
      ...body,
      ...[...floatOutputs].map((n) => cast(inner(n), n, FLOAT, 'cast_out')),
    ],
  };
}

/** Where each value is read: node and input position (top-level nodes only). */
function consumers(graph: GraphSpec): Map<string, { node: NodeSpec; index: number }[]> {
  const uses = new Map<string, { node: NodeSpec; index: number }[]>();
  for (const node of graph.nodes)
    node.inputs.forEach((name, index) => uses.set(name, [...(uses.get(name) ?? []), { node, index }]));
  return uses;
}

/** Weights that a quantized export stores narrow: MatMul/Conv weights and Gather tables. */
const WEIGHT_INPUT: Record<string, number> = { MatMul: 1, Conv: 1, Gather: 0 };

/** int8 weights (symmetric, one scale per tensor) widened to float32 by DequantizeLinear. */
export function quantizeInt8(graph: GraphSpec): GraphSpec {
  const uses = consumers(graph);
  const inits: InitSpec[] = [];
  const dequant: NodeSpec[] = [];
  for (const t of graph.inits) {
    const reads = uses.get(t.name) ?? [];
    const weight =
      t.dtype === 'float32' &&
      t.dims.length >= 2 &&
      reads.length > 0 &&
      reads.every((u) => WEIGHT_INPUT[u.node.opType] === u.index);
    if (!weight) {
      inits.push(t);
      continue;
    }
    const f = floatsOf(t);
    const max = f.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = max > 0 ? max / 127 : 1;
    const q = Int8Array.from(f, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
    const name = (suffix: string) => `${t.name}_${suffix}`;
    inits.push(
      { name: name('int8'), dtype: 'int8', dims: t.dims, raw: new Uint8Array(q.buffer) },
      { name: name('scale'), dtype: 'float32', dims: [], raw: new Uint8Array(Float32Array.of(scale).buffer) },
      { name: name('zero'), dtype: 'int8', dims: [], raw: new Uint8Array(1) },
    );
    dequant.push({
      opType: 'DequantizeLinear',
      inputs: [name('int8'), name('scale'), name('zero')],
      outputs: [t.name],
      name: name('dequantize'),
    });
  }
  return { ...graph, inits, nodes: [...dequant, ...graph.nodes] };
}

export const Q4_BLOCK = 32;

/** Packs a [K, N] float32 weight as MatMulNBits wants it: B uint8 [N, blocks, 16], scales [N·blocks]. */
export function packQ4(w: Float32Array, K: number, N: number, block = Q4_BLOCK) {
  const blocks = Math.ceil(K / block);
  const blob = block / 2;
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++)
    for (let b = 0; b < blocks; b++) {
      let max = 0;
      for (let k = b * block; k < Math.min(K, (b + 1) * block); k++)
        max = Math.max(max, Math.abs(w[k * N + n] ?? 0));
      const scale = max > 0 ? max / 7 : 1;
      scales[n * blocks + b] = scale;
      for (let j = 0; j < block; j++) {
        const k = b * block + j;
        // Zero point 8 (the default without a zero_points input): q = round(w / scale) + 8.
        const q = k < K ? Math.max(0, Math.min(15, Math.round((w[k * N + n] ?? 0) / scale) + 8)) : 8;
        const at = (n * blocks + b) * blob + (j >> 1);
        packed[at] = (packed[at] ?? 0) | (j & 1 ? q << 4 : q);
      }
    }
  return { packed, scales, blocks, blob };
}

/** MatMul by a constant [K, N] weight → com.microsoft MatMulNBits (bits 4, block_size 32). */
export function quantizeQ4(graph: GraphSpec): GraphSpec {
  const byName = new Map(graph.inits.map((t) => [t.name, t]));
  const uses = consumers(graph);
  const replaced = new Set<string>();
  const added: InitSpec[] = [];
  const packedFor = new Set<string>();
  const nodes = graph.nodes.map((node): NodeSpec => {
    const [a, bName] = node.inputs;
    const w = bName === undefined ? undefined : byName.get(bName);
    if (node.opType !== 'MatMul' || !a || !w || w.dtype !== 'float32' || w.dims.length !== 2) return node;
    const [K, N] = w.dims as [number, number];
    // One packed copy per weight: the twins share a weight between layers, as their fp32 files do.
    const name = `${w.name}_q4`;
    if (!packedFor.has(w.name)) {
      const { packed, scales, blocks, blob } = packQ4(floatsOf(w), K, N);
      added.push(
        { name, dtype: 'uint8', dims: [N, blocks, blob], raw: packed },
        { name: `${name}_scales`, dtype: 'float32', dims: [N * blocks], raw: new Uint8Array(scales.buffer) },
      );
      packedFor.add(w.name);
    }
    if ((uses.get(w.name) ?? []).every((u) => u.node.opType === 'MatMul' && u.index === 1))
      replaced.add(w.name);
    return {
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      inputs: [a, name, `${name}_scales`],
      outputs: node.outputs,
      name: node.name,
      attrs: { K, N, bits: 4, block_size: Q4_BLOCK },
    };
  });
  return { ...graph, nodes, inits: [...graph.inits.filter((t) => !replaced.has(t.name)), ...added] };
}

export type Precision = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

/** The graph as a variant of that dtype stores it. */
export function withPrecision(graph: GraphSpec, dtype: string): GraphSpec {
  switch (dtype) {
    case 'fp32':
      return graph;
    case 'fp16':
      return toFloat16(graph);
    case 'q8':
      return quantizeInt8(graph);
    case 'q4':
      return quantizeQ4(graph);
    case 'q4f16':
      return toFloat16(quantizeQ4(graph));
    default:
      throw new Error(`forge: no replica precision for dtype ${dtype}`);
  }
}
