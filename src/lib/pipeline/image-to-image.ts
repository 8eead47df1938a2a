/**
 * Guided generation, read top to bottom as numbered stages like text-to-image, with three
 * optional additions that compose:
 *  - regional guidance (`regions`): per-character predictions blended with feathered masks,
 *    batched into one UNet call per step where the UNet's batch axis is free (regional.ts);
 *  - image-to-image (`init`): the pack's VAE encoder turns an init image (the reference collage,
 *    or a crop for a local edit) into latents, noised to the level of the first step that runs
 *    (`strength` 1 runs every step, 0.5 the second half);
 *  - pinning (`pin`, used by masked-edit.ts): after every step the latents outside the mask are
 *    replaced by the init latents re-noised to the current level, so only the masked cells change.
 * Latents, noise, masks and predictions stay on the device; pixels are read back once.
 */
import { createScheduler, GaussianGenerator, type Scheduler } from '../schedulers';
import {
  checkSession,
  decoderContract,
  need,
  resolveComponents,
  schedulerConfig,
  textEncoderContract,
  unetContract,
  type PackComponent,
} from './contracts';
import { toRgba } from './image';
import { rgbaToChw } from './mask';
import { predictRegional, prepareRegional, unetBatchIsFree, type RegionSpec } from './regional';
import {
  bindTextEncoder,
  checkAbort,
  checkInputs,
  concatChunks,
  diff,
  findById,
  loadSessions,
  predictNoise,
  Scope,
  snapshot,
  stepPreview,
  timestepTensor,
  type PipelineContext,
  type PlainChunk,
  type TextToImageRequest,
  type TextToImageResult,
  type TextToImageTimings,
} from './text-to-image';
import {
  EngineError,
  type EngineProgress,
  type EngineSession,
  type EngineTensor,
  type StepPreview,
} from './types';

export type { RegionSpec };

export interface ImageInit {
  /** 8-bit RGBA at the request's width and height. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  /** How much of the schedule runs over the init image: 0 < strength ≤ 1. */
  strength: number;
}

export interface GuidedRequest extends TextToImageRequest {
  /**
   * Regional guidance: each region's chunks condition the prediction inside its box; the
   * request's own `chunks` are the shared scene (background) conditioning.
   */
  regions?: RegionSpec[] | null;
  /** Image-to-image from this image. */
  init?: ImageInit | null;
}

/** Local editing: keep latents where `mask` is 0 on the init image's (re-noised) latents. */
export interface PinSpec {
  /** [height / f, width / f] latent cells: 1 regenerates, 0 keeps the original. */
  mask: Float32Array;
}

export interface GuidedResult extends TextToImageResult {
  /** Index of the first step that ran (0 for text-to-image). */
  startStep: number;
  stepsRun: number;
  regions: number;
  /** Region predictions ran as one batched UNet call per step. */
  batched: boolean;
  timings: TextToImageTimings & { vaeEncodeMs: number };
}

const now = () => performance.now();

/** Steps an init image is denoised for: diffusers' int(steps · strength), at least one. */
export function stepsForStrength(numInferenceSteps: number, strength: number): number {
  return Math.min(numInferenceSteps, Math.max(1, Math.floor(numInferenceSteps * strength + 1e-9)));
}

function checkGuided(r: GuidedRequest, pin: PinSpec | null, downscale: number): void {
  const bad = (m: string): never => {
    throw new EngineError('invalid-input', m);
  };
  if (r.init) {
    const s = r.init.strength;
    if (!(s > 0 && s <= 1)) bad(`The reference strength must be above 0 and at most 1, got ${s}.`);
    if (r.init.width !== r.width || r.init.height !== r.height)
      bad(`The init image is ${r.init.width}×${r.init.height} but the request draws ${r.width}×${r.height}.`);
    if (r.init.rgba.length !== r.width * r.height * 4)
      bad(`The init image needs ${r.width * r.height * 4} RGBA bytes, got ${r.init.rgba.length}.`);
  }
  if (pin) {
    if (!r.init) bad('A pinned (local) edit needs the original image as its init image.');
    const cells = (r.width / downscale) * (r.height / downscale);
    if (pin.mask.length !== cells) bad(`The latent mask needs ${cells} cells, got ${pin.mask.length}.`);
  }
  for (const region of r.regions ?? []) {
    if (region.chunks.length === 0) bad('Every region needs at least one conditioning chunk.');
    const b = region.box;
    if (!(b.w > 0 && b.h > 0 && b.x >= 0 && b.y >= 0 && b.x + b.w <= 1 + 1e-9 && b.y + b.h <= 1 + 1e-9))
      bad('A region box must lie inside the panel with a width and height above 0.');
  }
}

