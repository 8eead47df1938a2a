/**
 * The fp16 → fp32 widener against onnxruntime-web (its Node build, WASM): small float16 models
 * in the shape of an onnxconverter-common keep_io_types export, forged here, are widened into
 * several external data files and must compute what a float32 model with the same (exactly
 * widened) weights computes.
 */
import protobuf from 'protobufjs';
import * as ort from 'onnxruntime-web';
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../../models/forge/graph.ts';
import { encodeModel, type GraphSpec, type InitSpec, type NodeSpec } from '../../models/forge/onnx.ts';
import {
  halfToFloat,
  widenFp16Model,
  type ByteSink,
  type ByteSource,
  type WidenOptions,
  type WidenResult,
} from '../../src/lib/models/widen.ts';

ort.env.wasm.numThreads = 1;

// ---------------------------------------------------------------------------------------------
// float16 on the test side, written from the IEEE 754 definition (independent of widen.ts's table)

function decodeHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The bits of a value that float16 holds exactly (the test picks only such values). */
function encodeHalf(value: number): number {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === 0) return sign;
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent -= 1;
  const bits =
    exponent < -14
      ? sign | (a / 2 ** -24)
      : sign | ((exponent + 15) << 10) | ((a / 2 ** exponent - 1) * 1024);
  if (!Number.isInteger(bits) || decodeHalf(bits) !== value)
    throw new Error(`${value} is not a float16 value`);
  return bits;
}

const halfBytes = (values: number[]) => new Uint8Array(Uint16Array.from(values.map(encodeHalf)).buffer);
const floatBytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const floatsOf = (bytes: Uint8Array | undefined) =>
  Array.from(new Float32Array(new Uint8Array(bytes ?? []).buffer));
const int64Bytes = (values: number[]) => new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);

// ---------------------------------------------------------------------------------------------
// the models

interface Weights {
  W: number[];
  B: number[];
  M: number[];
  bias: number[];
  zero: number[];
  thenW: number[];
  elseW: number[];
  Z: number[];
  k: number;
  fill: number;
}

/** Weights that float16 holds exactly: multiples of 1/64, one subnormal and a negative zero. */
function makeWeights(seed: number): Weights {
  const random = mulberry32(seed);
  const values = (n: number) => Array.from({ length: n }, () => Math.round((random() * 2 - 1) * 64) / 64);
  const W = values(54);
  W[0] = 2 ** -20;
  W[1] = -0;
  return {
    W,
    B: values(3),
    M: values(128),
    bias: values(8),
    zero: [0],
    thenW: values(8),
    elseW: values(8),
    Z: values(8),
    k: 0.5,
    fill: 0.25,
  };
}

type Storage = 'raw' | 'int32' | { location: string; offset: number };

function init(
  name: string,
  dims: number[],
  values: number[],
  half: boolean,
  storage: Storage = 'raw',
): InitSpec {
  const raw = half ? halfBytes(values) : floatBytes(values);
  const spec: InitSpec = { name, dtype: half ? 'float16' : 'float32', dims, raw };
  if (storage === 'int32') spec.int32Data = values.map(encodeHalf);
  else if (storage !== 'raw') spec.external = { ...storage, length: raw.length };
  return spec;
}

interface ModelChoice {
  half: boolean;
  /** Where W and Z live in the source: inline, or a source external file at these offsets. */
  external?: { location: string; wOffset: number; zOffset: number };
}

/**
 * float32 x → Cast(fp16) → Conv → Reshape → MatMul → Add(int32_data bias) → Mul(Constant) →
 * Add(ConstantOfShape) → Add(RandomUniform · 0) → If(branch initializers) → Cast(fp32) → Add(fp32 Z).
 * With `half: false` the same graph in float32 without the Casts: the reference.
 */
