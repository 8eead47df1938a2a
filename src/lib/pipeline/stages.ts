/**
 * The stages every pipeline is made of, each written once, in diffusers' StableDiffusionPipeline
 * order (pipeline.ts calls them; text-to-image, image-to-image, regional guidance and the masked
 * edit differ only in what they hand the denoise loop):
 *  1 checkInputs       the pack's components, the request against their contracts, the sessions
 *  2 encodePrompt      tokenize every chunk; only cache misses reach the encoder; weight and concatenate
 *  3 prepareTimesteps  the seeded scheduler; an init image starts part-way down the schedule (strength)
 *  4 prepareLatents    seeded noise, or the encoded init image re-noised to the first step's level
 *  5 denoise           ONE loop with swappable blocks (denoise.ts)
 *  6 decode            undo the VAE scaling factor, then the decoder
 *  7 postprocess       the one readback of the image, RGBA, PNG
 * Latents, noise, masks and predictions stay where the runtime puts them (the GPU on WebGPU).
 */
import { createScheduler, GaussianGenerator, type Scheduler } from '../schedulers';
import type { Pack } from '../models/manifest';
import type { EncoderCache } from '../prompt/encoder-cache';
import {
  checkSession,
  decoderContract,
  need,
  packComponent,
  resolveComponents,
  schedulerConfig,
  textEncoderContract,
  unetContract,
  type DecoderContract,
  type PackComponent,
  type TextEncoderContract,
  type UnetContract,
} from './contracts';
import type { GpuOps } from './gpu-ops';
import type { LatentMemory } from './latent-memory';
import { rgbaToChw, toRgba } from './image';
import type { MaskBox } from './mask';
import {
  EngineError,
  type EngineProgress,
  type EngineRuntime,
  type EngineSession,
  type EngineTensor,
  type EngineTokenizer,
  type PreviewMode,
  type ReadbackCounts,
} from './types';

/** One conditioning chunk as plain data (the prompt compiler's CompiledChunk). */
export interface PlainChunk {
  kind: 'identity' | 'transient' | 'scene' | 'negative';
  characterId: string | null;
  text: string;
  weight: number;
  key: string;
}

/** One character's region for regional guidance. */
export interface RegionSpec {
  /** The character the region belongs to (null for a region without one). */
  characterId: string | null;
  /** Fractions of the image, 0 to 1. */
  box: MaskBox;
  /** This region's conditioning: the character's identity and transient chunks (and the scene's). */
  chunks: PlainChunk[];
}

export interface ImageInit {
  /** 8-bit RGBA at the request's width and height. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** How much of the schedule runs over the init image: 0 < strength ≤ 1. */
  strength: number;
  /**
   * The image's own latents ([1, C, height / f, width / f], scaled as the UNet sees them), when the
   * latent memory has them: the VAE encoder is then not run.
   */
  latents?: Float32Array | null;
}

/** What every pipeline is asked: text-to-image's fields, plus what the other variants add. */
export interface DiffusionRequest {
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
  /**
   * Regional guidance: each region's chunks condition the prediction inside its box; the
   * request's own `chunks` are the shared scene (background) conditioning.
   */
  regions?: RegionSpec[] | null;
  /** Image-to-image from this image. */
  init?: ImageInit | null;
  /**
   * Local editing (masked-edit.ts): [height / f, width / f] latent cells, 1 regenerates, 0 keeps
   * the init image's latents (re-noised to each step's level).
   */
  pin?: Float32Array | null;
}

export interface DiffusionTimings {
  totalMs: number;
  loadMs: number;
  tokenizeMs: number;
  encodeMs: number;
  /** VAE encode of the init image and its re-noising (0 without one). */
  vaeEncodeMs: number;
  denoiseMs: number;
  decodeMs: number;
  postprocessMs: number;
  /** Sum of ORT run times (and GPU readback waits) inside this generation. */
  ortMs: number;
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
  /** Called at the end of every denoising step (the engine's installed hook and the caller's). */
  onStep: StepHook | null;
  /** Final latents of recent generations for local edits (latent-memory.ts); null keeps none. */
  memory: LatentMemory | null;
}

/** What a step hook is told, like diffusers' `callback_on_step_end(pipe, step, timestep, …)`. */
export interface StepEnd {
  /** Steps done so far in this run, 1-based. */
  step: number;
  /** Steps this run takes. */
  total: number;
  timestep: number;
  signal: AbortSignal | undefined;
}
/** Observes the end of a step (tests slow the fast twins down here); it cannot change the latents. */
export type StepHook = (end: StepEnd) => void | Promise<void>;

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (e: EngineProgress) => void;
}

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

