/**
 * Text-to-image, read top to bottom as numbered stages (diffusers' StableDiffusionPipeline order):
 * 1 check inputs, 2 tokenize, 3 encode, 4 prepare timesteps, 5 prepare latents, 6 denoise,
 * 7 decode, 8 postprocess. Latents, noise predictions and encoder states stay where the runtime
 * puts them (the GPU on WebGPU); the scheduler's step runs as a helper graph fed with the scalars
 * of `stepCoefficients`. Pixels are read back once, in stage 8.
 */
import type { Pack } from '../models/manifest';
import type { EncoderCache } from '../prompt/encoder-cache';
import { createScheduler, GaussianGenerator, type Scheduler } from '../schedulers';
import {
  checkSession,
  decoderContract,
  need,
  packComponent,
  resolveComponents,
  schedulerConfig,
  textEncoderContract,
  unetContract,
  type PackComponent,
  type TextEncoderContract,
  type UnetContract,
} from './contracts';
import type { GpuOps } from './gpu-ops';
import { toRgba } from './image';
import {
  EngineError,
  type EngineProgress,
  type EngineRuntime,
  type EngineSession,
  type EngineTensor,
  type EngineTokenizer,
  type PreviewMode,
  type ReadbackCounts,
  type StepPreview,
} from './types';

/** One conditioning chunk as plain data (the prompt compiler's CompiledChunk). */
export interface PlainChunk {
  kind: 'identity' | 'transient' | 'scene' | 'negative';
  characterId: string | null;
  text: string;
  weight: number;
  key: string;
}

export interface TextToImageRequest {
  pack: Pack;
  /** Packs whose components replace the same role (the bench's large UNet over the tiny pack). */
  overrides?: Pack[];
  chunks: PlainChunk[];
  negative: PlainChunk | null;
  seed: number;
  width: number;
  height: number;
  numInferenceSteps: number;
  guidanceScale: number;
  preview: PreviewMode;
  /** Wait this long after each step (tests cancel the fast twins between steps). */
  stepDelayMs?: number;
}

export interface TextToImageTimings {
  totalMs: number;
  loadMs: number;
  tokenizeMs: number;
  encodeMs: number;
  denoiseMs: number;
  decodeMs: number;
  postprocessMs: number;
  /** Sum of ORT run times (and GPU readback waits) inside this generation. */
  ortMs: number;
}

export interface TextToImageResult {
  /** PNG, or null where the runtime cannot encode images (unit tests). */
  image: Blob | null;
  /** 8-bit RGBA of the image. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  seed: number;
  scheduler: string;
  timesteps: number[];
  backend: EngineRuntime['backend'];
  /** Encoder runs in this generation (cache misses). */
  encoderRuns: number;
  encoderHits: number;
  ortRuns: number;
  readbacks: ReadbackCounts;
  timings: TextToImageTimings;
}

/** What the engine gives a generation: lazily loaded sessions, the tokenizer, helpers and caches. */
export interface PipelineContext {
  runtime: EngineRuntime;
  ops: GpuOps;
  session(pc: PackComponent): Promise<EngineSession>;
  tokenizer(source: PackComponent, contract: TextEncoderContract): Promise<EngineTokenizer>;
  /** Encoder states per chunk key; `encode` is bound to this generation's encoder. */
  encoderCache: EncoderCache<EngineTensor>;
  bindEncoder(encode: ((text: string) => Promise<EngineTensor>) | null): void;
  encodeImage(rgba: Uint8ClampedArray, width: number, height: number): Promise<Blob | null>;
  sleep(ms: number): Promise<void>;
}

const now = () => performance.now();

export function checkAbort(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new EngineError('cancelled', `Generation was cancelled ${where}.`);
}