function model(w: Weights, choice: ModelChoice): Uint8Array {
  const { half, external } = choice;
  const dtype = half ? 'float16' : 'float32';
  const ext = (offset: number): Storage => (external ? { location: external.location, offset } : 'raw');
  const branch = (name: string, op: string, weight: number[]): GraphSpec => ({
    name,
    doc: '',
    nodes: [{ opType: op, inputs: ['s2', `${name}_w`], outputs: [`${name}_out`], name: `${name}_op` }],
    inits: [init(`${name}_w`, [8], weight, half)],
    inputs: [],
    outputs: [{ name: `${name}_out`, dtype, shape: [1, 3, 8] }],
  });
  const nodes: NodeSpec[] = [
    { opType: 'Conv', inputs: ['xh', 'W', 'B'], outputs: ['c'], name: 'conv', attrs: { pads: [1, 1, 1, 1] } },
    { opType: 'Reshape', inputs: ['c', 'shape16'], outputs: ['r'], name: 'reshape' },
    { opType: 'MatMul', inputs: ['r', 'M'], outputs: ['m'], name: 'matmul' },
    { opType: 'Add', inputs: ['m', 'bias'], outputs: ['a'], name: 'add_bias' },
    {
      opType: 'Constant',
      inputs: [],
      outputs: ['k'],
      name: 'constant',
      attrs: { value: { tensor: init('k_value', [], [w.k], half) } },
    },
    { opType: 'Mul', inputs: ['a', 'k'], outputs: ['ak'], name: 'mul_k' },
    {
      opType: 'ConstantOfShape',
      inputs: ['shape8'],
      outputs: ['f'],
      name: 'fill',
      attrs: { value: { tensor: init('fill_value', [1], [w.fill], half) } },
    },
    { opType: 'Add', inputs: ['ak', 'f'], outputs: ['s'], name: 'add_fill' },
    {
      opType: 'RandomUniform',
      inputs: [],
      outputs: ['u'],
      name: 'random',
      attrs: { dtype: half ? 10 : 1, shape: [1, 3, 8] },
    },
    { opType: 'Mul', inputs: ['u', 'zero'], outputs: ['uz'], name: 'mul_zero' },
    { opType: 'Add', inputs: ['s', 'uz'], outputs: ['s2'], name: 'add_random' },
    {
      opType: 'If',
      inputs: ['cond'],
      outputs: ['b'],
      name: 'if',
      attrs: {
        then_branch: { graph: branch('then', 'Mul', w.thenW) },
        else_branch: { graph: branch('else', 'Sub', w.elseW) },
      },
    },
  ];
  const first: NodeSpec = half
    ? { opType: 'Cast', inputs: ['x'], outputs: ['xh'], name: 'graph_input_cast_0', attrs: { to: 10 } }
    : { opType: 'Identity', inputs: ['x'], outputs: ['xh'], name: 'graph_input_identity' };
  const last: NodeSpec[] = [
    ...(half
      ? [{ opType: 'Cast', inputs: ['b'], outputs: ['bf'], name: 'graph_output_cast_0', attrs: { to: 1 } }]
      : []),
    { opType: 'Add', inputs: [half ? 'bf' : 'b', 'Z'], outputs: ['y'], name: 'add_z' },
  ];
  const graph: GraphSpec = {
    name: 'widen_test',
    doc: '',
    nodes: [first, ...nodes, ...last],
    inits: [
      init('W', [3, 2, 3, 3], w.W, half, ext(external?.wOffset ?? 0)),
      init('B', [3], w.B, half),
      init('M', [16, 8], w.M, half),
      init('bias', [8], w.bias, half, half ? 'int32' : 'raw'),
      init('zero', [1], w.zero, half),
      init('Z', [8], w.Z, false, ext(external?.zOffset ?? 0)),
      { name: 'shape16', dtype: 'int64', dims: [3], raw: int64Bytes([1, 3, 16]) },
      { name: 'shape8', dtype: 'int64', dims: [3], raw: int64Bytes([1, 3, 8]) },
    ],
    inputs: [
      { name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] },
      { name: 'cond', dtype: 'bool', shape: [] },
    ],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 8] }],
    valueInfo: [
      { name: 'xh', dtype, shape: [1, 2, 4, 4] },
      { name: 'c', dtype, shape: [1, 3, 4, 4] },
      { name: 'm', dtype, shape: [1, 3, 8] },
      { name: 's2', dtype, shape: [1, 3, 8] },
    ],
  };
  return encodeModel(graph, half ? 'fp16 with keep_io_types' : 'fp32 reference');
}

