/**
 * Just enough of onnx.proto to write models: field numbers follow
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (proto2, so the
 * encoding is the same as the full schema's for the fields used here).
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  optional AttributeType type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated int32 int32_data = 5 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

export const IR_VERSION = 8;
export const OPSET = 17;

/** TensorProto.DataType numbers for the element types we use. */
export const ELEM_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
} as const;
export type ElemType = keyof typeof ELEM_TYPE;

export type Dim = number | string;
export type AttrValue =
  | number
  | string
  | number[]
  | { floats: number[] }
  | { int: number }
  /** A subgraph (the branches of If); it may read values of the enclosing graph by name. */
  | { graph: GraphSpec }
  /** A tensor (Constant's and ConstantOfShape's `value`). */
  | { tensor: InitSpec };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs?: Record<string, AttrValue>;
  /** Operator domain; empty for the default ONNX domain, e.g. 'com.microsoft' for contrib ops. */
  domain?: string;
}
export interface ValueSpec {
  name: string;
  dtype: ElemType;
  shape: Dim[];
}
export interface InitSpec {
  name: string;
  dtype: ElemType;
  dims: number[];
  raw: Uint8Array;
  /** Store the values in int32_data instead of raw_data (float16: one bit pattern per entry). */
  int32Data?: number[];
  /** Store the values in an external file instead (raw is then ignored). */
  external?: { location: string; offset: number; length: number };
}
export interface GraphSpec {
  name: string;
  doc: string;
  nodes: NodeSpec[];
  inits: InitSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  valueInfo?: ValueSpec[];
}

function attribute(name: string, value: AttrValue) {
  if (typeof value === 'string') return { name, type: 3, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: 7, ints: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { name, type: 2, i: value } : { name, type: 1, f: value };
  if ('int' in value) return { name, type: 2, i: value.int };
  if ('graph' in value) return { name, type: 5, g: graphProto(value.graph) };
  if ('tensor' in value) return { name, type: 4, t: tensorProto(value.tensor) };
  return { name, type: 6, floats: value.floats };
}

const valueInfo = (v: ValueSpec) => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: ELEM_TYPE[v.dtype],
      shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  },
});

function tensorProto(t: InitSpec): object {
  const external = t.external && {
    external_data: [
      { key: 'location', value: t.external.location },
      { key: 'offset', value: String(t.external.offset) },
      { key: 'length', value: String(t.external.length) },
    ],
    data_location: 1,
  };
  const stored = t.int32Data ? { int32_data: t.int32Data } : (external ?? { raw_data: t.raw });
  return { name: t.name, data_type: ELEM_TYPE[t.dtype], dims: t.dims, ...stored };
}

function graphProto(graph: GraphSpec): object {
  return {
    name: graph.name,
    doc_string: graph.doc,
    node: graph.nodes.map((n) => ({
      name: n.name,
      op_type: n.opType,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      ...(n.domain ? { domain: n.domain } : {}),
    })),
    initializer: graph.inits.map(tensorProto),
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
    ...(graph.valueInfo && { value_info: graph.valueInfo.map(valueInfo) }),
  };
}

/** Every non-default operator domain used by the graph or its subgraphs, sorted. */
function domains(graph: GraphSpec, found = new Set<string>()): Set<string> {
  for (const n of graph.nodes) {
    if (n.domain) found.add(n.domain);
    for (const v of Object.values(n.attrs ?? {}))
      if (typeof v === 'object' && !Array.isArray(v) && 'graph' in v) domains(v.graph, found);
  }
  return found;
}

/** Serialises a graph to ONNX bytes; the same spec always gives the same bytes. */
export function encodeModel(graph: GraphSpec, docString = ''): Uint8Array {
  // Contrib-op domains (com.microsoft) are version 1; graphs without them keep their exact bytes.
  const extra = [...domains(graph)].sort().map((domain) => ({ domain, version: 1 }));
  const model = {
    ir_version: IR_VERSION,
    producer_name: 'storyloom-forge',
    producer_version: '1',
    model_version: 1,
    doc_string: docString,
    opset_import: [{ domain: '', version: OPSET }, ...extra],
    graph: graphProto(graph),
  };
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`forge: bad ModelProto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parses ONNX bytes with the same schema subset (for tests that look inside forged files). */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  return ModelProto.toObject(ModelProto.decode(bytes), {
    longs: Number,
    bytes: Array,
    defaults: false,
  }) as DecodedModel;
}

interface DecodedValue {
  name: string;
  type: { tensor_type: { elem_type: number } };
}
interface DecodedNode {
  op_type: string;
  input: string[];
  output: string[];
  domain?: string;
  attribute?: { name: string; i?: number; type?: number }[];
}
interface DecodedGraph {
  node: DecodedNode[];
  initializer: { name: string; data_type: number; dims?: number[] }[];
  input: DecodedValue[];
  output: DecodedValue[];
}
export interface DecodedModel {
  opset_import: { domain?: string; version: number }[];
  graph: DecodedGraph;
}
