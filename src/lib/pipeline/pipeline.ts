/**
 * Every pipeline as one composition of the shared stages (stages.ts, denoise.ts), read top to
 * bottom as numbered stages. Text-to-image, image-to-image (the reference collage), regional
 * guidance and the masked edit differ only in three blocks, chosen from the request by
 * `composition()`:
 *   latents     seeded noise │ the init image, encoded and re-noised │ the init image's kept
 *               latents (a picture this engine drew, latent-memory.ts), re-noised  (stage 4)
 *   noise       one UNet call │ the regional batch with feathered masks; ± CFG (stage 5)
 *   afterStep   none │ pin the latents outside the mask to the re-noised original (stage 5)
 * The result says which blocks ran and that the seven stages ran in order.
 */
import { prepareRegional, regionalPredictor, unetBatchIsFree } from './regional';
import {
  denoise,
  pinOutsideMask,
  unetPredictor,
  withGuidance,
  type AfterStep,
  type NoisePredictor,
} from './denoise';
import {
  checkAbort,
  checkInputs,
  decode,
  diff,
  encodePrompt,
  postprocess,
  prepareLatents,
  prepareTimesteps,
  Scope,
  type DiffusionRequest,
  type DiffusionTimings,
  type PipelineContext,
  type RunOptions,
} from './stages';
import type { EngineRuntime, ReadbackCounts } from './types';
import { pictureKey } from './latent-memory';

/** The stages, in the order every pipeline runs them. */
export const STAGES = [
  'check-inputs',
  'encode',
  'prepare-timesteps',
  'prepare-latents',
  'denoise',
  'decode',
  'postprocess',
] as const;
export type StageName = (typeof STAGES)[number];

/** Which blocks a request composes the stages with. */
export interface Composition {
  latents: 'noise' | 'init-image' | 'kept-latents';
  noise: 'unet' | 'regional';
  guidance: 'none' | 'cfg';
  afterStep: 'none' | 'pin-outside-mask';
}

/** The blocks a request asks for (pure: the same choice runDiffusion makes). */
export function composition(request: DiffusionRequest): Composition {
  return {
    latents: request.init ? (request.init.latents ? 'kept-latents' : 'init-image') : 'noise',
    noise: request.regions?.length ? 'regional' : 'unet',
    guidance: request.guidanceScale > 1 && request.negative ? 'cfg' : 'none',
    afterStep: request.pin ? 'pin-outside-mask' : 'none',
  };
}

export interface DiffusionResult {
  /** PNG, or null where the runtime cannot encode images (unit tests) or a caller composes further. */
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
  timings: DiffusionTimings;
  /** Index of the first step that ran (0 for text-to-image). */
  startStep: number;
  stepsRun: number;
  regions: number;
  /** Region predictions ran as one batched UNet call per step. */
  batched: boolean;
  /** The stages that ran, in order, and the blocks they ran with (`predictor` names the noise block). */
  pipeline: Composition & { stages: StageName[]; predictor: string };
}

const now = () => performance.now();