// ---------------------------------------------------------------------------------------------
// sources, sinks, parse-back

interface Source extends ByteSource {
  reads: number[];
}

function memorySource(bytes: Uint8Array): Source {
  const reads: number[] = [];
  return {
    size: bytes.length,
    reads,
    async read(offset, length) {
      reads.push(length);
      return new Uint8Array(bytes.subarray(offset, offset + length)); // a copy, as File.slice gives
    },
  };
}

interface Captured {
  files: Map<string, Uint8Array>;
  opened: string[];
  aborted: string[];
  options: WidenOptions;
}

function capture(extra: Partial<WidenOptions> = {}): Captured {
  const files = new Map<string, Uint8Array>();
  const opened: string[] = [];
  const aborted: string[] = [];
  const options: WidenOptions = {
    dataFileName: (i) => `model.widened.onnx_data_${i}`,
    async openData(name): Promise<ByteSink> {
      opened.push(name);
      const chunks: Uint8Array[] = [];
      return {
        async write(chunk) {
          chunks.push(chunk.slice());
        },
        async close() {
          const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let at = 0;
          for (const c of chunks) {
            out.set(c, at);
            at += c.length;
          }
          files.set(name, out);
        },
        async abort() {
          aborted.push(name);
        },
      };
    },
    ...extra,
  };
  return { files, opened, aborted, options };
}

const SCHEMA = `
syntax = "proto2";
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message AttributeProto {
  optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; optional GraphProto g = 6; repeated float floats = 7; repeated int64 ints = 8;
  repeated TensorProto tensors = 10; repeated GraphProto graphs = 11; optional TypeProto tp = 14;
  optional int32 type = 20; optional SparseTensorProto sparse_tensor = 22;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string domain = 7;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message ModelProto {
  optional int64 ir_version = 1; optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
  repeated SparseTensorProto sparse_initializer = 15;
}
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true]; optional string name = 8; optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13; optional int32 data_location = 14;
}
message SparseTensorProto { optional TensorProto values = 1; optional TensorProto indices = 2; repeated int64 dims = 3; }
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map { optional int32 key_type = 1; optional TypeProto value_type = 2; }
  message Optional { optional TypeProto elem_type = 1; }
  oneof value { Tensor tensor_type = 1; Sequence sequence_type = 4; Map map_type = 5; Tensor sparse_tensor_type = 8; Optional optional_type = 9; }
}
`;
const ModelProto = protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('ModelProto');

interface PTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  int32_data?: number[];
  external_data?: { key: string; value: string }[];
  data_location?: number;
}
interface PType {
  tensor_type?: { elem_type?: number };
  sparse_tensor_type?: { elem_type?: number };
  sequence_type?: { elem_type?: PType };
  map_type?: { key_type?: number; value_type?: PType };
  optional_type?: { elem_type?: PType };
}
interface PValueInfo {
  name: string;
  type?: PType;
}
interface PAttribute {
  name: string;
  i?: number;
  t?: PTensor;
  g?: PGraph;
  tensors?: PTensor[];
  graphs?: PGraph[];
  tp?: PType;
}
interface PNode {
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: PAttribute[];
}
interface PGraph {
  node?: PNode[];
  initializer?: PTensor[];
  input?: PValueInfo[];
  output?: PValueInfo[];
  value_info?: PValueInfo[];
  sparse_initializer?: { values?: PTensor; indices?: PTensor }[];
}
interface PModel {
  graph: PGraph;
  metadata_props?: { key: string; value: string }[];
}

const parse = (bytes: Uint8Array) =>
  ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as PModel;

/** Every tensor of a graph, its subgraphs and its attributes, with where it was found. */
function allTensors(graph: PGraph, inSubgraph = false): { tensor: PTensor; inSubgraph: boolean }[] {
  const found = (graph.initializer ?? []).map((tensor) => ({ tensor, inSubgraph }));
  for (const node of graph.node ?? [])
    for (const a of node.attribute ?? []) {
      for (const t of [a.t, ...(a.tensors ?? [])]) if (t) found.push({ tensor: t, inSubgraph: true });
      for (const g of [a.g, ...(a.graphs ?? [])]) if (g) found.push(...allTensors(g, true));
    }
  return found;
}

