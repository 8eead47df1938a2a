/**
 * Widens a float16 ONNX model to float32, once, at install time, for WebGPU adapters without the
 * `shader-f16` feature (they cannot run fp16 kernels). The SD-Turbo files we download
 * (schmuell/sd-turbo-ort-web) are onnxconverter-common float16 exports with keep_io_types: float32
 * graph inputs and outputs, Casts to float16 after the inputs and back before the outputs, and
 * float16 initializers, Constant values and value_info in between.
 *
 * Why the output uses external data, split into several files: widening doubles the weights
 * (the UNet: 1.73 GB → about 3.46 GB), a protobuf message is limited to 2 GB, and Chrome's
 * ArrayBuffer tops out near 2 GB. So every FLOAT initializer goes to data files of at most
 * `chunkBytes` (1 GiB by default; one tensor is never split, a bigger one gets a file of its own)
 * and each file reaches onnxruntime-web as its own `externalData: [{ path, data }]` entry. Its
 * WebGPU EP loads external data straight into GPU buffers
 * (onnxruntime/core/providers/webgpu/external_data_loader.cc: ExternalDataLoader::CanLoad accepts
 * WEBGPU_BUFFER memory), so the weights need not pass through the 4 GB wasm heap.
 *
 * Why the protobuf wire level: decoding and re-encoding whole messages with a subset of
 * onnx.proto silently drops every field the subset lacks. Here each field we do not rewrite is
 * copied byte for byte, and the source is read one top-level graph field at a time (File.slice in
 * the browser): one initializer's bytes plus small messages are in memory at once.
 *
 * Decisions:
 * - Top-level initializers: FLOAT16 (raw_data, int32_data or external) becomes FLOAT in the data
 *   files; FLOAT moves there too; other dtypes move there verbatim when their raw_data is at least
 *   INLINE_LIMIT bytes, smaller ones (int64 shape tensors) stay inline, untouched.
 * - Tensors inside nodes (Constant / ConstantOfShape `value`, any `t` / `tensors` attribute), the
 *   initializers of subgraphs (If / Loop / Scan bodies) and sparse initializers' values are widened
 *   inline: they are small, and keeping them in their message keeps subgraphs self-contained.
 * - A source tensor stored as external data is always re-homed (into our data files, or inline).
 * - ModelProto fields other than `graph` (opset_import, metadata_props, functions, training_info,
 *   unknown ones) are copied verbatim: local functions are not widened.
 * - Nodes of other domains (com.microsoft …) keep their attributes: their types follow their inputs.
 * - Data offsets are aligned to ALIGN bytes. The host is assumed little-endian (every browser
 *   platform is), as ONNX raw data is.
 * - On failure the open data sink is aborted (or closed); the caller deletes the files it opened.
 */
import { StoryLoomError } from '../domain/errors';

/** Random access to the bytes of a file (a File in the browser: `file.slice(o, o + n)`). */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Discards what was written (FileSystemWritableFileStream.abort); called instead of close on failure. */
  abort?(reason: unknown): Promise<void>;
}

export interface WidenOptions {
  /** File name (no folder) of data file i, e.g. `model.widened.onnx_data_0`: it is the `location` written into the graph. */
  dataFileName(index: number): string;
  openData(name: string): Promise<ByteSink>;
  /** Largest data file in bytes, unless one tensor alone is larger (default 1 GiB). */
  chunkBytes?: number;
  /** Source tensors stored as external data themselves: a reader for a location of the source. */
  sourceExternal?(location: string): ByteSource;
  /** Bytes of the model source consumed (external data of the source is not counted). */
  onProgress?(readBytes: number, totalBytes: number): void;
  signal?: AbortSignal;
}

export interface WidenResult {
  /** The widened ModelProto without its weights. */
  model: Uint8Array;
  dataFiles: { name: string; bytes: number }[];
  /** FLOAT16 tensors turned into FLOAT (initializers, attribute tensors, sparse values). */
  widenedTensors: number;
  /** Cast `to` and Random*, EyeLike, Bernoulli `dtype` attributes turned from FLOAT16 into FLOAT. */
  widenedCasts: number;
  /** Bytes of FLOAT tensor data written to the data files. */
  fp32Bytes: number;
}

