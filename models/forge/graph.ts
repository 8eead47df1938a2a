/**
 * A small builder for ONNX graphs with deterministic weights: every name is
 * derived from a counter and every weight from a seeded PRNG, so one seed
 * gives the same bytes on every machine.
 */
import type { AttrValue, Dim, ElemType, GraphSpec, InitSpec, NodeSpec, ValueSpec } from './onnx.ts';

/** mulberry32: tiny, fast and identical everywhere (plain 32-bit integer math). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed per twin from its name, so twins do not share weights. */
export function seedFrom(text: string, base = 0x5eed): number {
  let h = (2166136261 ^ base) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

const bytesOf = (a: Float32Array | Int32Array | BigInt64Array) =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

export class GraphBuilder {
  readonly #nodes: NodeSpec[] = [];
  readonly #inits: InitSpec[] = [];
  readonly #inputs: ValueSpec[] = [];
  readonly #outputs: ValueSpec[] = [];
  readonly #random: () => number;
  #count = 0;

  constructor(
    readonly name: string,
    seed: number,
  ) {
    this.#random = mulberry32(seed);
  }

  #fresh(prefix: string): string {
    this.#count += 1;
    return `${prefix}_${this.#count}`;
  }

  input(name: string, dtype: ElemType, shape: Dim[]): string {
    this.#inputs.push({ name, dtype, shape });
    return name;
  }

  /** Declares a graph output, renaming `from` through an Identity node. */
  output(name: string, dtype: ElemType, shape: Dim[], from: string): void {
    this.#nodes.push({ opType: 'Identity', inputs: [from], outputs: [name], name: this.#fresh('out') });
    this.#outputs.push({ name, dtype, shape });
  }

  floats(dims: number[], data: ArrayLike<number>): string {
    const name = this.#fresh('w');
    this.#inits.push({ name, dtype: 'float32', dims, raw: bytesOf(Float32Array.from(data)) });
    return name;
  }

  ints64(dims: number[], data: number[]): string {
    const name = this.#fresh('c');
    this.#inits.push({ name, dtype: 'int64', dims, raw: bytesOf(BigInt64Array.from(data.map(BigInt))) });
    return name;
  }

  scalar(value: number): string {
    return this.floats([], [value]);
  }

  /** Uniform weights in ±scale·√(3/fanIn): unit variance in, roughly unit variance out. */
  weight(dims: number[], fanIn: number, gain = 1): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const bound = gain * Math.sqrt(3 / fanIn);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (this.#random() * 2 - 1) * bound;
    return this.floats(dims, data);
  }

  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>): string {
    const out = this.#fresh(opType.toLowerCase());
    this.#nodes.push({ opType, inputs, outputs: [out], name: `${out}_node`, ...(attrs ? { attrs } : {}) });
    return out;
  }

  // Shorthands for the ops the twins use most.
  add = (a: string, b: string) => this.op('Add', [a, b]);
  mul = (a: string, b: string) => this.op('Mul', [a, b]);
  matmul = (a: string, b: string) => this.op('MatMul', [a, b]);
  tanh = (a: string) => this.op('Tanh', [a]);
  silu = (a: string) => this.mul(a, this.op('Sigmoid', [a]));
  cast = (a: string, to: ElemType) => this.op('Cast', [a], { to: { int: castCode[to] } });
  unsqueeze = (a: string, axes: number[]) => this.op('Unsqueeze', [a, this.ints64([axes.length], axes)]);
  reshape = (a: string, shape: number[]) => this.op('Reshape', [a, this.ints64([shape.length], shape)]);
  mean = (a: string, axes: number[], keep = false) =>
    this.op('ReduceMean', [a], { axes, keepdims: { int: keep ? 1 : 0 } });
  sum = (a: string, axes: number[], keep = false) =>
    this.op('ReduceSum', [a, this.ints64([axes.length], axes)], { keepdims: { int: keep ? 1 : 0 } });

  /** A 3×3 (or k×k) convolution with "same" padding and a random bias. */
  conv(x: string, cin: number, cout: number, k = 3, gain = 1): string {
    const w = this.weight([cout, cin, k, k], cin * k * k, gain);
    const b = this.weight([cout], 1, 0.1);
    const p = (k - 1) / 2;
    return this.op('Conv', [x, w, b], { kernel_shape: [k, k], pads: [p, p, p, p] });
  }

  linear(x: string, din: number, dout: number, gain = 1): string {
    return this.add(this.matmul(x, this.weight([din, dout], din, gain)), this.weight([dout], 1, 0.1));
  }

  build(doc: string): GraphSpec {
    return {
      name: this.name,
      doc,
      nodes: [...this.#nodes],
      inits: [...this.#inits],
      inputs: [...this.#inputs],
      outputs: [...this.#outputs],
    };
  }
}

const castCode: Record<ElemType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};