/** Tensors made during one generation, disposed together unless handed over. */
export class Scope {
  readonly #owned = new Set<EngineTensor>();
  own<T extends EngineTensor>(t: T): T {
    this.#owned.add(t);
    return t;
  }
  drop(t: EngineTensor | null | undefined): void {
    if (t && this.#owned.delete(t)) t.dispose();
  }
  disposeAll(): void {
    for (const t of this.#owned) t.dispose();
    this.#owned.clear();
  }
}

export function snapshot(r: ReadbackCounts): ReadbackCounts {
  return { ...r };
}

export function diff(a: ReadbackCounts, b: ReadbackCounts): ReadbackCounts {
  return {
    latent: a.latent - b.latent,
    preview: a.preview - b.preview,
    image: a.image - b.image,
    other: a.other - b.other,
  };
}

export async function textToImage(
  ctx: PipelineContext,
  request: TextToImageRequest,
  options: { signal?: AbortSignal; onProgress?: (e: EngineProgress) => void } = {},
): Promise<TextToImageResult> {
  const { signal, onProgress } = options;
  const { runtime, ops } = ctx;
  const started = now();
  const ledgerStart = {
    ortMs: runtime.ledger.ortMs,
    runs: runtime.ledger.runs,
    readbacks: snapshot(runtime.ledger.readbacks),
  };
  const encodesBefore = ctx.encoderCache.encodeCount;
  const t: TextToImageTimings = {
    totalMs: 0,
    loadMs: 0,
    tokenizeMs: 0,
    encodeMs: 0,
    denoiseMs: 0,
    decodeMs: 0,
    postprocessMs: 0,
    ortMs: 0,
  };
  const scope = new Scope();

  try {
    // 1. Check inputs (contracts come from the manifest, never from constants here).
    const components = resolveComponents(request.pack, request.overrides);
    const textPc = need(components, 'text-encoder');
    const unetPc = need(components, 'unet');
    const vaePc = need(components, 'vae-decoder');
    const previewPc = request.preview === 'decoder' ? (components.get('preview-decoder') ?? null) : null;
    const text = textEncoderContract(textPc.component);
    const unet = unetContract(unetPc.component);
    const vae = decoderContract(vaePc.component);
    checkInputs(request, unet, text);
    const tokenizerPc = findById(request.pack, request.overrides, text.tokenizerFrom);

    const loadStarted = now();
    const sessions = await loadSessions(
      ctx,
      [textPc, unetPc, vaePc, ...(previewPc ? [previewPc] : [])],
      onProgress,
    );
    const [textSession, unetSession, vaeSession] = sessions as [EngineSession, EngineSession, EngineSession];
    const previewSession = previewPc ? (sessions[3] ?? null) : null;
    checkSession(textSession, [
      { name: text.inputName, type: text.inputType },
      { name: text.outputName, type: 'float32' },
    ]);
    checkSession(unetSession, [
      { name: unet.sampleName, type: 'float32' },
      { name: unet.timestepName, type: unet.timestepType },
      { name: unet.statesName, type: 'float32' },
      { name: unet.outputName, type: 'float32' },
    ]);
    checkSession(vaeSession, [{ name: vae.inputName, type: 'float32' }]);
    const tokenizer = await ctx.tokenizer(tokenizerPc, text);
    t.loadMs = now() - loadStarted;
    checkAbort(signal, 'before encoding');

    // 2. Tokenize every chunk (cheap, on the CPU); only cache misses reach the encoder.
    const tokStarted = now();
    const useCfg = request.guidanceScale > 1;
    const chunks = [...request.chunks, ...(useCfg && request.negative ? [request.negative] : [])];
    const ids = new Map(chunks.map((c) => [c.text, tokenizer.encode(c.text)]));
    t.tokenizeMs = now() - tokStarted;

    // 3. Encode: one state per chunk (cached by key), weighted and concatenated along the sequence axis.
    const encStarted = now();
    const cacheKey = (c: PlainChunk) => `${textPc.packId}/${textPc.component.id}|${c.key}`;
    bindTextEncoder(ctx, textSession, text, tokenizer, ids);
    const positive = await concatChunks(ctx, scope, request.chunks, cacheKey);
    const negative =
      useCfg && request.negative ? await concatChunks(ctx, scope, [request.negative], cacheKey) : null;
    ctx.bindEncoder(null);
    t.encodeMs = now() - encStarted;
    checkAbort(signal, 'after encoding');

    // 4. Prepare timesteps.
    const generator = new GaussianGenerator(request.seed);
    const scheduler: Scheduler = createScheduler(schedulerConfig(unet.scheduler), { generator });
    scheduler.setTimesteps(request.numInferenceSteps);

    // 5. Prepare latents: seeded standard-normal noise times initNoiseSigma, uploaded once.
    const shape = [1, unet.latentChannels, request.height / unet.downscale, request.width / unet.downscale];
    const count = shape.reduce((a, b) => a * b, 1);
    const noise = generator.randn(count);
    const sigma = scheduler.initNoiseSigma;
    for (let i = 0; i < count; i++) noise[i] = (noise[i] ?? 0) * sigma;
    let latents = scope.own(runtime.tensor('float32', noise, shape));

    // 6. Denoise.
    const denoiseStarted = now();
    const total = request.numInferenceSteps;
    for (let i = 0; i < total; i++) {
      checkAbort(signal, `after step ${i} of ${total}`);
      const k = scheduler.stepCoefficients(i);
      const modelInput = scope.own(await ops.scale(latents, k.inputScale));
      const eps = await predictNoise(
        ctx,
        scope,
        unet,
        unetSession,
        modelInput,
        k.timestep,
        positive,
        negative,
        request.guidanceScale,
      );
      scope.drop(modelInput);
      let preview: StepPreview | null = null;
      if (request.preview !== 'none')
        preview = await stepPreview(ctx, scope, latents, eps, k, previewSession, previewPc);
      let next: EngineTensor;
      if (k.needsNoise) {
        const z = scope.own(runtime.tensor('float32', generator.randn(count), shape));
        next = scope.own(await ops.affine3(latents, eps, z, k.a, k.b, k.c));
        scope.drop(z);
      } else next = scope.own(await ops.affine2(latents, eps, k.a, k.b));
      scope.drop(eps);
      scope.drop(latents);
      latents = next;
      onProgress?.({ status: 'step', step: i + 1, total, preview });
      if (request.stepDelayMs && i + 1 < total) await ctx.sleep(request.stepDelayMs);
    }
    t.denoiseMs = now() - denoiseStarted;
    checkAbort(signal, `after step ${total} of ${total}`);

    // 7. Decode: undo the VAE scaling factor on the GPU, then the decoder.
    const decodeStarted = now();
    const scaled = scope.own(await ops.scale(latents, 1 / vae.scalingFactor));
    scope.drop(latents);
    const decoded = await vaeSession.run({ [vae.inputName]: scaled });
    scope.drop(scaled);
    const pixels = decoded[vae.outputName] ?? Object.values(decoded)[0];
    for (const tensor of Object.values(decoded)) if (tensor !== pixels) tensor.dispose();
    if (!pixels) throw new EngineError('engine-failed', `${vaeSession.label} returned no image.`);
    scope.own(pixels);
    t.decodeMs = now() - decodeStarted;

    // 8. Postprocess: the one readback of the image, then PNG.
    const postStarted = now();
    const [, , height, width] = pixels.dims as [number, number, number, number];
    const chw = await runtime.read(pixels, 'image');
    scope.drop(pixels);
    const rgba = toRgba(chw, width, height);
    const image = await ctx.encodeImage(rgba, width, height);
    t.postprocessMs = now() - postStarted;

    t.totalMs = now() - started;
    t.ortMs = runtime.ledger.ortMs - ledgerStart.ortMs;
    return {
      image,
      rgba,
      width,
      height,
      seed: request.seed,
      scheduler: scheduler.className,
      timesteps: Array.from(scheduler.timesteps),
      backend: runtime.backend,
      encoderRuns: ctx.encoderCache.encodeCount - encodesBefore,
      encoderHits: chunks.length - (ctx.encoderCache.encodeCount - encodesBefore),
      ortRuns: runtime.ledger.runs - ledgerStart.runs,
      readbacks: diff(runtime.ledger.readbacks, ledgerStart.readbacks),
      timings: t,
    };
  } finally {
    ctx.bindEncoder(null);
    scope.disposeAll();
  }
}

/** The component with this id (override packs first), e.g. the one holding tokenizer.json. */
export function findById(pack: Pack, overrides: Pack[] | undefined, id: string): PackComponent {
  for (const p of [...(overrides ?? [])].reverse().concat(pack)) {
    const c = p.components.find((x) => x.id === id);
    if (c) return packComponent(p, c);
  }
  throw new EngineError('invalid-input', `The pack has no component "${id}" holding the tokenizer.`);
}

export function checkInputs(r: TextToImageRequest, unet: UnetContract, text: TextEncoderContract): void {
  const bad = (m: string): never => {
    throw new EngineError('invalid-input', m);
  };
  const f = unet.downscale;
  for (const [name, v] of [
    ['Width', r.width],
    ['Height', r.height],
  ] as const)
    if (!Number.isInteger(v) || v < f || v % f !== 0)
      bad(`${name} must be a multiple of ${f} of at least ${f}, got ${v}.`);
  const max = unet.scheduler.maxSteps;
  if (!Number.isInteger(r.numInferenceSteps) || r.numInferenceSteps < 1 || r.numInferenceSteps > max)
    bad(`This model runs 1 to ${max} inference steps, got ${r.numInferenceSteps}.`);
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 0xffffffff)
    bad(`The seed must be a whole number from 0 to 4294967295, got ${r.seed}.`);
  if (!(r.guidanceScale >= 0)) bad(`Guidance scale must be 0 or more, got ${r.guidanceScale}.`);
  if (r.chunks.length === 0) bad('There is nothing to draw: the panel compiled to no conditioning chunks.');
  for (const c of r.chunks)
    if (!Number.isFinite(c.weight) || c.weight < 0)
      bad(`Chunk weights must be 0 or more, got ${c.weight} for the ${c.kind} chunk.`);
  if (unet.hiddenSize !== text.hiddenSize)
    bad(
      `The text encoder gives ${text.hiddenSize}-wide states but the UNet takes ${unet.hiddenSize}; the pack does not fit together.`,
    );
}

export async function loadSessions(
  ctx: PipelineContext,
  list: PackComponent[],
  onProgress: ((e: EngineProgress) => void) | undefined,
): Promise<EngineSession[]> {
  const out: EngineSession[] = [];
  for (const [index, pc] of list.entries()) {
    onProgress?.({ status: 'load', component: pc.component.id, index, total: list.length });
    out.push(await ctx.session(pc));
  }
  return out;
}

/** Cached states of each chunk, weighted and concatenated along the sequence axis. */
/**
 * Binds the encoder cache to this generation's text encoder. Tokens come from the tokenize stage
 * (`ids`); a chunk missing there is tokenized on the spot.
 */
export function bindTextEncoder(
  ctx: PipelineContext,
  textSession: EngineSession,
  text: TextEncoderContract,
  tokenizer: EngineTokenizer,
  ids: ReadonlyMap<string, Int32Array>,
): void {
  const { runtime } = ctx;
  ctx.bindEncoder(async (chunkText) => {
    const tokens = ids.get(chunkText) ?? tokenizer.encode(chunkText);
    const input =
      text.inputType === 'int64'
        ? runtime.tensor(
            'int64',
            BigInt64Array.from(tokens, (v) => BigInt(v)),
            [1, tokens.length],
          )
        : runtime.tensor('int32', tokens, [1, tokens.length]);
    try {
      const out = await textSession.run({ [text.inputName]: input });
      for (const [name, tensor] of Object.entries(out)) if (name !== text.outputName) tensor.dispose();
      const states = out[text.outputName];
      if (!states)
        throw new EngineError('engine-failed', `${textSession.label} returned no ${text.outputName}.`);
      return states;
    } finally {
      input.dispose();
    }
  });
}

export async function concatChunks(
  ctx: PipelineContext,
  scope: Scope,
  chunks: PlainChunk[],
  cacheKey: (c: PlainChunk) => string,
): Promise<EngineTensor> {
  const states: EngineTensor[] = [];
  for (const c of chunks) states.push(await ctx.encoderCache.get(cacheKey(c), c.text));
  const first = states[0];
  const firstChunk = chunks[0];
  if (!first || !firstChunk) throw new EngineError('invalid-input', 'There are no chunks to encode.');
  // The cached tensors belong to the cache: only tensors made here are owned by the scope.
  if (states.length === 1)
    return firstChunk.weight === 1 ? first : scope.own(await ctx.ops.weight(first, firstChunk.weight));
  let acc: EngineTensor | null = null;
  for (let i = 1; i < states.length; i++) {
    const next = states[i] as EngineTensor;
    const w = (chunks[i] as PlainChunk).weight;
    const joined: EngineTensor = scope.own(
      acc ? await ctx.ops.concat(acc, next, 1, w) : await ctx.ops.concat(first, next, firstChunk.weight, w),
    );
    scope.drop(acc);
    acc = joined;
  }
  return acc as EngineTensor;
}

export async function predictNoise(
  ctx: PipelineContext,
  scope: Scope,
  unet: UnetContract,
  session: EngineSession,
  modelInput: EngineTensor,
  timestep: number,
  positive: EngineTensor,
  negative: EngineTensor | null,
  guidanceScale: number,
): Promise<EngineTensor> {
  const run = async (states: EngineTensor) => {
    const ts = timestepTensor(ctx.runtime, unet, timestep);
    try {
      const out = await session.run({
        [unet.sampleName]: modelInput,
        [unet.timestepName]: ts,
        [unet.statesName]: states,
      });
      const eps = out[unet.outputName];
      for (const tensor of Object.values(out)) if (tensor !== eps) tensor.dispose();
      if (!eps) throw new EngineError('engine-failed', `${session.label} returned no ${unet.outputName}.`);
      return scope.own(eps);
    } finally {
      ts.dispose();
    }
  };
  const cond = await run(positive);
  if (!negative) return cond;
  const uncond = await run(negative);
  const guided = scope.own(await ctx.ops.cfg(uncond, cond, guidanceScale));
  scope.drop(uncond);
  scope.drop(cond);
  return guided;
}

export function timestepTensor(runtime: EngineRuntime, unet: UnetContract, timestep: number): EngineTensor {
  const dims = unet.timestepRank === 0 ? [] : [1];
  if (unet.timestepType === 'float32') return runtime.tensor('float32', Float32Array.of(timestep), dims);
  const whole = Math.round(timestep);
  if (unet.timestepType === 'int32') return runtime.tensor('int32', Int32Array.of(whole), dims);
  return runtime.tensor('int64', BigInt64Array.of(BigInt(whole)), dims);
}

/** A small picture of the current estimate of the clean image (x0), read back for the UI. */
export async function stepPreview(
  ctx: PipelineContext,
  scope: Scope,
  latents: EngineTensor,
  eps: EngineTensor,
  k: ReturnType<Scheduler['stepCoefficients']>,
  previewSession: EngineSession | null,
  previewPc: PackComponent | null,
): Promise<StepPreview> {
  const x0 = scope.own(await ctx.ops.affine2(latents, eps, k.x0FromSample, k.x0FromModelOutput));
  let rgb: EngineTensor;
  if (previewSession && previewPc) {
    const contract = decoderContract(previewPc.component);
    const input = scope.own(await ctx.ops.scale(x0, 1 / contract.scalingFactor));
    const out = await previewSession.run({ [contract.inputName]: input });
    scope.drop(input);
    const first = out[contract.outputName] ?? Object.values(out)[0];
    for (const tensor of Object.values(out)) if (tensor !== first) tensor.dispose();
    if (!first) throw new EngineError('engine-failed', `${previewSession.label} returned no image.`);
    rgb = scope.own(first);
  } else {
    // The linear latent-to-RGB fit works on the model's own (scaled) latent space.
    rgb = scope.own(await ctx.ops.latentRgb(x0));
  }
  scope.drop(x0);
  const [, , h, w] = rgb.dims as [number, number, number, number];
  const data = await ctx.runtime.read(rgb, 'preview');
  scope.drop(rgb);
  return { width: w, height: h, rgba: toRgba(data, w, h) };
}