const FLOAT = 1;
const FLOAT16 = 10;
const EXTERNAL = 1;
const DEFAULT_CHUNK = 1 << 30;
const ALIGN = 64;
const INLINE_LIMIT = 4096;
/** Values converted per piece: bounds the extra memory of a widened tensor to 16 MiB. */
const PIECE_VALUES = 1 << 22;
/** Bytes fetched at once for tags, lengths and small fields. */
const WINDOW = 1 << 20;
const PROGRESS_STEP = 4 << 20;
const MAX_DEPTH = 64;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Ops whose `to` / `dtype` attribute names their output type. */
const DTYPE_OPS = new Set([
  'Cast',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'EyeLike',
  'Bernoulli',
]);

function invalid(what: string): never {
  throw new StoryLoomError('invalid-input', `This model cannot be widened to float32: ${what}.`);
}

// ---------------------------------------------------------------------------------------------
// half → float

let halfBits: Uint32Array | undefined;

/** float32 bit patterns of all 65536 float16 values: exact, with ±0, subnormals, ±inf and NaN payloads. */
function halfTable(): Uint32Array {
  if (halfBits) return halfBits;
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    let mantissa = h & 0x3ff;
    if (exponent === 0x1f) table[h] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    else if (exponent !== 0) table[h] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    else if (mantissa === 0) table[h] = sign >>> 0;
    else {
      // A subnormal half is mantissa · 2^-24: normalise it, every such value is a normal float.
      let e = 113;
      while ((mantissa & 0x400) === 0) {
        mantissa <<= 1;
        e -= 1;
      }
      table[h] = (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
    }
  }
  halfBits = table;
  return table;
}

/** The float32 value of a float16 bit pattern. */
export function halfToFloat(bits: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = halfTable()[bits & 0xffff] ?? 0;
  return f[0] ?? 0;
}

function widenHalves(halves: Uint16Array): Uint8Array {
  const table = halfTable();
  const out = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i] ?? 0] ?? 0;
  return new Uint8Array(out.buffer);
}

/** A plain copy: `slice` would not copy a Node Buffer (sources may hand those out). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** A Uint16Array over little-endian bytes, copying only when the view is misaligned. */
function halvesOf(bytes: Uint8Array): Uint16Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : copyOf(bytes);
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

// ---------------------------------------------------------------------------------------------
// wire format: reading

interface Field {
  num: number;
  wire: number;
  /** Offset of the tag. */
  start: number;
  /** Offset after the field. */
  end: number;
  /** The value of a varint field. */
  value: number;
  /** Offset of a length-delimited field's payload (its end is `end`). */
  payload: number;
}

/** Reads a varint; values past 2^53 lose precision but stay past 2^53, which every check rejects. */
function varintAt(buf: Uint8Array, pos: number, end: number, where: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) invalid(`a number in ${where} runs past the end of its message`);
    const byte = buf[pos + i] ?? 0;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, pos + i + 1];
  }
  invalid(`a number in ${where} is longer than 10 bytes, which no protobuf varint is`);
}

function wireProblem(wire: number, where: string): never {
  if (wire === 3 || wire === 4)
    invalid(`${where} uses protobuf groups (wire type ${wire}), which ONNX never writes`);
  invalid(`${where} has a field with wire type ${wire}, which protobuf does not define`);
}

function splitTag(tag: number, where: string): { num: number; wire: number } {
  const num = Math.floor(tag / 8);
  if (num < 1 || num > 0x1fffffff) invalid(`${where} has a field number ${num}, outside protobuf's range`);
  return { num, wire: tag % 8 };
}

function parseFields(buf: Uint8Array, where: string): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, afterTag] = varintAt(buf, pos, buf.length, where);
    const { num, wire } = splitTag(tag, where);
    let value = 0;
    let payload = afterTag;
    if (wire === VARINT) [value, pos] = varintAt(buf, afterTag, buf.length, where);
    else if (wire === I64 || wire === I32) pos = afterTag + (wire === I64 ? 8 : 4);
    else if (wire === LEN) {
      const [length, at] = varintAt(buf, afterTag, buf.length, where);
      payload = at;
      pos = at + length;
      if (pos > buf.length)
        invalid(
          `a field of ${where} claims ${length} bytes but only ${buf.length - at} are left in its message`,
        );
    } else wireProblem(wire, where);
    if (pos > buf.length) invalid(`a field of ${where} runs past the end of its message`);
    fields.push({ num, wire, start, end: pos, value, payload });
  }
  return fields;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const body = (buf: Uint8Array, f: Field) => buf.subarray(f.payload, f.end);
const text = (buf: Uint8Array, f: Field) => decoder.decode(body(buf, f));

function expectWire(f: Field, wire: number, what: string, where: string): void {
  if (f.wire !== wire) invalid(`${what} in ${where} has wire type ${f.wire}, expected ${wire}`);
}