export async function runDiffusion(
  ctx: PipelineContext,
  request: DiffusionRequest,
  options: RunOptions & { png?: boolean } = {},
): Promise<DiffusionResult> {
  const { signal, onProgress } = options;
  const { runtime } = ctx;
  const started = now();
  const ledger = {
    ortMs: runtime.ledger.ortMs,
    runs: runtime.ledger.runs,
    readbacks: { ...runtime.ledger.readbacks },
  };
  const encodesBefore = ctx.encoderCache.encodeCount;
  const blocks = composition(request);
  const ran: StageName[] = [];
  const t: DiffusionTimings = {
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
  const stage = async <T>(name: StageName, work: () => Promise<T> | T): Promise<[T, number]> => {
    ran.push(name);
    const at = now();
    const out = await work();
    return [out, now() - at];
  };
  const scope = new Scope();
  try {
    // 1. Check inputs and open the sessions.
    const [models, loadMs] = await stage('check-inputs', () => checkInputs(ctx, request, onProgress));
    t.loadMs = loadMs;
    checkAbort(signal, 'before encoding');

    // 2. Encode: tokenize, then one state per conditioning (scene, each region, the negative).
    const [cond, encodeMs] = await stage('encode', async () => {
      const c = await encodePrompt(ctx, scope, models, request);
      const sample = models.unetPc.component.graphs[0]?.inputs.find((i) => i.name === models.unet.sampleName);
      const plan = request.regions?.length
        ? await prepareRegional(
            ctx,
            scope,
            c.positive,
            c.regions,
            request.regions.map((r) => r.box),
            { width: request.width / models.unet.downscale, height: request.height / models.unet.downscale },
            unetBatchIsFree(sample?.shape ?? [1]),
          )
        : null;
      return { ...c, plan };
    });
    t.tokenizeMs = cond.tokenizeMs;
    t.encodeMs = encodeMs - cond.tokenizeMs;
    checkAbort(signal, 'after encoding');

    // 3. Prepare timesteps (an init image starts part-way down the schedule).
    const [timesteps] = await stage('prepare-timesteps', () => prepareTimesteps(models, request));

    // 4. Prepare latents: noise, or the init image encoded and re-noised.
    const [latents, latentsMs] = await stage('prepare-latents', () =>
      prepareLatents(ctx, scope, models, timesteps, request),
    );
    if (latents.init) t.vaeEncodeMs = latentsMs;

    // 5. Denoise, with the blocks this request composes.
    const { unet, unetSession } = models;
    const conditional: NoisePredictor = cond.plan
      ? regionalPredictor(ctx, scope, cond.plan, unet, unetSession)
      : unetPredictor(ctx, scope, unet, unetSession, cond.positive);
    const predictor = withGuidance(
      ctx,
      scope,
      conditional,
      cond.negative ? unetPredictor(ctx, scope, unet, unetSession, cond.negative) : null,
      request.guidanceScale,
    );
    let afterStep: AfterStep | null = null;
    if (request.pin && latents.init) {
      const [, , lh, lw] = latents.shape as [number, number, number, number];
      const mask = scope.own(runtime.tensor('float32', request.pin, [1, 1, lh, lw]));
      afterStep = pinOutsideMask(ctx, scope, mask, latents.init, timesteps.scheduler);
    }
    const preview =
      request.preview === 'none'
        ? null
        : {
            decoder:
              models.previewSession && models.previewPc
                ? { session: models.previewSession, pc: models.previewPc }
                : null,
          };
    // A fresh picture (not an edit, whose pixels are pasted) keeps its final latents for later edits:
    // one small readback, inside this stage so that its wait for the GPU is counted here.
    const memory = request.pin ? null : ctx.memory;
    const [{ final, kept }, denoiseMs] = await stage('denoise', async () => {
      const out = await denoise(ctx, scope, {
        scheduler: timesteps.scheduler,
        generator: timesteps.generator,
        latents: latents.latents,
        shape: latents.shape,
        startStep: timesteps.startStep,
        predictor,
        afterStep,
        preview,
        signal,
        onProgress,
      });
      return { final: out, kept: memory ? await runtime.read(out, 'kept') : null };
    });
    t.denoiseMs = denoiseMs;

    // 6. Decode.
    const [pixels, decodeMs] = await stage('decode', () => decode(ctx, scope, models, final));
    t.decodeMs = decodeMs;

    // 7. Postprocess: the one readback, then PNG.
    const [picture, postMs] = await stage('postprocess', () =>
      postprocess(ctx, scope, pixels, options.png ?? true),
    );
    t.postprocessMs = postMs;
    if (memory && kept)
      memory.keep(await pictureKey(picture.rgba, picture.width, picture.height), {
        width: picture.width,
        height: picture.height,
        shape: latents.shape as [number, number, number, number],
        data: kept,
      });

    t.totalMs = now() - started;
    t.ortMs = runtime.ledger.ortMs - ledger.ortMs;
    const encoderRuns = ctx.encoderCache.encodeCount - encodesBefore;
    const { scheduler } = timesteps;
    return {
      ...picture,
      seed: request.seed,
      scheduler: scheduler.className,
      timesteps: Array.from(scheduler.timesteps),
      backend: runtime.backend,
      encoderRuns,
      encoderHits: cond.chunkCount - encoderRuns,
      ortRuns: runtime.ledger.runs - ledger.runs,
      readbacks: diff(runtime.ledger.readbacks, ledger.readbacks),
      timings: t,
      startStep: timesteps.startStep,
      stepsRun: timesteps.stepsRun,
      regions: request.regions?.length ?? 0,
      batched: cond.plan?.batch != null,
      pipeline: { ...blocks, stages: ran, predictor: predictor.name },
    };
  } finally {
    ctx.bindEncoder(null);
    scope.disposeAll();
  }
}

/**
 * A public pipeline: the composition with the blocks it never uses switched off, so a request of
 * that pipeline cannot reach them (text-to-image fixes regions, init and pin to null).
 */
export function variant<R extends Omit<DiffusionRequest, 'regions' | 'init' | 'pin'>>(
  off: Partial<Pick<DiffusionRequest, 'regions' | 'init' | 'pin'>>,
): (ctx: PipelineContext, request: R, options?: RunOptions) => Promise<DiffusionResult> {
  return (ctx, request, options = {}) => runDiffusion(ctx, { ...request, ...off }, options);
}