export function diff(a: ReadbackCounts, b: ReadbackCounts): ReadbackCounts {
  return {
    latent: a.latent - b.latent,
    kept: a.kept - b.kept,
    preview: a.preview - b.preview,
    image: a.image - b.image,
    other: a.other - b.other,
  };
}

/** The one output of a session run that the caller wants; the others are released at once. */
export function single(
  out: Record<string, EngineTensor>,
  name: string,
  session: EngineSession,
  what: string,
): EngineTensor {
  const wanted = out[name] ?? Object.values(out)[0];
  for (const t of Object.values(out)) if (t !== wanted) t.dispose();
  if (!wanted) throw new EngineError('engine-failed', `${session.label} returned no ${what}.`);
  return wanted;
}

// ───────────────────────────── 1. check inputs ─────────────────────────────

/** The components, contracts, open sessions and tokenizer of one generation. */
export interface Models {
  textPc: PackComponent;
  unetPc: PackComponent;
  previewPc: PackComponent | null;
  text: TextEncoderContract;
  unet: UnetContract;
  vae: DecoderContract;
  vaeEnc: DecoderContract | null;
  textSession: EngineSession;
  unetSession: EngineSession;
  vaeSession: EngineSession;
  encoderSession: EngineSession | null;
  previewSession: EngineSession | null;
  tokenizer: EngineTokenizer;
}

/** The component with this id (override packs first), e.g. the one holding tokenizer.json. */
export function findById(pack: Pack, overrides: Pack[] | undefined, id: string): PackComponent {
  for (const p of [...(overrides ?? [])].reverse().concat(pack)) {
    const c = p.components.find((x) => x.id === id);
    if (c) return packComponent(p, c);
  }
  throw new EngineError('invalid-input', `The pack has no component "${id}" holding the tokenizer.`);
}

/** The request against the contracts, with a sentence for what is wrong and what is allowed. */
export function checkRequest(r: DiffusionRequest, unet: UnetContract, text: TextEncoderContract): void {
  const bad = (m: string): never => {
    throw new EngineError('invalid-input', m);
  };
  const m = unet.sizeMultiple;
  const f = unet.downscale;
  for (const [name, v] of [
    ['Width', r.width],
    ['Height', r.height],
  ] as const)
    if (!Number.isInteger(v) || v < m || v % m !== 0)
      bad(`${name} must be a multiple of ${m} pixels (this UNet's size step), at least ${m}, got ${v}.`);
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
  if (r.init) {
    const s = r.init.strength;
    if (!(s > 0 && s <= 1)) bad(`The reference strength must be above 0 and at most 1, got ${s}.`);
    if (r.init.width !== r.width || r.init.height !== r.height)
      bad(`The init image is ${r.init.width}×${r.init.height} but the request draws ${r.width}×${r.height}.`);
    if (r.init.rgba.length !== r.width * r.height * 4)
      bad(`The init image needs ${r.width * r.height * 4} RGBA bytes, got ${r.init.rgba.length}.`);
  }
  if (r.pin) {
    if (!r.init) bad('A pinned (local) edit needs the original image as its init image.');
    const cells = (r.width / f) * (r.height / f);
    if (r.pin.length !== cells) bad(`The latent mask needs ${cells} cells, got ${r.pin.length}.`);
  }
  for (const region of r.regions ?? []) {
    if (region.chunks.length === 0) bad('Every region needs at least one conditioning chunk.');
    const b = region.box;
    if (!(b.w > 0 && b.h > 0 && b.x >= 0 && b.y >= 0 && b.x + b.w <= 1 + 1e-9 && b.y + b.h <= 1 + 1e-9))
      bad('A region box must lie inside the panel with a width and height above 0.');
  }
}