export async function guidedGenerate(
  ctx: PipelineContext,
  request: GuidedRequest,
  options: { signal?: AbortSignal; onProgress?: (e: EngineProgress) => void; pin?: PinSpec | null } = {},
): Promise<GuidedResult> {
  const { signal, onProgress } = options;
  const pin = options.pin ?? null;
  const { runtime, ops } = ctx;
  const started = now();
  const ledgerStart = {
    ortMs: runtime.ledger.ortMs,
    runs: runtime.ledger.runs,
    readbacks: snapshot(runtime.ledger.readbacks),
  };
  const encodesBefore = ctx.encoderCache.encodeCount;
  const t: GuidedResult['timings'] = {
    totalMs: 0,
    loadMs: 0,
    tokenizeMs: 0,
    encodeMs: 0,
    vaeEncodeMs: 0,
    denoiseMs: 0,
    decodeMs: 0,
    postprocessMs: 0,
    ortMs: 0,
  };
  const scope = new Scope();
  const regions = request.regions ?? [];

  try {
    // 1. Check inputs.
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
    checkInputs(request, unet, text);
    checkGuided(request, pin, unet.downscale);
    const tokenizerPc = findById(request.pack, request.overrides, text.tokenizerFrom);

    const loadStarted = now();
    const list: PackComponent[] = [textPc, unetPc, vaePc];
    if (encoderPc) list.push(encoderPc);
    if (previewPc) list.push(previewPc);
    const sessions = await loadSessions(ctx, list, onProgress);
    const [textSession, unetSession, vaeSession] = sessions as [EngineSession, EngineSession, EngineSession];
    const encoderSession = encoderPc ? (sessions[3] ?? null) : null;
    const previewSession = previewPc ? (sessions[list.length - 1] ?? null) : null;
    checkSession(unetSession, [
      { name: unet.sampleName, type: 'float32' },
      { name: unet.timestepName, type: unet.timestepType },
      { name: unet.statesName, type: 'float32' },
      { name: unet.outputName, type: 'float32' },
    ]);
    checkSession(vaeSession, [{ name: vae.inputName, type: 'float32' }]);
    if (encoderSession && vaeEnc) checkSession(encoderSession, [{ name: vaeEnc.inputName, type: 'float32' }]);
    const tokenizer = await ctx.tokenizer(tokenizerPc, text);
    t.loadMs = now() - loadStarted;
    checkAbort(signal, 'before encoding');

    // 2. Tokenize every chunk of every region.
    const tokStarted = now();
    const useCfg = request.guidanceScale > 1;
    const all: PlainChunk[] = [
      ...request.chunks,
      ...regions.flatMap((r) => r.chunks),
      ...(useCfg && request.negative ? [request.negative] : []),
    ];
    const ids = new Map(all.map((c) => [c.text, tokenizer.encode(c.text)]));
    t.tokenizeMs = now() - tokStarted;

    // 3. Encode: cached per chunk; one state per region (and the scene), then the regional plan.
    const encStarted = now();
    const cacheKey = (c: PlainChunk) => `${textPc.packId}/${textPc.component.id}|${c.key}`;
    bindTextEncoder(ctx, textSession, text, tokenizer, ids);
    const positive = await concatChunks(ctx, scope, request.chunks, cacheKey);
    const regionStates: EngineTensor[] = [];
    for (const r of regions) regionStates.push(await concatChunks(ctx, scope, r.chunks, cacheKey));
    const negative =
      useCfg && request.negative ? await concatChunks(ctx, scope, [request.negative], cacheKey) : null;
    ctx.bindEncoder(null);
    const latentW = request.width / unet.downscale;
    const latentH = request.height / unet.downscale;
    const sampleSpec = unetPc.component.graphs[0]?.inputs.find((i) => i.name === unet.sampleName);
    const plan = regions.length
      ? await prepareRegional(
          ctx,
          scope,
          positive,
          regionStates,
          regions.map((r) => r.box),
          { width: latentW, height: latentH },
          unetBatchIsFree(sampleSpec?.shape ?? [1]),
        )
      : null;
    t.encodeMs = now() - encStarted;
    checkAbort(signal, 'after encoding');

    // 4. Prepare timesteps; an init image starts part-way down the schedule.
    const generator = new GaussianGenerator(request.seed);
    const scheduler: Scheduler = createScheduler(schedulerConfig(unet.scheduler), { generator });
    scheduler.setTimesteps(request.numInferenceSteps);
    const total = request.numInferenceSteps;
    const stepsRun = request.init ? stepsForStrength(total, request.init.strength) : total;
    const startStep = total - stepsRun;

    // 5. Prepare latents: noise, or the encoded init image noised to the first step's level.
    const shape = [1, unet.latentChannels, latentH, latentW];
    const count = shape.reduce((a, b) => a * b, 1);
    const noiseData = generator.randn(count);
    let latents: EngineTensor;
    let initLatents: EngineTensor | null = null;
    let noise: EngineTensor | null = null;
    let maskTensor: EngineTensor | null = null;
    if (request.init && encoderSession && vaeEnc) {
      const encStart = now();
      const pixels = scope.own(
        runtime.tensor('float32', rgbaToChw(request.init.rgba, request.width, request.height), [
          1,
          3,
          request.height,
          request.width,
        ]),
      );
      const out = await encoderSession.run({ [vaeEnc.inputName]: pixels });
      scope.drop(pixels);
      const raw = out[vaeEnc.outputName] ?? Object.values(out)[0];
      for (const tensor of Object.values(out)) if (tensor !== raw) tensor.dispose();
      if (!raw) throw new EngineError('engine-failed', `${encoderSession.label} returned no latents.`);
      scope.own(raw);
      initLatents = scope.own(await ops.scale(raw, vaeEnc.scalingFactor));
      scope.drop(raw);
      noise = scope.own(runtime.tensor('float32', noiseData, shape));
      const k = scheduler.addNoiseCoefficients(startStep);
      latents = scope.own(await ops.affine2(initLatents, noise, k.signal, k.noise));
      if (pin)
        maskTensor = scope.own(
          runtime.tensor('float32', Float32Array.from(pin.mask), [1, 1, latentH, latentW]),
        );
      t.vaeEncodeMs = now() - encStart;
    } else {
      const sigma = scheduler.initNoiseSigma;
      for (let i = 0; i < count; i++) noiseData[i] = (noiseData[i] ?? 0) * sigma;
      latents = scope.own(runtime.tensor('float32', noiseData, shape));
    }

    // 6. Denoise the steps that run.
    const denoiseStarted = now();
    for (let i = startStep; i < total; i++) {
      checkAbort(signal, `after step ${i - startStep} of ${stepsRun}`);
      const k = scheduler.stepCoefficients(i);
      const modelInput = scope.own(await ops.scale(latents, k.inputScale));
      let eps: EngineTensor;
      if (plan) {
        const ts = timestepTensor(runtime, unet, k.timestep);
        try {
          eps = await predictRegional(ctx, scope, plan, unet, unetSession, modelInput, ts);
        } finally {
          ts.dispose();
        }
        if (negative) {
          const uncond = await predictNoise(
            ctx,
            scope,
            unet,
            unetSession,
            modelInput,
            k.timestep,
            negative,
            null,
            1,
          );
          const guided = scope.own(await ops.cfg(uncond, eps, request.guidanceScale));
          scope.drop(uncond);
          scope.drop(eps);
          eps = guided;
        }
      } else
        eps = await predictNoise(
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
      if (maskTensor && initLatents && noise) {
        // Outside the mask: the original, at the noise level the next step expects (none after the last).
        const level = i + 1 < total ? scheduler.addNoiseCoefficients(i + 1) : { signal: 1, noise: 0 };
        const pinned = scope.own(
          await ops.pin(latents, maskTensor, initLatents, noise, level.signal, level.noise),
        );
        scope.drop(latents);
        latents = pinned;
      }
      onProgress?.({ status: 'step', step: i - startStep + 1, total: stepsRun, preview });
      if (request.stepDelayMs && i + 1 < total) await ctx.sleep(request.stepDelayMs);
    }
    t.denoiseMs = now() - denoiseStarted;
    checkAbort(signal, `after step ${stepsRun} of ${stepsRun}`);

    // 7. Decode.
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

    // 8. Postprocess: one readback, then PNG (a local edit pastes first and encodes itself).
    const postStarted = now();
    const [, , height, width] = pixels.dims as [number, number, number, number];
    const chw = await runtime.read(pixels, 'image');
    scope.drop(pixels);
    const rgba = toRgba(chw, width, height);
    const image = pin ? null : await ctx.encodeImage(rgba, width, height);
    t.postprocessMs = now() - postStarted;

    t.totalMs = now() - started;
    t.ortMs = runtime.ledger.ortMs - ledgerStart.ortMs;
    const encoderRuns = ctx.encoderCache.encodeCount - encodesBefore;
    return {
      image,
      rgba,
      width,
      height,
      seed: request.seed,
      scheduler: scheduler.className,
      timesteps: Array.from(scheduler.timesteps),
      backend: runtime.backend,
      encoderRuns,
      encoderHits: new Set(all.map((c) => c.key)).size - encoderRuns,
      ortRuns: runtime.ledger.runs - ledgerStart.runs,
      readbacks: diff(runtime.ledger.readbacks, ledgerStart.readbacks),
      timings: t,
      startStep,
      stepsRun,
      regions: regions.length,
      batched: plan?.batch != null,
    };
  } finally {
    ctx.bindEncoder(null);
    scope.disposeAll();
  }
}

/** Image-to-image (optionally regional) as the pipeline's public name. */
export const imageToImage = (
  ctx: PipelineContext,
  request: GuidedRequest,
  options: { signal?: AbortSignal; onProgress?: (e: EngineProgress) => void } = {},
): Promise<GuidedResult> => guidedGenerate(ctx, request, options);