function elemTypes(type: PType | undefined): number[] {
  if (!type) return [];
  return [
    ...(type.tensor_type?.elem_type !== undefined ? [type.tensor_type.elem_type] : []),
    ...(type.sparse_tensor_type?.elem_type !== undefined ? [type.sparse_tensor_type.elem_type] : []),
    ...elemTypes(type.sequence_type?.elem_type),
    ...elemTypes(type.map_type?.value_type),
    ...elemTypes(type.optional_type?.elem_type),
  ];
}

const externalOf = (t: PTensor) => Object.fromEntries((t.external_data ?? []).map((e) => [e.key, e.value]));

function session(result: WidenResult, files: Map<string, Uint8Array>) {
  return ort.InferenceSession.create(result.model, {
    externalData: result.dataFiles.map((f) => ({
      path: f.name,
      data: files.get(f.name) ?? new Uint8Array(),
    })),
  });
}

async function runBoth(widened: ort.InferenceSession, reference: ort.InferenceSession): Promise<number> {
  const random = mulberry32(42);
  let max = 0;
  for (const cond of [true, false]) {
    const x = Float32Array.from({ length: 32 }, () => random() * 2 - 1);
    const feeds = () => ({
      x: new ort.Tensor('float32', x.slice(), [1, 2, 4, 4]),
      cond: new ort.Tensor('bool', Uint8Array.from([cond ? 1 : 0]), []),
    });
    const a = (await widened.run(feeds())).y?.data as Float32Array;
    const b = (await reference.run(feeds())).y?.data as Float32Array;
    expect(a.length).toBe(24);
    expect(b.length).toBe(24);
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
    expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(0.1); // a comparison of zeros proves nothing
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// wire helpers for hand-made messages (unknown fields, nested types, hostile bytes)

type Part = Uint8Array | number[];
const enc = new TextEncoder();
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}
function cat(...parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const fv = (num: number, value: number) => cat(varint(num * 8), varint(value));
const fl = (num: number, ...payload: Part[]) => {
  const body = cat(...payload);
  return cat(varint(num * 8 + 2), varint(body.length), body);
};
const fs = (num: number, s: string) => fl(num, enc.encode(s));
const tensorMsg = (name: string, dims: number[], type: number, ...data: Part[]) =>
  cat(...dims.map((d) => fv(1, d)), fv(2, type), fs(8, name), ...data);
const half16 = (name: string, dims: number[], values: number[]) =>
  tensorMsg(name, dims, 10, fl(9, halfBytes(values)));
const intAttr = (name: string, i: number) => cat(fs(1, name), fv(3, i), fv(20, 2));
const node = (op: string, name: string, ...rest: Part[]) =>
  fl(1, fs(2, `${name}_out`), fs(3, name), fs(4, op), ...rest);
const tensorType = (elem: number) => fl(1, fv(1, elem));
const modelOf = (...graph: Part[]) => cat(fv(1, 8), fl(8, fs(1, ''), fv(2, 17)), fl(7, ...graph));

const indexOf = (haystack: Uint8Array, needle: Uint8Array) => {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
};

async function expectInvalid(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StoryLoomError', code: 'invalid-input', message });
}

// ---------------------------------------------------------------------------------------------

describe('halfToFloat', () => {
  test('known values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(5.960464477539063e-8);
    expect(halfToFloat(0x03ff)).toBe(6.097555160522461e-5);
    expect(halfToFloat(0x0400)).toBe(6.103515625e-5);
    expect(halfToFloat(0x3555)).toBe(0.333251953125);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(Object.is(halfToFloat(0x0000), 0)).toBe(true);
  });

  test('all 65536 patterns agree with the IEEE 754 definition', () => {
    for (let h = 0; h < 65536; h++) {
      const expected = decodeHalf(h);
      if (Number.isNaN(expected)) expect(halfToFloat(h)).toBeNaN();
      else if (!Object.is(halfToFloat(h), expected))
        throw new Error(`0x${h.toString(16)}: ${halfToFloat(h)}`);
    }
  });
});

describe('widenFp16Model', () => {
  const weights = makeWeights(7);
  const reference = model(weights, { half: false });
  const CHUNK = 256;

  test('the widened model computes what the float32 reference computes, from several data files', async () => {
    const source = model(weights, { half: true });
    const sink = capture({ chunkBytes: CHUNK });
    const progress: [number, number][] = [];
    const result = await widenFp16Model(memorySource(source), {
      ...sink.options,
      onProgress: (read, total) => progress.push([read, total]),
    });

    expect(result.widenedTensors).toBe(9); // W B M bias zero, two branch weights, Constant, ConstantOfShape
    expect(result.widenedCasts).toBe(2); // the input Cast and RandomUniform's dtype
    expect(result.fp32Bytes).toBe((54 + 3 + 128 + 8 + 1 + 8) * 4);
    expect(result.dataFiles.length).toBeGreaterThanOrEqual(3);
    expect(result.dataFiles.map((f) => f.name)).toEqual(sink.opened);
    for (const f of result.dataFiles) expect(sink.files.get(f.name)?.length).toBe(f.bytes);
    expect(sink.aborted).toEqual([]);
    expect(progress.at(-1)).toEqual([source.length, source.length]);

    const widened = await session(result, sink.files);
    const ref = await ort.InferenceSession.create(reference);
    expect(widened.inputNames).toEqual(['x', 'cond']);
    const diff = await runBoth(widened, ref);
    console.log(`widen max abs diff: ${diff}`);
    expect(diff).toBeLessThan(1e-5);

    // The graph itself: float32 at the edges, no float16 anywhere, every weight accounted for.
    const parsed = parse(result.model);
    const g = parsed.graph;
    expect(g.input?.find((v) => v.name === 'x')?.type?.tensor_type?.elem_type).toBe(1);
    expect(g.output?.map((v) => v.type?.tensor_type?.elem_type)).toEqual([1]);
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.value_info ?? [])])
      expect(elemTypes(v.type)).not.toContain(10);
    const tensors = allTensors(g);
    expect(tensors.length).toBe(12);
    for (const { tensor } of tensors) expect(tensor.data_type).not.toBe(10);
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.name === 'to') expect(a.i).toBe(1);

    const placed = new Map<string, { offset: number; length: number }[]>();
    for (const { tensor, inSubgraph } of tensors) {
      if (tensor.data_type !== 1 || inSubgraph) {
        expect(tensor.data_location ?? 0).toBe(0); // attribute and subgraph tensors stay inline
        continue;
      }
      expect(tensor.data_location).toBe(1);
      const { location = '', offset = '', length = '' } = externalOf(tensor);
      const count = (tensor.dims ?? []).reduce((a, b) => a * b, 1);
      expect(Number(length)).toBe(count * 4);
      expect(Number(offset) % 64).toBe(0);
      placed.set(location, [
        ...(placed.get(location) ?? []),
        { offset: Number(offset), length: Number(length) },
      ]);
    }
    expect([...placed.keys()].sort()).toEqual(result.dataFiles.map((f) => f.name).sort());
    for (const f of result.dataFiles) {
      const ranges = (placed.get(f.name) ?? []).sort((a, b) => a.offset - b.offset);
      if (ranges.length > 1 || (ranges[0]?.length ?? 0) <= CHUNK) expect(f.bytes).toBeLessThanOrEqual(CHUNK);
      let end = 0;
      for (const r of ranges) {
        expect(r.offset).toBeGreaterThanOrEqual(end); // no overlap
        expect(r.offset - end).toBeLessThan(64); // only alignment padding in between
        end = r.offset + r.length;
      }
      expect(end).toBe(f.bytes);
    }
    expect(result.dataFiles.some((f) => f.bytes > CHUNK)).toBe(true); // M (512 bytes) has a file to itself

    // The int64 shape tensors stay inline, byte for byte.
    const shape16 = g.initializer?.find((t) => t.name === 'shape16');
    expect(shape16?.data_location ?? 0).toBe(0);
    expect(Array.from(shape16?.raw_data ?? [])).toEqual(Array.from(int64Bytes([1, 3, 16])));
  });

  test('a source with its own external data', async () => {
    const wOffset = 100;
    const zOffset = 1001;
    const blob = new Uint8Array(2048);
    blob.set(halfBytes(weights.W), wOffset);
    blob.set(floatBytes(weights.Z), zOffset);
    const source = model(weights, { half: true, external: { location: 'weights.bin', wOffset, zOffset } });
    const asked: string[] = [];
    const sink = capture({
      chunkBytes: CHUNK,
      sourceExternal: (location) => {
        asked.push(location);
        return memorySource(blob);
      },
    });
    const result = await widenFp16Model(memorySource(source), sink.options);
    expect(asked).toEqual(['weights.bin']);
    for (const { tensor } of allTensors(parse(result.model).graph))
      if (tensor.data_location === 1) expect(externalOf(tensor).location).not.toBe('weights.bin');
    const diff = await runBoth(
      await session(result, sink.files),
      await ort.InferenceSession.create(reference),
    );
    expect(diff).toBeLessThan(1e-5);
  });

  test('every float16 bit pattern is widened exactly, NaN payloads included', async () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const source = modelOf(fl(5, tensorMsg('all', [65536], 10, fl(9, new Uint8Array(all.buffer)))));
    const sink = capture();
    const result = await widenFp16Model(memorySource(source), sink.options);
    const data = sink.files.get(result.dataFiles[0]?.name ?? '') ?? new Uint8Array();
    expect(data.length).toBe(65536 * 4);
    const bits = new Uint32Array(data.buffer, data.byteOffset, 65536);
    const floats = new Float32Array(data.buffer, data.byteOffset, 65536);
    for (let h = 0; h < 65536; h++) {
      const expected = decodeHalf(h);
      const ok = Number.isNaN(expected)
        ? bits[h] === (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0
        : Object.is(floats[h], expected);
      if (!ok) throw new Error(`0x${h.toString(16)} widened to bits 0x${bits[h]?.toString(16)}`);
    }
  });

  test('reads the source in bounded pieces and reports progress in source bytes', async () => {
    const n = 1_200_000;
    const values = Array.from({ length: n }, (_, i) => ((i % 2048) - 1024) / 64);
    const raw = halfBytes(values);
    const big = (name: string) => fl(5, tensorMsg(name, [n], 10, fl(9, raw)));
    const source = memorySource(modelOf(big('a'), big('b'), big('c')));
    const progress: number[] = [];
    const sink = capture({ chunkBytes: 4 * n + 64, onProgress: (read) => progress.push(read) });
    const result = await widenFp16Model(source, sink.options);
    expect(Math.max(...source.reads)).toBeLessThan(source.size / 2);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(source.size);
    expect(result.dataFiles.map((f) => f.bytes)).toEqual([4 * n, 4 * n, 4 * n]); // one tensor per file here
    const c = sink.files.get(result.dataFiles[2]?.name ?? '') ?? new Uint8Array();
    const floats = new Float32Array(c.buffer, c.byteOffset, n);
    expect([floats[0], floats[1025], floats[n - 1]]).toEqual([values[0], values[1025], values[n - 1]]);
  });

  test('types, dtype attributes, subgraphs, sparse initializers; unknown fields survive byte for byte', async () => {
    const unknownModel = fv(99, 7);
    const metadata = fl(14, fs(1, 'k'), fs(2, 'v'));
    const unknownGraph = fs(50, 'graph extension');
    const unknownNode = fv(41, 5);
    const unknownAttr = fs(40, 'attribute extension');
    const loopBody = cat(fs(2, 'body'), fl(5, half16('body_w', [2], [1.5, -3])));
    const graph = cat(
      node('Cast', 'cast', fl(5, intAttr('to', 10), unknownAttr), unknownNode),
      node('EyeLike', 'eye', fl(5, intAttr('dtype', 10))),
      node('RandomNormal', 'normal', fl(5, intAttr('dtype', 10)), fl(5, fs(1, 'shape'), fv(8, 2), fv(20, 7))),
      node('Mul', 'mul', fl(5, intAttr('to', 10))),
      node('FusedCast', 'contrib', fs(7, 'com.microsoft'), fl(5, intAttr('to', 10))),
      node('Loop', 'loop', fl(5, fs(1, 'body'), fl(6, loopBody), fv(20, 5))),
      node('Custom', 'tensors', fl(5, fs(1, 'weights'), fl(10, half16('tw', [1], [0.75])), fv(20, 9))),
      node('Optional', 'optional', fl(5, fs(1, 'type'), fl(14, tensorType(10)), fv(20, 13))),
      unknownGraph,
      fl(
        15,
        fl(1, half16('sparse_values', [2], [2, -0.5])),
        fl(2, tensorMsg('sparse_idx', [2], 7, fl(9, int64Bytes([0, 3])))),
        fv(3, 4),
      ),
      fl(13, fs(1, 'seq'), fl(2, fl(4, fl(1, tensorType(10))))),
      fl(13, fs(1, 'map'), fl(2, fl(5, fv(1, 7), fl(2, tensorType(10))))),
      fl(13, fs(1, 'opt'), fl(2, fl(9, fl(1, fl(4, fl(1, tensorType(10))))))),
      fl(13, fs(1, 'sparse'), fl(2, fl(8, fv(1, 10)))),
    );
    const source = cat(modelOf(graph), metadata, unknownModel);
    const sink = capture();
    const result = await widenFp16Model(memorySource(source), sink.options);
    expect(result.widenedCasts).toBe(3);
    expect(result.widenedTensors).toBe(3);

    for (const part of [unknownModel, metadata, unknownGraph, unknownNode, unknownAttr])
      expect(indexOf(result.model, part)).toBeGreaterThan(-1);

    const g = parse(result.model).graph;
    const attr = (name: string) => g.node?.find((n) => n.name === name)?.attribute?.[0];
    expect(attr('cast')?.i).toBe(1);
    expect(attr('eye')?.i).toBe(1);
    expect(attr('normal')?.i).toBe(1);
    expect(attr('mul')?.i).toBe(10); // not an op whose `to` names a type
    expect(attr('contrib')?.i).toBe(10); // other domains keep their attributes
    const bodyW = attr('loop')?.g?.initializer?.[0];
    expect(bodyW?.data_type).toBe(1);
    expect(floatsOf(bodyW?.raw_data)).toEqual([1.5, -3]);
    expect(attr('tensors')?.tensors?.[0]?.data_type).toBe(1);
    expect(attr('optional')?.tp?.tensor_type?.elem_type).toBe(1);
    const sparse = g.sparse_initializer?.[0];
    expect(sparse?.values?.data_type).toBe(1);
    expect(floatsOf(sparse?.values?.raw_data)).toEqual([2, -0.5]);
    expect(sparse?.indices?.data_type).toBe(7);
    for (const v of g.value_info ?? []) expect(elemTypes(v.type)).toEqual([1]);
    expect(g.value_info?.find((v) => v.name === 'map')?.type?.map_type?.key_type).toBe(7);
    expect(result.dataFiles).toEqual([]);
  });

  test('cancellation between initializers throws AbortError and aborts the open data file', async () => {
    const controller = new AbortController();
    const sink = capture({ chunkBytes: CHUNK, signal: controller.signal });
    const openData = sink.options.openData;
    sink.options.openData = (name) => {
      controller.abort();
      return openData(name);
    };
    await expect(
      widenFp16Model(memorySource(model(weights, { half: true })), sink.options),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(sink.opened).toEqual(['model.widened.onnx_data_0']);
    expect(sink.aborted).toEqual(['model.widened.onnx_data_0']);

    const early = new AbortController();
    early.abort();
    const untouched = capture({ signal: early.signal });
    await expect(widenFp16Model(memorySource(reference), untouched.options)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(untouched.opened).toEqual([]);
  });

  describe('hostile input is refused with a sentence', () => {
    const widen = (bytes: Uint8Array, extra: Partial<WidenOptions> = {}) =>
      widenFp16Model(memorySource(bytes), capture(extra).options);
    const fp16External = (location: string, length?: number) => {
      const entries = [fl(13, fs(1, 'location'), fs(2, location)), fl(13, fs(1, 'offset'), fs(2, '0'))];
      if (length !== undefined) entries.push(fl(13, fs(1, 'length'), fs(2, String(length))));
      return modelOf(fl(5, tensorMsg('w', [4], 10, ...entries, fv(14, 1))));
    };

    test('a truncated file', async () => {
      const source = model(weights, { half: true });
      await expectInvalid(widen(source.subarray(0, Math.floor(source.length * 0.6))), /truncated/);
      await expectInvalid(widen(source.subarray(0, 1)), /truncated/);
      await expectInvalid(widen(new Uint8Array()), /empty/);
    });

    test('a length that runs past its parent', async () => {
      const graph = fl(7, [0x0a, 50, 1, 2, 3]);
      await expectInvalid(
        widen(cat(fv(1, 8), graph, fl(8, fv(2, 17)))),
        /claims 50 bytes but only 3 are left/,
      );
      const node = fl(1, fl(5, [0x0a, 40, 0x41]));
      await expectInvalid(widen(modelOf(node)), /claims 40 bytes but only 1 are left/);
    });

    test('a bad wire type', async () => {
      await expectInvalid(widen(modelOf([(1 << 3) | 7])), /wire type 7/);
      await expectInvalid(widen(modelOf(fl(1, [(3 << 3) | 6]))), /wire type 6/);
      await expectInvalid(widen(modelOf(fl(1, [(3 << 3) | 3]))), /groups/);
      await expectInvalid(widen(modelOf(fv(1, 3))), /node of the graph has wire type 0/);
    });

    test('a varint over 10 bytes', async () => {
      const long = [0x08, ...new Array<number>(10).fill(0xff), 0x01];
      await expectInvalid(widen(Uint8Array.from(long)), /longer than 10 bytes/);
      await expectInvalid(widen(modelOf(fl(1, long))), /longer than 10 bytes/);
    });

    test("an external location with '..' or an absolute path", async () => {
      const sourceExternal = () => memorySource(new Uint8Array(8));
      await expectInvalid(
        widen(fp16External('../secret.bin'), { sourceExternal }),
        /outside the model's folder \("\.\.\/secret\.bin"\)/,
      );
      await expectInvalid(widen(fp16External('weights/../../x'), { sourceExternal }), /may not use "\.\."/);
      await expectInvalid(
        widen(fp16External('/etc/passwd'), { sourceExternal }),
        /absolute path "\/etc\/passwd"/,
      );
      await expectInvalid(widen(fp16External('C:\\weights.bin'), { sourceExternal }), /absolute path/);
      await expectInvalid(
        widen(fp16External('weights.bin')),
        /external file "weights\.bin", and no external data was given/,
      );
      await expectInvalid(
        widen(fp16External('weights.bin', 6), { sourceExternal }),
        /has 6 bytes of external data, but its 4 values need 8/,
      );
      await expectInvalid(
        widen(fp16External('weights.bin'), { sourceExternal: () => memorySource(new Uint8Array(4)) }),
        /reads bytes 0–8 of "weights\.bin", which has 4/,
      );
    });

    test('a float16 tensor whose byte length is not 2 × its element count', async () => {
      const bad = modelOf(fl(5, tensorMsg('w', [4], 10, fl(9, new Uint8Array(6)))));
      await expectInvalid(
        widen(bad),
        /the graph's initializer "w" is float16 and has 6 bytes of data, but its 4 values need 8/,
      );
      const short = modelOf(fl(5, tensorMsg('w', [4], 10, fl(5, [1, 2, 3]))));
      await expectInvalid(widen(short), /3 entries in int32_data, but its shape holds 4 values/);
      const wide = modelOf(fl(5, tensorMsg('w', [1], 10, fl(5, varint(70000)))));
      await expectInvalid(widen(wide), /70000 in int32_data, which is no 16-bit pattern/);
      const empty = modelOf(fl(5, tensorMsg('w', [2], 10)));
      await expectInvalid(widen(empty), /"w" is float16 and holds no data/);
      const float = modelOf(fl(5, tensorMsg('z', [2], 1, fl(9, new Uint8Array(4)))));
      await expectInvalid(widen(float), /"z" is float32 and has 4 bytes of data, but its 2 values need 8/);
      const negative = modelOf(fl(5, tensorMsg('w', [], 10, fv(1, 2 ** 63), fl(9, [0, 0]))));
      await expectInvalid(widen(negative), /negative or huge dimension/);
    });
  });
});