/** Stage 1: contracts come from the manifest, never from constants here; sessions open lazily. */
export async function checkInputs(
  ctx: PipelineContext,
  request: DiffusionRequest,
  onProgress: ((e: EngineProgress) => void) | undefined,
): Promise<Models> {
  const components = resolveComponents(request.pack, request.overrides);
  const textPc = need(components, 'text-encoder');
  const unetPc = need(components, 'unet');
  const vaePc = need(components, 'vae-decoder');
  const encoderPc = request.init ? need(components, 'vae-encoder') : null;
  const previewPc = request.preview === 'decoder' ? (components.get('preview-decoder') ?? null) : null;
  const text = textEncoderContract(textPc.component);
  const unet = unetContract(unetPc.component);
  const vae = decoderContract(vaePc.component);
  const vaeEnc = encoderPc ? decoderContract(encoderPc.component) : null;
  checkRequest(request, unet, text);
  const tokenizerPc = findById(request.pack, request.overrides, text.tokenizerFrom);

  const list = [textPc, unetPc, vaePc, encoderPc, previewPc].filter((pc) => pc !== null);
  const sessions = new Map<PackComponent, EngineSession>();
  for (const [index, pc] of list.entries()) {
    onProgress?.({ status: 'load', component: pc.component.id, index, total: list.length });
    sessions.set(pc, await ctx.session(pc));
  }
  const open = (pc: PackComponent) => sessions.get(pc) as EngineSession;
  const textSession = open(textPc);
  const unetSession = open(unetPc);
  const vaeSession = open(vaePc);
  const encoderSession = encoderPc ? open(encoderPc) : null;
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
  if (encoderSession && vaeEnc) checkSession(encoderSession, [{ name: vaeEnc.inputName, type: 'float32' }]);
  return {
    textPc,
    unetPc,
    previewPc,
    text,
    unet,
    vae,
    vaeEnc,
    textSession,
    unetSession,
    vaeSession,
    encoderSession,
    previewSession: previewPc ? open(previewPc) : null,
    tokenizer: await ctx.tokenizer(tokenizerPc, text),
  };
}

// ───────────────────────────── 2. encode prompt ─────────────────────────────

export interface Conditioning {
  /** The request's chunks (the scene, when there are regions), weighted and concatenated. */
  positive: EngineTensor;
  /** One state per region, in the request's order. */
  regions: EngineTensor[];
  /** The negative chunk, when classifier-free guidance runs. */
  negative: EngineTensor | null;
  /** Distinct chunks this generation used (the encoder-hit count is this minus the runs). */
  chunkCount: number;
  tokenizeMs: number;
}

/**
 * Binds the encoder cache to this generation's text encoder. Tokens come from the tokenize step
 * (`ids`); a chunk missing there is tokenized on the spot.
 */