/** All varints of a repeated scalar field, packed (LEN) or not. */
function varints(buf: Uint8Array, fields: Field[], where: string): number[] {
  const values: number[] = [];
  for (const f of fields) {
    if (f.wire === VARINT) values.push(f.value);
    else if (f.wire === LEN) {
      for (let pos = f.payload; pos < f.end;) {
        const [value, next] = varintAt(buf, pos, f.end, where);
        values.push(value);
        pos = next;
      }
    } else expectWire(f, VARINT, 'a repeated number', where);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// wire format: writing

function varintBytes(n: number): number[] {
  const bytes: number[] = [];
  let v = n;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const varintField = (num: number, value: number) =>
  Uint8Array.from([...varintBytes(num * 8 + VARINT), ...varintBytes(value)]);

function lenField(num: number, payload: Uint8Array): Uint8Array {
  const head = varintBytes(num * 8 + LEN).concat(varintBytes(payload.length));
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

const encoder = new TextEncoder();
const stringField = (num: number, value: string) => lenField(num, encoder.encode(value));

/**
 * Rebuilds a message: `rewrite` returns a field's new bytes (tag included), null to drop it, or
 * undefined to keep its bytes as they are.
 */
async function rebuild(
  buf: Uint8Array,
  fields: Field[],
  rewrite: (f: Field) => Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    const replaced = await rewrite(f);
    if (replaced === undefined) parts.push(buf.subarray(f.start, f.end));
    else if (replaced !== null) parts.push(replaced);
  }
  return concat(parts);
}

// ---------------------------------------------------------------------------------------------
// data files

interface Placement {
  location: string;
  offset: number;
  length: number;
}

class DataFiles {
  readonly files: { name: string; bytes: number }[] = [];
  #sink: ByteSink | undefined;
  #offset = 0;

  constructor(
    readonly options: WidenOptions,
    readonly chunkBytes: number,
  ) {}

  async #next(): Promise<void> {
    await this.#closeCurrent();
    const name = this.options.dataFileName(this.files.length);
    if (!name || /[\\/]/.test(name) || name === '.' || name === '..')
      throw new StoryLoomError('invalid-input', `A data file name must be a plain file name, got "${name}".`);
    this.#sink = await this.options.openData(name);
    this.files.push({ name, bytes: 0 });
    this.#offset = 0;
  }

  async #closeCurrent(): Promise<void> {
    const sink = this.#sink;
    this.#sink = undefined;
    await sink?.close();
  }

  /** Appends one tensor's bytes, delivered in pieces; never splits a tensor across files. */
  async write(length: number, pieces: AsyncIterable<Uint8Array>): Promise<Placement> {
    let offset = Math.ceil(this.#offset / ALIGN) * ALIGN;
    if (!this.#sink || (this.#offset > 0 && offset + length > this.chunkBytes)) {
      await this.#next();
      offset = 0;
    }
    const sink = this.#sink;
    const file = this.files[this.files.length - 1];
    if (!sink || !file) throw new Error('widen: no data file is open');
    if (offset > this.#offset) await sink.write(new Uint8Array(offset - this.#offset));
    let written = 0;
    for await (const piece of pieces) {
      await sink.write(piece);
      written += piece.length;
    }
    if (written !== length) throw new Error(`widen: wrote ${written} bytes of a ${length}-byte tensor`);
    this.#offset = offset + length;
    file.bytes = this.#offset;
    return { location: file.name, offset, length };
  }

  finish(): Promise<void> {
    return this.#closeCurrent();
  }

  async fail(reason: unknown): Promise<void> {
    const sink = this.#sink;
    this.#sink = undefined;
    try {
      await (sink?.abort ? sink.abort(reason) : sink?.close());
    } catch {
      // The first failure is the one to report.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the source

class SourceReader {
  pos = 0;
  #window: Uint8Array = new Uint8Array(0);
  #windowStart = 0;
  #reported = 0;

  constructor(
    readonly source: ByteSource,
    readonly onProgress?: (read: number, total: number) => void,
  ) {}

  async #read(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.source.size)
      invalid(`the file ends after ${this.source.size} bytes, in the middle of a field (it is truncated)`);
    const bytes = await this.source.read(offset, length);
    if (bytes.length !== length)
      invalid(`reading ${length} bytes at ${offset} gave ${bytes.length}: the file is truncated or changed`);
    return bytes;
  }

  /** Bytes [from, to) of the source: copied from the window when it holds them (so no window stays pinned). */
  async slice(from: number, to: number): Promise<Uint8Array> {
    const windowEnd = this.#windowStart + this.#window.length;
    if (from >= this.#windowStart && to <= windowEnd)
      return copyOf(this.#window.subarray(from - this.#windowStart, to - this.#windowStart));
    return this.#read(from, to - from);
  }

  async varint(limit: number, where: string): Promise<number> {
    const windowEnd = this.#windowStart + this.#window.length;
    if (this.pos < this.#windowStart || Math.min(this.pos + 10, limit) > windowEnd) {
      this.#windowStart = this.pos;
      this.#window = await this.#read(this.pos, Math.min(WINDOW, this.source.size - this.pos));
    }
    const end = Math.min(limit, this.#windowStart + this.#window.length);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const at = this.pos + i;
      if (at >= end) {
        if (end === this.source.size)
          invalid(`the file ends after ${end} bytes, in the middle of ${where} (it is truncated)`);
        invalid(`a number in ${where} runs past the end of its message`);
      }
      const byte = this.#window[at - this.#windowStart] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        this.pos = at + 1;
        return value;
      }
    }
    invalid(`a number in ${where} is longer than 10 bytes, which no protobuf varint is`);
  }

  async bytes(length: number): Promise<Uint8Array> {
    const from = this.pos;
    this.pos += length;
    const bytes = await this.slice(from, this.pos);
    this.report();
    return bytes;
  }

  report(force = false): void {
    if (!this.onProgress || (!force && this.pos - this.#reported < PROGRESS_STEP)) return;
    this.#reported = this.pos;
    this.onProgress(this.pos, this.source.size);
  }
}

/** Reads one field of a streamed message whose end is `limit`; `wire`'s payload follows the tag. */
async function streamField(
  reader: SourceReader,
  start: number,
  wire: number,
  limit: number,
  where: string,
): Promise<{ header: Uint8Array; payload: Uint8Array }> {
  let length: number;
  if (wire === VARINT) {
    await reader.varint(limit, where);
    return { header: await reader.slice(start, reader.pos), payload: new Uint8Array(0) };
  }
  if (wire === I64 || wire === I32) length = wire === I64 ? 8 : 4;
  else if (wire === LEN) length = await reader.varint(limit, where);
  else wireProblem(wire, where);
  if (reader.pos + length > limit) {
    if (limit === reader.source.size)
      invalid(
        `a field of ${where} claims ${length} bytes but the file ends ${limit - reader.pos} bytes later (it is truncated)`,
      );
    invalid(
      `a field of ${where} claims ${length} bytes but only ${limit - reader.pos} are left in its message`,
    );
  }
  const header = await reader.slice(start, reader.pos);
  return { header, payload: await reader.bytes(length) };
}

// ---------------------------------------------------------------------------------------------
// tensors

interface Tensor {
  fields: Field[];
  name: string;
  dataType: number;
  count: number;
  raw?: Field;
  int32: Field[];
  floats: Field[];
  /** Field numbers of the other typed data fields present (string, int64, double, uint64). */
  others: number[];
  external?: { location: string; offset: number; length?: number };
}

function parseTensor(buf: Uint8Array, where: string): Tensor {
  const fields = parseFields(buf, where);
  const tensor: Tensor = { fields, name: '', dataType: 0, count: 1, int32: [], floats: [], others: [] };
  const dims: Field[] = [];
  const entries: Field[] = [];
  let location = 0;
  for (const f of fields) {
    if (f.num === 1) dims.push(f);
    else if (f.num === 2)
      tensor.dataType = f.wire === VARINT ? f.value : invalid(`${where} has a bad data_type`);
    else if (f.num === 3) invalid(`${where} is stored in segments, which is not supported`);
    else if (f.num === 4) tensor.floats.push(f);
    else if (f.num === 5) tensor.int32.push(f);
    else if (f.num === 6 || f.num === 7 || f.num === 10 || f.num === 11) tensor.others.push(f.num);
    else if (f.num === 8 && f.wire === LEN) tensor.name = text(buf, f);
    else if (f.num === 9) {
      expectWire(f, LEN, 'raw_data', where);
      tensor.raw = f;
    } else if (f.num === 13) entries.push(f);
    else if (f.num === 14) location = f.value;
  }
  const label = tensor.name ? `${where} "${tensor.name}"` : where;
  for (const d of varints(buf, dims, label)) {
    if (d > Number.MAX_SAFE_INTEGER) invalid(`${label} has a negative or huge dimension`);
    tensor.count *= d;
  }
  if (tensor.count > 2 ** 50) invalid(`${label} claims ${tensor.count} values, more than any model holds`);
  if (location === EXTERNAL) tensor.external = externalInfo(buf, entries, label);
  return tensor;
}

function externalInfo(buf: Uint8Array, entries: Field[], label: string): NonNullable<Tensor['external']> {
  const map = new Map<string, string>();
  for (const e of entries) {
    expectWire(e, LEN, 'external_data', label);
    let key = '';
    let value = '';
    const entry = body(buf, e);
    for (const f of parseFields(entry, `the external_data of ${label}`)) {
      if (f.num === 1 && f.wire === LEN) key = text(entry, f);
      if (f.num === 2 && f.wire === LEN) value = text(entry, f);
    }
    map.set(key, value);
  }
  const location = map.get('location') ?? '';
  if (!location) invalid(`${label} is stored as external data without a location`);
  if (/^([\\/]|[A-Za-z]:)/.test(location) || location.includes('\0'))
    invalid(
      `${label} points to the absolute path "${location}"; external data must be a path relative to the model`,
    );
  if (location.split(/[\\/]/).includes('..'))
    invalid(`${label} points outside the model's folder ("${location}"); external data may not use ".."`);
  const number = (key: string): number | undefined => {
    const v = map.get(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,15}$/.test(v)) invalid(`${label} has an external ${key} "${v}", which is not a byte count`);
    return Number(v);
  };
  const info: NonNullable<Tensor['external']> = { location, offset: number('offset') ?? 0 };
  const length = number('length');
  if (length !== undefined) info.length = length;
  return info;
}

interface Ctx {
  options: WidenOptions;
  data: DataFiles;
  externals: Map<string, ByteSource>;
  stats: { widenedTensors: number; widenedCasts: number; fp32Bytes: number };
}

function externalSource(ctx: Ctx, tensor: Tensor, label: string): ByteSource {
  const location = tensor.external?.location ?? '';
  let source = ctx.externals.get(location);
  if (!source) {
    if (!ctx.options.sourceExternal)
      invalid(`${label} keeps its data in the external file "${location}", and no external data was given`);
    source = ctx.options.sourceExternal(location);
    ctx.externals.set(location, source);
  }
  return source;
}

/** The checked byte range of an external tensor whose elements are `width` bytes wide. */
function externalRange(ctx: Ctx, tensor: Tensor, width: number, label: string) {
  const source = externalSource(ctx, tensor, label);
  const { offset, length: declared } = tensor.external ?? { offset: 0 };
  const length = width > 0 ? tensor.count * width : (declared ?? source.size - offset);
  if (declared !== undefined && declared !== length)
    invalid(`${label} has ${declared} bytes of external data, but its ${tensor.count} values need ${length}`);
  if (offset + length > source.size)
    invalid(
      `${label} reads bytes ${offset}–${offset + length} of "${tensor.external?.location}", which has ${source.size}`,
    );
  return { source, offset, length };
}

async function* externalPieces(
  source: ByteSource,
  offset: number,
  length: number,
  widen: boolean,
): AsyncGenerator<Uint8Array> {
  const step = PIECE_VALUES * (widen ? 2 : 4);
  for (let at = 0; at < length; at += step) {
    const n = Math.min(step, length - at);
    const bytes = await source.read(offset + at, n);
    if (bytes.length !== n)
      invalid(`the external data file ended early (asked ${n} bytes, got ${bytes.length})`);
    yield widen ? widenHalves(halvesOf(bytes)) : bytes;
  }
}

async function* halfPieces(halves: Uint16Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < halves.length; at += PIECE_VALUES)
    yield widenHalves(halves.subarray(at, Math.min(halves.length, at + PIECE_VALUES)));
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A float16 tensor's bit patterns, from raw_data or int32_data (not external). */
function halvesOfTensor(buf: Uint8Array, t: Tensor, label: string): Uint16Array {
  if (t.floats.length || t.others.length)
    invalid(`${label} is float16 but stores its values in a field that float16 may not use`);
  if (t.raw && t.int32.length) invalid(`${label} is float16 and has both raw_data and int32_data`);
  if (!t.raw && !t.int32.length && t.count > 0) invalid(`${label} is float16 and holds no data`);
  if (t.raw) {
    const raw = body(buf, t.raw);
    if (raw.length !== t.count * 2)
      invalid(
        `${label} is float16 and has ${raw.length} bytes of data, but its ${t.count} values need ${t.count * 2}`,
      );
    return halvesOf(raw);
  }
  const values = varints(buf, t.int32, label);
  if (values.length !== t.count)
    invalid(
      `${label} is float16 and has ${values.length} entries in int32_data, but its shape holds ${t.count} values`,
    );
  const halves = new Uint16Array(values.length);
  values.forEach((v, i) => {
    if (v > 0xffff) invalid(`${label} is float16 and has ${v} in int32_data, which is no 16-bit pattern`);
    halves[i] = v;
  });
  return halves;
}

/** A float32 tensor's bytes, from raw_data or float_data (not external). */
function floatBytesOfTensor(buf: Uint8Array, t: Tensor, label: string): Uint8Array {
  if (t.int32.length || t.others.length)
    invalid(`${label} is float32 but stores its values in a field that float32 may not use`);
  const bytes = t.raw
    ? body(buf, t.raw)
    : concat(
        t.floats.map((f) => {
          if (f.wire !== LEN && f.wire !== I32) expectWire(f, LEN, 'float_data', label);
          return buf.subarray(f.wire === LEN ? f.payload : f.end - 4, f.end);
        }),
      );
  if (bytes.length !== t.count * 4)
    invalid(
      `${label} is float32 and has ${bytes.length} bytes of data, but its ${t.count} values need ${t.count * 4}`,
    );
  return bytes;
}

/** Where a tensor's new bytes come from, or null when the tensor stays as it is. */
async function tensorPayload(
  ctx: Ctx,
  buf: Uint8Array,
  t: Tensor,
  label: string,
  inline: boolean,
): Promise<{ dataType: number; length: number; pieces: () => AsyncGenerator<Uint8Array> } | null> {
  const dataType = t.dataType;
  if (dataType === FLOAT16) {
    ctx.stats.widenedTensors += 1;
    if (t.external) {
      const { source, offset } = externalRange(ctx, t, 2, label);
      return {
        dataType: FLOAT,
        length: t.count * 4,
        pieces: () => externalPieces(source, offset, t.count * 2, true),
      };
    }
    const halves = halvesOfTensor(buf, t, label);
    return { dataType: FLOAT, length: t.count * 4, pieces: () => halfPieces(halves) };
  }
  if (dataType === FLOAT) {
    if (t.external) {
      const { source, offset, length } = externalRange(ctx, t, 4, label);
      return { dataType, length, pieces: () => externalPieces(source, offset, length, false) };
    }
    if (inline) return null;
    const bytes = floatBytesOfTensor(buf, t, label);
    return { dataType, length: bytes.length, pieces: () => once(bytes) };
  }
  if (t.external) {
    const { source, offset, length } = externalRange(ctx, t, 0, label);
    return { dataType, length, pieces: () => externalPieces(source, offset, length, false) };
  }
  if (inline || !t.raw || t.raw.end - t.raw.payload < INLINE_LIMIT) return null;
  const bytes = body(buf, t.raw);
  return { dataType, length: bytes.length, pieces: () => once(bytes) };
}

const DATA_FIELDS = new Set([4, 5, 9, 13, 14]);

/**
 * Widens one TensorProto. `inline` keeps the data in the message (attribute and subgraph tensors);
 * otherwise FLOAT data goes to the data files.
 */
async function widenTensor(ctx: Ctx, buf: Uint8Array, where: string, inline: boolean): Promise<Uint8Array> {
  const t = parseTensor(buf, where);
  const label = t.name ? `${where} "${t.name}"` : where;
  const payload = await tensorPayload(ctx, buf, t, label, inline);
  if (!payload) return buf;
  const tail: Uint8Array[] = [];
  if (payload.length === 0 || inline) {
    const parts: Uint8Array[] = [];
    for await (const piece of payload.pieces()) parts.push(piece);
    tail.push(lenField(9, concat(parts)));
  } else {
    const placed = await ctx.data.write(payload.length, payload.pieces());
    if (payload.dataType === FLOAT) ctx.stats.fp32Bytes += placed.length;
    const entry = (key: string, value: string) =>
      lenField(13, concat([stringField(1, key), stringField(2, value)]));
    tail.push(
      entry('location', placed.location),
      entry('offset', String(placed.offset)),
      entry('length', String(placed.length)),
      varintField(14, EXTERNAL),
    );
  }
  const head = await rebuild(buf, t.fields, (f) => {
    if (DATA_FIELDS.has(f.num)) return null;
    if (f.num === 2) return varintField(2, payload.dataType);
    return undefined;
  });
  const hasType = t.fields.some((f) => f.num === 2);
  return concat([head, ...(hasType ? [] : [varintField(2, payload.dataType)]), ...tail]);
}

async function widenSparse(ctx: Ctx, buf: Uint8Array, where: string): Promise<Uint8Array> {
  const fields = parseFields(buf, where);
  return rebuild(buf, fields, async (f) => {
    if (f.num !== 1) return undefined;
    expectWire(f, LEN, 'values', where);
    return lenField(1, await widenTensor(ctx, body(buf, f), `the values of ${where}`, true));
  });
}

// ---------------------------------------------------------------------------------------------
// types, nodes, graphs

/** TypeProto with every FLOAT16 element type made FLOAT, through sequence, map and optional. */
async function widenType(buf: Uint8Array, where: string, depth: number): Promise<Uint8Array> {
  if (depth > MAX_DEPTH) invalid(`${where} nests types deeper than ${MAX_DEPTH} levels`);
  const nested = (num: number) => async (inner: Uint8Array) => {
    const fields = parseFields(inner, where);
    return rebuild(inner, fields, async (f) => {
      if (f.num !== num) return undefined;
      expectWire(f, LEN, 'an element type', where);
      return lenField(num, await widenType(body(inner, f), where, depth + 1));
    });
  };
  const elemType = async (inner: Uint8Array) => {
    const fields = parseFields(inner, where);
    return rebuild(inner, fields, (f) => {
      if (f.num !== 1) return undefined;
      expectWire(f, VARINT, 'elem_type', where);
      return f.value === FLOAT16 ? varintField(1, FLOAT) : undefined;
    });
  };
  const kinds: Record<number, (inner: Uint8Array) => Promise<Uint8Array>> = {
    1: elemType, // tensor_type
    8: elemType, // sparse_tensor_type
    4: nested(1), // sequence_type.elem_type
    5: nested(2), // map_type.value_type
    9: nested(1), // optional_type.elem_type
  };
  const fields = parseFields(buf, where);
  return rebuild(buf, fields, async (f) => {
    const kind = kinds[f.num];
    if (!kind) return undefined;
    expectWire(f, LEN, 'a type', where);
    return lenField(f.num, await kind(body(buf, f)));
  });
}

async function widenValueInfo(buf: Uint8Array, where: string): Promise<Uint8Array> {
  const fields = parseFields(buf, where);
  const name = fields.find((f) => f.num === 1 && f.wire === LEN);
  const label = name ? `${where} "${text(buf, name)}"` : where;
  return rebuild(buf, fields, async (f) => {
    if (f.num !== 2) return undefined;
    expectWire(f, LEN, 'type', label);
    return lenField(2, await widenType(body(buf, f), label, 0));
  });
}

async function widenAttribute(
  ctx: Ctx,
  buf: Uint8Array,
  typedOp: boolean,
  where: string,
  depth: number,
): Promise<Uint8Array> {
  const fields = parseFields(buf, where);
  const nameField = fields.find((f) => f.num === 1 && f.wire === LEN);
  const name = nameField ? text(buf, nameField) : '';
  const label = `attribute "${name}" of ${where}`;
  const names = typedOp && (name === 'to' || name === 'dtype');
  return rebuild(buf, fields, async (f) => {
    const inner = () => {
      expectWire(f, LEN, `field ${f.num}`, label);
      return body(buf, f);
    };
    switch (f.num) {
      case 3: // i
        if (!names || f.wire !== VARINT || f.value !== FLOAT16) return undefined;
        ctx.stats.widenedCasts += 1;
        return varintField(3, FLOAT);
      case 5: // t
      case 10: // tensors
        return lenField(f.num, await widenTensor(ctx, inner(), `a tensor of ${label}`, true));
      case 6: // g
      case 11: // graphs
        return lenField(f.num, await widenGraph(ctx, inner(), `the subgraph of ${label}`, depth + 1));
      case 14: // tp
      case 15: // type_protos
        return lenField(f.num, await widenType(inner(), label, 0));
      case 22: // sparse_tensor
      case 23: // sparse_tensors
        return lenField(f.num, await widenSparse(ctx, inner(), `a sparse tensor of ${label}`));
      default:
        return undefined;
    }
  });
}

async function widenNode(ctx: Ctx, buf: Uint8Array, where: string, depth: number): Promise<Uint8Array> {
  const fields = parseFields(buf, where);
  let opType = '';
  let domain = '';
  let name = '';
  for (const f of fields) {
    if (f.wire !== LEN) continue;
    if (f.num === 3) name = text(buf, f);
    if (f.num === 4) opType = text(buf, f);
    if (f.num === 7) domain = text(buf, f);
  }
  const label = `${opType || 'node'} "${name}" (${where})`;
  const typedOp = (domain === '' || domain === 'ai.onnx') && DTYPE_OPS.has(opType);
  return rebuild(buf, fields, async (f) => {
    if (f.num !== 5) return undefined;
    expectWire(f, LEN, 'an attribute', label);
    return lenField(5, await widenAttribute(ctx, body(buf, f), typedOp, label, depth));
  });
}

const GRAPH_FIELDS: Record<number, string> = {
  1: 'node',
  5: 'initializer',
  11: 'input',
  12: 'output',
  13: 'value_info',
  15: 'sparse_initializer',
};

/** One field of a GraphProto, rewritten; undefined keeps it verbatim. */
async function widenGraphField(
  ctx: Ctx,
  num: number,
  wire: number,
  payload: Uint8Array,
  where: string,
  depth: number,
): Promise<Uint8Array | undefined> {
  const kind = GRAPH_FIELDS[num];
  if (!kind) return undefined;
  if (wire !== LEN) invalid(`a ${kind} of ${where} has wire type ${wire}, expected ${LEN}`);
  const item = `${kind} of ${where}`;
  switch (num) {
    case 1:
      return lenField(1, await widenNode(ctx, payload, item, depth));
    case 5:
      return lenField(5, await widenTensor(ctx, payload, `${where}'s initializer`, depth > 0));
    case 15:
      return lenField(15, await widenSparse(ctx, payload, `a sparse initializer of ${where}`));
    default:
      return lenField(num, await widenValueInfo(payload, item));
  }
}

/** A subgraph, in memory (it is part of a node): its initializers are widened inline. */
async function widenGraph(ctx: Ctx, buf: Uint8Array, where: string, depth: number): Promise<Uint8Array> {
  if (depth > MAX_DEPTH) invalid(`${where} nests graphs deeper than ${MAX_DEPTH} levels`);
  const fields = parseFields(buf, where);
  return rebuild(buf, fields, (f) => widenGraphField(ctx, f.num, f.wire, body(buf, f), where, depth));
}

/** The main graph, streamed one field at a time from the source. */
async function widenMainGraph(ctx: Ctx, reader: SourceReader, end: number, signal?: AbortSignal) {
  const where = 'the graph';
  const parts: Uint8Array[] = [];
  while (reader.pos < end) {
    signal?.throwIfAborted();
    const start = reader.pos;
    const { num, wire } = splitTag(await reader.varint(end, where), where);
    const { header, payload } = await streamField(reader, start, wire, end, where);
    const replaced = await widenGraphField(ctx, num, wire, payload, where, 0);
    parts.push(...(replaced ? [replaced] : [header, payload]));
  }
  return concat(parts);
}

/**
 * Rewrites a float16 ONNX model (read from `source`) into a float32 one: the returned `model`
 * holds the graph without weights, the weights go to data files opened through `openData`.
 */
export async function widenFp16Model(source: ByteSource, options: WidenOptions): Promise<WidenResult> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
  if (!(chunkBytes > 0))
    throw new StoryLoomError('invalid-input', `chunkBytes must be positive, got ${chunkBytes}.`);
  const data = new DataFiles(options, chunkBytes);
  const ctx: Ctx = {
    options,
    data,
    externals: new Map(),
    stats: { widenedTensors: 0, widenedCasts: 0, fp32Bytes: 0 },
  };
  const reader = new SourceReader(source, options.onProgress);
  const parts: Uint8Array[] = [];
  try {
    options.signal?.throwIfAborted();
    if (source.size === 0) invalid('the file is empty');
    let graphs = 0;
    while (reader.pos < source.size) {
      const start = reader.pos;
      const { num, wire } = splitTag(await reader.varint(source.size, 'the model'), 'the model');
      if (num !== 7) {
        const { header, payload } = await streamField(reader, start, wire, source.size, 'the model');
        parts.push(header, payload);
        continue;
      }
      if (wire !== LEN) invalid(`the model's graph has wire type ${wire}, expected ${LEN}`);
      const length = await reader.varint(source.size, 'the model');
      const end = reader.pos + length;
      if (end > source.size)
        invalid(
          `the graph claims ${length} bytes but the file ends ${source.size - reader.pos} bytes later (it is truncated)`,
        );
      parts.push(lenField(7, await widenMainGraph(ctx, reader, end, options.signal)));
      graphs += 1;
    }
    if (graphs === 0) invalid('the file holds no graph');
    await data.finish();
  } catch (e) {
    await data.fail(e);
    throw e;
  }
  reader.report(true);
  return { model: concat(parts), dataFiles: data.files.map((f) => ({ ...f })), ...ctx.stats };
}
