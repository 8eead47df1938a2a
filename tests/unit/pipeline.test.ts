/**
 * The diffusion engine on the tiny twins, under Node's onnxruntime-web (WASM): the real stages,
 * the real helper graphs and the real encoder cache; only the tokenizer is a stand-in (the real
 * transformers.js tokenizer runs in the e2e suite).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import { compilePanel } from '../../src/lib/prompt';
import { newCastMember, newCharacter, newPanel, newStory } from '../../src/lib/domain';
import {
  composition,
  DiffusionEngine,
  EngineError,
  maxAbsDiff,
  STAGES,
  stepDelay,
  type EngineProgress,
  type EngineRuntime,
  type ModelFiles,
  type PlainChunk,
  type StepEnd,
  type TextToImageRequest,
} from '../../src/lib/pipeline';
import { applyStep } from '../../src/lib/schedulers/affine';
import { createScheduler, GaussianGenerator } from '../../src/lib/schedulers';
import { OrtEngineRuntime } from '../../src/lib/runtime/engine-ort';
import { schedulerConfig, unetContract } from '../../src/lib/pipeline/contracts';
import { ensureForged } from '../helpers/forge';
import { twinFiles } from '../helpers/twin-files';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLIC = join(ROOT, 'public');

let tiny: Pack;
let bench: Pack;

beforeAll(async () => {
  await ensureForged();
  tiny = validatePack(JSON.parse(readFileSync(join(ROOT, 'models/tiny-pack.json'), 'utf8')));
  bench = validatePack(JSON.parse(readFileSync(join(ROOT, 'models/bench-pack.json'), 'utf8')));
}, 60_000);

const files: ModelFiles = twinFiles();
const helper = (file: string) =>
  Promise.resolve(new Uint8Array(readFileSync(join(PUBLIC, 'models/helpers', file))));

function makeEngine(options: { budgetBytes?: number; runtime?: EngineRuntime } = {}) {
  const runtime = options.runtime ?? new OrtEngineRuntime(ort, { backend: 'wasm' });
  const engine = new DiffusionEngine({
    runtime,
    files,
    helper,
    budgetBytes: options.budgetBytes,
  });
  return { engine, runtime };
}

const mira = { ...newCharacter(1, 'Mira'), hair: 'red', verified: true, templateVersion: 3 };
const story = { ...newStory(1, 'Test'), style: 'picture book' };
const basePanel = newPanel(story.id, 1);

function panelChunks(expression: 'neutral' | 'smiling' | 'angry' = 'neutral') {
  const panel = structuredClone(basePanel);
  panel.cast = [{ ...newCastMember(mira.id), expression }];
  panel.scene.location = 'harbour';
  return compilePanel(panel, story, new Map([[mira.id, mira]]));
}

function request(over: Partial<TextToImageRequest> = {}): TextToImageRequest {
  const compiled = panelChunks();
  return {
    pack: tiny,
    chunks: compiled.chunks as PlainChunk[],
    negative: compiled.negative,
    seed: 42,
    width: 64,
    height: 64,
    numInferenceSteps: 2,
    guidanceScale: 0,
    preview: 'approx',
    ...over,
  };
}

describe('DiffusionEngine on the tiny twins (WASM)', () => {
  it('draws a 64×64 image through the numbered stages with one step event per step', async () => {
    const { engine } = makeEngine();
    const events: EngineProgress[] = [];
    const r = await engine.generate(request(), { onProgress: (e) => events.push(e) });
    expect(r.width).toBe(64);
    expect(r.height).toBe(64);
    expect(r.rgba.length).toBe(64 * 64 * 4);
    expect(r.timesteps).toEqual([999, 499]);
    const steps = events.filter((e) => e.status === 'step');
    expect(steps.map((e) => e.status === 'step' && e.step)).toEqual([1, 2]);
    const preview = steps[0]?.status === 'step' ? steps[0].preview : null;
    expect(preview?.width).toBe(8);
    // The picture is not flat: the twins draw noise, and the noise reaches the pixels.
    const values = new Set(r.rgba.filter((_, i) => i % 4 === 0));
    expect(values.size).toBeGreaterThan(20);
    // 3 chunks (identity, transient, scene), encoded once each; the negative is unused without CFG.
    expect(r.encoderRuns).toBe(3);
    // encoder 3 + concat 2 + per step: scale, unet, x0, rgb, step (5) × 2 + decode: scale, vae = 17
    expect(r.ortRuns).toBe(17);
    await engine.dispose();
  }, 60_000);

  it('gives the identical image for the same seed and a different one for another seed', async () => {
    const { engine } = makeEngine();
    const a = await engine.generate(request({ seed: 7 }));
    const b = await engine.generate(request({ seed: 7 }));
    const c = await engine.generate(request({ seed: 8 }));
    expect(maxAbsDiff(a.rgba, b.rgba)).toBe(0);
    expect(maxAbsDiff(a.rgba, c.rgba)).toBeGreaterThan(10);
    await engine.dispose();
  }, 60_000);

  it('re-encodes only the transient chunk when only the expression changes, and the image changes', async () => {
    const { engine } = makeEngine();
    const first = await engine.generate(request({ chunks: panelChunks('neutral').chunks as PlainChunk[] }));
    const second = await engine.generate(request({ chunks: panelChunks('angry').chunks as PlainChunk[] }));
    expect(first.encoderRuns).toBe(3);
    expect(second.encoderRuns).toBe(1);
    expect(second.encoderHits).toBe(2);
    expect(engine.stats().encoderRuns).toBe(4);
    expect(maxAbsDiff(first.rgba, second.rgba)).toBeGreaterThan(0);
    await engine.dispose();
  }, 60_000);

  it('matches the CPU reference: scheduler step on the CPU, same UNet, same decoder', async () => {
    const { engine } = makeEngine();
    const req = request({
      numInferenceSteps: 1,
      preview: 'none',
      chunks: [panelChunks().chunks[2] as PlainChunk],
    });
    const r = await engine.generate(req);
    // The same generation by hand: CPU scheduler math, sessions straight from ORT.
    const unet = unetContract(tiny.components.find((c) => c.role === 'unet')!);
    const scheduler = createScheduler(schedulerConfig(unet.scheduler));
    scheduler.setTimesteps(1);
    const n = 4 * 8 * 8;
    const latents = new GaussianGenerator(42).randn(n).map((v) => v * scheduler.initNoiseSigma);
    const open = (p: string) => ort.InferenceSession.create(readFileSync(join(PUBLIC, 'models/tiny', p)));
    const [te, un, vae] = await Promise.all([
      open('text-encoder/text_encoder/model.onnx'),
      open('unet/unet/model.onnx'),
      open('vae-decoder/vae_decoder/model.onnx'),
    ]);
    const chunk = req.chunks[0]!;
    const ids = await files.tokenizer(
      null as never,
      { maxLength: 77, padTokenId: 0, bosTokenId: 296, eosTokenId: 297 } as never,
    );
    const states = (await te.run({ input_ids: new ort.Tensor('int32', ids.encode(chunk.text), [1, 77]) }))
      .last_hidden_state!;
    const eps = (
      await un.run({
        sample: new ort.Tensor('float32', scheduler.scaleModelInput(latents, 0), [1, 4, 8, 8]),
        timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
        encoder_hidden_states: states,
      })
    ).out_sample!.data as Float32Array;
    const prev = applyStep(scheduler.stepCoefficients(0), eps, latents, undefined).prevSample;
    const img = (
      await vae.run({
        latent_sample: new ort.Tensor(
          'float32',
          prev.map((v) => v / 0.18215),
          [1, 4, 8, 8],
        ),
      })
    ).sample!.data as Float32Array;
    const rgba = new Uint8ClampedArray(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++)
      for (let ch = 0; ch < 3; ch++) rgba[i * 4 + ch] = Math.round(((img[ch * 4096 + i] ?? 0) + 1) * 127.5);
    for (let i = 0; i < 64 * 64; i++) rgba[i * 4 + 3] = 255;
    expect(maxAbsDiff(r.rgba, rgba)).toBeLessThanOrEqual(1);
    await engine.dispose();
  }, 60_000);

  it('weights chunks and concatenates them on the sequence axis (weight 0 on a chunk changes the image)', async () => {
    const { engine } = makeEngine();
    const chunks = panelChunks().chunks as PlainChunk[];
    const a = await engine.generate(request({ chunks, preview: 'none' }));
    const b = await engine.generate(
      request({ chunks: chunks.map((c, i) => (i === 1 ? { ...c, weight: 0 } : c)), preview: 'none' }),
    );
    expect(b.encoderRuns).toBe(0);
    expect(maxAbsDiff(a.rgba, b.rgba)).toBeGreaterThan(0);
    await engine.dispose();
  }, 60_000);

  it('runs classifier-free guidance with the negative chunk when guidance > 1', async () => {
    const { engine } = makeEngine();
    // The tiny pack's UNet allows up to 4 steps; guidance is the request's.
    const r = await engine.generate(request({ guidanceScale: 3, preview: 'none', numInferenceSteps: 1 }));
    expect(r.encoderRuns).toBe(4);
    // encoder 4 + concat 2 + scale + 2 unet + cfg + step + decode scale + vae
    expect(r.ortRuns).toBe(13);
    await engine.dispose();
  }, 60_000);

  it('stops between steps when the signal aborts, and the engine keeps working', async () => {
    const { engine } = makeEngine();
    const controller = new AbortController();
    const steps: number[] = [];
    const run = engine.generate(request({ numInferenceSteps: 4 }), {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status !== 'step') return;
        steps.push(e.step);
        if (e.step === 1) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(steps).toEqual([1]);
    const after = await engine.generate(request({ numInferenceSteps: 1 }));
    expect(after.width).toBe(64);
    await engine.dispose();
  }, 60_000);

  it('refuses bad inputs with a sentence', async () => {
    const { engine } = makeEngine();
    await expect(engine.generate(request({ width: 60 }))).rejects.toThrow(
      "Width must be a multiple of 64 pixels (this UNet's size step), at least 64, got 60.",
    );
    await expect(engine.generate(request({ numInferenceSteps: 9 }))).rejects.toThrow(
      'This model runs 1 to 4 inference steps, got 9.',
    );
    await expect(engine.generate(request({ chunks: [] }))).rejects.toBeInstanceOf(EngineError);
    await engine.dispose();
  }, 60_000);

  it('releases least-recently-used sessions under the memory budget and reloads them', async () => {
    const unetBytes = tiny.components.find((c) => c.role === 'unet')!.files[0]!.bytes;
    const { engine } = makeEngine({ budgetBytes: 300_000 });
    await engine.generate(request({ numInferenceSteps: 1, preview: 'none' }));
    const first = engine.stats();
    expect(first.loadedBytes).toBeLessThanOrEqual(300_000);
    // The bench UNet over the tiny pack: the tiny UNet is released to make room.
    await engine.generate(
      request({ numInferenceSteps: 1, preview: 'none', overrides: [bench], width: 64, height: 64 }),
    );
    const second = engine.stats();
    expect(second.loaded.some((l) => l.key.startsWith('tiny/unet'))).toBe(false);
    expect(second.loaded.some((l) => l.key.startsWith('bench/unet'))).toBe(true);
    // The bench UNet, and the VAE decoder that made room for it and was needed again.
    expect(second.sessionLoads).toBe(first.sessionLoads + 2);
    expect(unetBytes).toBeGreaterThan(0);
    await engine.release();
    expect(engine.stats().loaded).toEqual([]);
    await engine.dispose();
  }, 60_000);
});

describe('one pipeline: the variants are compositions of the same stages', () => {
  const pattern = (w: number, h: number) =>
    new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7 + (i >> 8) * 13) % 256));

  it('chooses the blocks from the request and nothing else', () => {
    const r = request();
    const init = { rgba: pattern(64, 64), width: 64, height: 64, strength: 0.5 };
    const region = { characterId: null, box: { x: 0, y: 0, w: 0.5, h: 1 }, chunks: r.chunks };
    expect(composition(r)).toEqual({ latents: 'noise', noise: 'unet', guidance: 'none', afterStep: 'none' });
    expect(composition({ ...r, guidanceScale: 3 }).guidance).toBe('cfg');
    expect(composition({ ...r, guidanceScale: 3, negative: null }).guidance).toBe('none');
    expect(composition({ ...r, init })).toMatchObject({ latents: 'init-image', noise: 'unet' });
    expect(composition({ ...r, regions: [region] })).toMatchObject({ latents: 'noise', noise: 'regional' });
    expect(composition({ ...r, init, pin: new Float32Array(64) })).toMatchObject({
      latents: 'init-image',
      afterStep: 'pin-outside-mask',
    });
  });

  it('runs the seven stages in order for text-to-image, image-to-image, regional guidance and the masked edit', async () => {
    const { engine } = makeEngine();
    const r = request({ preview: 'none', numInferenceSteps: 2 });
    const init = { rgba: pattern(64, 64), width: 64, height: 64, strength: 1 };
    const region = (x: number) => ({ characterId: null, box: { x, y: 0, w: 0.5, h: 1 }, chunks: r.chunks });
    const t2i = await engine.generate(r);
    const cfg = await engine.generate({ ...r, guidanceScale: 3 });
    const i2i = await engine.generateGuided({ ...r, init });
    const regional = await engine.generateGuided({ ...r, regions: [region(0), region(0.5)] });
    const edit = await engine.edit({
      pack: tiny,
      base: { rgba: t2i.rgba, width: 64, height: 64 },
      mask: { box: { x: 0.25, y: 0.25, w: 0.5, h: 0.5 } },
      chunks: r.chunks,
      negative: null,
      seed: 3,
      strength: 1,
      numInferenceSteps: 2,
      guidanceScale: 0,
    });
    for (const g of [t2i, cfg, i2i, regional, edit.generation])
      expect(g.pipeline.stages).toEqual([...STAGES]);
    const blocks = (g: typeof t2i.pipeline) => [g.latents, g.predictor, g.afterStep];
    expect(blocks(t2i.pipeline)).toEqual(['noise', 'unet', 'none']);
    expect(blocks(cfg.pipeline)).toEqual(['noise', 'unet+cfg', 'none']);
    expect(blocks(i2i.pipeline)).toEqual(['init-image', 'unet', 'none']);
    expect(blocks(regional.pipeline)).toEqual(['noise', 'regional-batched', 'none']);
    // The edited picture is one this engine drew: its kept latents replace the VAE encoder.
    expect(blocks(edit.generation.pipeline)).toEqual(['kept-latents', 'unet', 'pin-outside-mask']);
    // A picture it did not draw (one byte differs) goes through the encoder.
    const foreign = Uint8ClampedArray.from(t2i.rgba);
    foreign[0] = (foreign[0] as number) ^ 1;
    const encoded = await engine.edit({
      pack: tiny,
      base: { rgba: foreign, width: 64, height: 64 },
      mask: { box: { x: 0.25, y: 0.25, w: 0.5, h: 0.5 } },
      chunks: r.chunks,
      negative: null,
      seed: 3,
      strength: 1,
      numInferenceSteps: 2,
      guidanceScale: 0,
    });
    expect(blocks(encoded.generation.pipeline)).toEqual(['init-image', 'unet', 'pin-outside-mask']);
    // Only the blocks differ: i2i runs the VAE encoder, the edit one pin per step on top of that;
    // the kept latents save the encoder and its scaling.
    const runs = (g: { ortRuns: number; encoderRuns: number }) => g.ortRuns - g.encoderRuns;
    expect(runs(i2i)).toBe(runs(t2i) + 3); // VAE encode, its scaling, the re-noising
    expect(runs(encoded.generation)).toBe(runs(i2i) + 2);
    expect(runs(edit.generation)).toBe(runs(i2i));
    for (const g of [t2i, cfg, i2i, regional, edit.generation, encoded.generation])
      expect(g.readbacks.latent).toBe(0);
    // (On WASM the kept latents are already on the CPU: no readback is counted under `kept`.)
    // Text-to-image is the composition with regions, init and pin switched off, whatever it is sent.
    const sneaked = await engine.generate({ ...r, init, regions: [region(0)] } as TextToImageRequest);
    expect(maxAbsDiff(sneaked.rgba, t2i.rgba)).toBe(0);
    expect(sneaked.pipeline.latents).toBe('noise');
    await engine.dispose();
  }, 60_000);

  it('starts an edit of a picture it drew from that picture’s own latents: nearer the original than a VAE round trip', async () => {
    const { engine } = makeEngine();
    const r = request({ preview: 'none', numInferenceSteps: 4 });
    const drawn = await engine.generate(r);
    const foreign = Uint8ClampedArray.from(drawn.rgba);
    foreign[0] = (foreign[0] as number) ^ 1; // outside the box: only the memory's key differs
    const edit = (rgba: Uint8ClampedArray) =>
      engine.edit({
        pack: tiny,
        base: { rgba, width: 64, height: 64 },
        mask: { box: { x: 0.25, y: 0.25, w: 0.5, h: 0.5 } },
        chunks: r.chunks,
        negative: null,
        seed: 5,
        strength: 0.25,
        numInferenceSteps: 4,
        guidanceScale: 0,
      });
    const kept = await edit(drawn.rgba);
    const encoded = await edit(foreign);
    expect(kept.generation.pipeline.latents).toBe('kept-latents');
    expect(encoded.generation.pipeline.latents).toBe('init-image');
    const drift = (out: Uint8ClampedArray) => {
      let sum = 0;
      for (let y = 16; y < 48; y++)
        for (let x = 16; x < 48; x++)
          for (let c = 0; c < 3; c++)
            sum += Math.abs(
              (out[(y * 64 + x) * 4 + c] as number) - (drawn.rgba[(y * 64 + x) * 4 + c] as number),
            );
      return sum / (32 * 32 * 3);
    };
    expect(drift(kept.rgba)).toBeLessThan(drift(encoded.rgba));
    await engine.dispose();
  }, 60_000);

  it('tells the step hooks about the end of every step: the installed one, then the caller’s', async () => {
    const { engine } = makeEngine();
    const seen: string[] = [];
    engine.setStepHook((e: StepEnd) => void seen.push(`engine ${e.step}/${e.total} t=${e.timestep}`));
    const progress: number[] = [];
    await engine.generate(request({ numInferenceSteps: 2, preview: 'none' }), {
      onProgress: (e) => e.status === 'step' && progress.push(e.step),
      onStep: (e) => void seen.push(`call ${e.step}/${e.total}`),
    });
    expect(seen).toEqual(['engine 1/2 t=999', 'call 1/2', 'engine 2/2 t=499', 'call 2/2']);
    expect(progress).toEqual([1, 2]);
    // Over an init image the hook counts the steps that run.
    seen.length = 0;
    const init = { rgba: pattern(64, 64), width: 64, height: 64, strength: 0.5 };
    await engine.generateGuided({ ...request({ numInferenceSteps: 4, preview: 'none' }), init });
    expect(seen).toEqual(['engine 1/2 t=499', 'engine 2/2 t=249']);
    engine.setStepHook(null);
    await engine.generate(request({ numInferenceSteps: 1, preview: 'none' }));
    expect(seen).toHaveLength(2);
    await engine.dispose();
  }, 60_000);

  it('slows the steps down through a hook, not a request field: the delay runs between steps, and a cancel lands before the next one', async () => {
    const slept: number[] = [];
    const delay = stepDelay(600, (ms) => {
      slept.push(ms);
      return Promise.resolve();
    });
    expect(stepDelay(0)).toBeNull();
    expect(Object.keys(request())).not.toContain('stepDelayMs');
    const { engine } = makeEngine();
    engine.setStepHook(delay);
    await engine.generate(request({ numInferenceSteps: 3, preview: 'none' }));
    expect(slept).toEqual([600, 600]); // after steps 1 and 2, not after the last
    // The studio's cancel arrives while the hook waits: the job stops before the next step.
    const controller = new AbortController();
    engine.setStepHook(() => controller.abort());
    const run = engine.generate(request({ numInferenceSteps: 4, preview: 'none' }), {
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow('Generation was cancelled after step 1 of 4.');
    await engine.dispose();
  }, 60_000);
});