function bindTextEncoder(ctx: PipelineContext, models: Models, ids: ReadonlyMap<string, Int32Array>): void {
  const { runtime } = ctx;
  const { text, textSession, tokenizer } = models;
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

/** Cached states of each chunk, weighted and concatenated along the sequence axis. */
async function concatChunks(
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

/** Stage 2: tokenize every chunk (cheap, on the CPU), then one state per conditioning. */
export async function encodePrompt(
  ctx: PipelineContext,
  scope: Scope,
  models: Models,
  request: DiffusionRequest,
): Promise<Conditioning> {
  const tokStarted = performance.now();
  const regions = request.regions ?? [];
  const useCfg = request.guidanceScale > 1 && request.negative !== null;
  const all: PlainChunk[] = [
    ...request.chunks,
    ...regions.flatMap((r) => r.chunks),
    ...(useCfg && request.negative ? [request.negative] : []),
  ];
  const ids = new Map(all.map((c) => [c.text, models.tokenizer.encode(c.text)]));
  const tokenizeMs = performance.now() - tokStarted;

  const cacheKey = (c: PlainChunk) => `${models.textPc.packId}/${models.textPc.component.id}|${c.key}`;
  bindTextEncoder(ctx, models, ids);
  try {
    const positive = await concatChunks(ctx, scope, request.chunks, cacheKey);
    const regionStates: EngineTensor[] = [];
    for (const r of regions) regionStates.push(await concatChunks(ctx, scope, r.chunks, cacheKey));
    const negative =
      useCfg && request.negative ? await concatChunks(ctx, scope, [request.negative], cacheKey) : null;
    return {
      positive,
      regions: regionStates,
      negative,
      chunkCount: new Set(all.map((c) => c.key)).size,
      tokenizeMs,
    };
  } finally {
    ctx.bindEncoder(null);
  }
}

// ───────────────────────────── 3. prepare timesteps ─────────────────────────────

export interface Timesteps {
  scheduler: Scheduler;
  /** The seeded stream every random number of the generation comes from, in a fixed order. */
  generator: GaussianGenerator;
  /** Index of the first step that runs (0 for text-to-image). */
  startStep: number;
  stepsRun: number;
}

/** Steps an init image is denoised for: diffusers' int(steps · strength), at least one. */
export function stepsForStrength(numInferenceSteps: number, strength: number): number {
  return Math.min(numInferenceSteps, Math.max(1, Math.floor(numInferenceSteps * strength + 1e-9)));
}

/** Stage 3: the scheduler's timesteps; an init image starts part-way down the schedule. */
export function prepareTimesteps(models: Models, request: DiffusionRequest): Timesteps {
  const generator = new GaussianGenerator(request.seed);
  const scheduler = createScheduler(schedulerConfig(models.unet.scheduler), { generator });
  scheduler.setTimesteps(request.numInferenceSteps);
  const total = request.numInferenceSteps;
  const stepsRun = request.init ? stepsForStrength(total, request.init.strength) : total;
  return { scheduler, generator, startStep: total - stepsRun, stepsRun };
}

// ───────────────────────────── 4. prepare latents ─────────────────────────────

export interface Latents {
  latents: EngineTensor;
  shape: number[];
  /** With an init image: its scaled latents and the noise that re-noised them (a pinned edit needs both). */
  init: { latents: EngineTensor; noise: EngineTensor } | null;
}

/** Stage 4: seeded noise · initNoiseSigma, or the encoded init image noised to the first step's level. */
export async function prepareLatents(
  ctx: PipelineContext,
  scope: Scope,
  models: Models,
  timesteps: Timesteps,
  request: DiffusionRequest,
): Promise<Latents> {
  const { runtime, ops } = ctx;
  const { unet } = models;
  const shape = [1, unet.latentChannels, request.height / unet.downscale, request.width / unet.downscale];
  const count = shape.reduce((a, b) => a * b, 1);
  const noise = timesteps.generator.randn(count);
  const { encoderSession, vaeEnc } = models;
  const kept = request.init?.latents;
  if (request.init && kept) {
    if (kept.length !== count)
      throw new EngineError(
        'invalid-input',
        `The init image's latents hold ${kept.length} values; ${shape.join('×')} needs ${count}.`,
      );
    const initLatents = scope.own(runtime.tensor('float32', kept, shape));
    const z = scope.own(runtime.tensor('float32', noise, shape));
    const k = timesteps.scheduler.addNoiseCoefficients(timesteps.startStep);
    const latents = scope.own(await ops.affine2(initLatents, z, k.signal, k.noise));
    return { latents, shape, init: { latents: initLatents, noise: z } };
  }
  if (!request.init || !encoderSession || !vaeEnc) {
    const sigma = timesteps.scheduler.initNoiseSigma;
    for (let i = 0; i < count; i++) noise[i] = (noise[i] as number) * sigma;
    return { latents: scope.own(runtime.tensor('float32', noise, shape)), shape, init: null };
  }
  const { rgba, width, height } = request.init;
  const pixels = scope.own(runtime.tensor('float32', rgbaToChw(rgba, width, height), [1, 3, height, width]));
  const out = await encoderSession.run({ [vaeEnc.inputName]: pixels });
  scope.drop(pixels);
  const raw = scope.own(single(out, vaeEnc.outputName, encoderSession, 'latents'));
  const initLatents = scope.own(await ops.scale(raw, vaeEnc.scalingFactor));
  scope.drop(raw);
  const z = scope.own(runtime.tensor('float32', noise, shape));
  const k = timesteps.scheduler.addNoiseCoefficients(timesteps.startStep);
  const latents = scope.own(await ops.affine2(initLatents, z, k.signal, k.noise));
  return { latents, shape, init: { latents: initLatents, noise: z } };
}

// ───────────────────────────── 6. decode ─────────────────────────────

/** Stage 6: undo the VAE scaling factor on the device, then the decoder. Consumes `latents`. */
export async function decode(
  ctx: PipelineContext,
  scope: Scope,
  models: Models,
  latents: EngineTensor,
): Promise<EngineTensor> {
  const { vae, vaeSession } = models;
  const scaled = scope.own(await ctx.ops.scale(latents, 1 / vae.scalingFactor));
  scope.drop(latents);
  const decoded = await vaeSession.run({ [vae.inputName]: scaled });
  scope.drop(scaled);
  return scope.own(single(decoded, vae.outputName, vaeSession, 'image'));
}

// ───────────────────────────── 7. postprocess ─────────────────────────────

export interface Picture {
  /** PNG, or null where the runtime cannot encode images (unit tests) or none was asked for. */
  image: Blob | null;
  /** 8-bit RGBA. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Stage 7: the one readback of the image, then (unless the caller composes it further) PNG. */
export async function postprocess(
  ctx: PipelineContext,
  scope: Scope,
  pixels: EngineTensor,
  png: boolean,
): Promise<Picture> {
  const [, , height, width] = pixels.dims as [number, number, number, number];
  const chw = await ctx.runtime.read(pixels, 'image');
  scope.drop(pixels);
  const rgba = toRgba(chw, width, height);
  return { image: png ? await ctx.encodeImage(rgba, width, height) : null, rgba, width, height };
}
