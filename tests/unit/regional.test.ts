/**
 * Regional guidance, image-to-image and local editing on the tiny twins under Node's
 * onnxruntime-web (WASM): the real helper graphs and the real engine; only the tokenizer is a
 * stand-in (as in pipeline.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import { compilePanel } from '../../src/lib/prompt';
import { newCastMember, newCharacter, newPanel, newStory } from '../../src/lib/domain';
import {
  DiffusionEngine,
  editMask,
  featherMask,
  featherRadius,
  maxAbsDiff,
  rasterizeMask,
  regionWeights,
  softBox,
  stepsForStrength,
  type GuidedRequest,
  type ModelFiles,
  type PlainChunk,
  type RegionSpec,
} from '../../src/lib/pipeline';
import { OrtEngineRuntime } from '../../src/lib/runtime/engine-ort';
import { ensureForged } from '../helpers/forge';
import { twinFiles } from '../helpers/twin-files';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLIC = join(ROOT, 'public');
let tiny: Pack;

beforeAll(async () => {
  await ensureForged();
  tiny = validatePack(JSON.parse(readFileSync(join(ROOT, 'models/tiny-pack.json'), 'utf8')));
}, 60_000);

const files: ModelFiles = twinFiles();
const helper = (file: string) =>
  Promise.resolve(new Uint8Array(readFileSync(join(PUBLIC, 'models/helpers', file))));

function makeEngine() {
  const runtime = new OrtEngineRuntime(ort, { backend: 'wasm' });
  return new DiffusionEngine({ runtime, files, helper });
}

const mira = { ...newCharacter(1, 'Mira'), hair: 'red', verified: true, templateVersion: 1 };
const tomas = {
  ...newCharacter(2, 'Tomas'),
  hair: 'black',
  wardrobe: [{ item: 'coat', color: 'green' }],
  verified: true,
  templateVersion: 1,
};
const story = { ...newStory(1, 'Test'), style: 'picture book' };

function twoCharacterRequest(miraBox = { x: 0, y: 0, w: 0.5, h: 1 }): GuidedRequest {
  const panel = newPanel(story.id, 1);
  panel.cast = [
    { ...newCastMember(mira.id), region: miraBox },
    { ...newCastMember(tomas.id), region: { x: 0.5, y: 0, w: 0.5, h: 1 } },
  ];
  panel.scene.location = 'harbour';
  const compiled = compilePanel(
    panel,
    story,
    new Map([
      [mira.id, mira],
      [tomas.id, tomas],
    ]),
  );
  const scene = compiled.chunks.find((c) => c.kind === 'scene') as PlainChunk;
  const regions: RegionSpec[] = panel.cast.map((m) => ({
    characterId: m.characterId,
    box: m.region,
    chunks: [...compiled.chunks.filter((c) => c.characterId === m.characterId), scene],
  }));
  return {
    pack: tiny,
    chunks: [scene],
    negative: compiled.negative,
    regions,
    seed: 42,
    width: 64,
    height: 64,
    numInferenceSteps: 4,
    guidanceScale: 0,
    preview: 'none',
  };
}

/** Mean absolute RGB difference over the pixels of a column range. */
function meanDiff(a: Uint8ClampedArray, b: Uint8ClampedArray, w: number, x0: number, x1: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length / 4; i++) {
    const x = i % w;
    if (x < x0 || x >= x1) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs((a[i * 4 + c] ?? 0) - (b[i * 4 + c] ?? 0));
    n += 3;
  }
  return sum / n;
}

describe('region weights', () => {
  it('sum to 1 everywhere; a region alone speaks inside its box, the background outside all boxes', () => {
    const boxes = [
      { x: 0, y: 0, w: 0.5, h: 1 },
      { x: 0.25, y: 0, w: 0.5, h: 0.5 },
    ];
    const w = regionWeights(boxes, 16, 16, 2);
    const plane = 256;
    for (let i = 0; i < plane; i++) expect(w[i]! + w[plane + i]! + w[2 * plane + i]!).toBeCloseTo(1, 6);
    // Cell (2, 12): only the first box → that region only.
    expect(w[plane + 12 * 16 + 2]).toBe(1);
    // Cell (6, 2): both boxes → shared equally, no background.
    expect(w[plane + 2 * 16 + 6]).toBeCloseTo(0.5, 6);
    expect(w[2 * 16 + 6]).toBe(0);
    // Cell (15, 15): far from both → background only.
    expect(w[15 * 16 + 15]).toBe(1);
    // Feathered rim: partly background, partly region.
    expect(w[plane + 12 * 16 + 8]).toBeGreaterThan(0);
    expect(w[plane + 12 * 16 + 8]).toBeLessThan(1);
    expect(softBox({ x: 0, y: 0, w: 1, h: 1 }, 4, 4, 1).every((v) => v === 1)).toBe(true);
  });

  it('runs every step of text-to-image and int(steps·strength) steps over an init image', () => {
    expect(stepsForStrength(4, 1)).toBe(4);
    expect(stepsForStrength(4, 0.5)).toBe(2);
    expect(stepsForStrength(4, 0.1)).toBe(1);
    expect(stepsForStrength(3, 0.7)).toBe(2);
  });
});

describe('regional guidance on the tiny twins (WASM)', () => {
  it('draws two characters in one batched UNet call per step, equal to the unbatched path', async () => {
    const engine = makeEngine();
    const r = await engine.generateGuided(twoCharacterRequest());
    expect(r.regions).toBe(2);
    expect(r.batched).toBe(true);
    expect(r.rgba.length).toBe(64 * 64 * 4);
    expect(r.encoderRuns).toBe(5); // 2 identity + 2 transient + scene
    expect(r.readbacks.latent).toBe(0);
    // A pack whose UNet has a fixed batch of 1 runs the regions one by one: same picture.
    const fixed = structuredClone(tiny);
    const unet = fixed.components.find((c) => c.role === 'unet')!;
    unet.graphs[0]!.inputs.find((i) => i.name === 'sample')!.shape[0] = 1;
    const one = await engine.generateGuided({ ...twoCharacterRequest(), pack: fixed });
    expect(one.batched).toBe(false);
    expect(maxAbsDiff(r.rgba, one.rgba)).toBeLessThanOrEqual(1);
    // Batched: per step 1 expand + 1 UNet + 1 blend instead of 3 UNet + 2 concat + 1 blend.
    expect(r.ortRuns).toBeLessThan(one.ortRuns);
    await engine.dispose();
  }, 60_000);

  it('keeps identities apart: swapping who stands where changes both halves, moving one box changes its half most', async () => {
    const engine = makeEngine();
    const base = await engine.generateGuided(twoCharacterRequest({ x: 0, y: 0, w: 0.5, h: 1 }));
    // Mira's box shrinks to the left quarter: the second quarter turns from Mira to background.
    const moved = await engine.generateGuided(twoCharacterRequest({ x: 0, y: 0, w: 0.25, h: 1 }));
    const whereMoved = meanDiff(base.rgba, moved.rgba, 64, 16, 32);
    const tomasHalf = meanDiff(base.rgba, moved.rgba, 64, 40, 64);
    expect(whereMoved).toBeGreaterThan(0.5);
    expect(whereMoved).toBeGreaterThan(3 * tomasHalf);
    // Identity bleed: Tomas' half does not depend on Mira's chunks (beyond the convolutions' reach).
    const req = twoCharacterRequest();
    const other = {
      ...req,
      regions: req.regions!.map((r, i) => (i === 0 ? { ...r, chunks: r.chunks.slice(1) } : r)),
    };
    const changed = await engine.generateGuided(other);
    expect(meanDiff(base.rgba, changed.rgba, 64, 0, 24)).toBeGreaterThan(
      4 * meanDiff(base.rgba, changed.rgba, 64, 48, 64),
    );
    await engine.dispose();
  }, 60_000);
});

describe('image-to-image and local editing on the tiny twins (WASM)', () => {
  const pattern = (w: number, h: number, k: number) =>
    new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * k + (i >> 8) * 13) % 256));

  it('starts from the encoded init image at the strength asked for', async () => {
    const engine = makeEngine();
    const req = twoCharacterRequest();
    const init = { rgba: pattern(64, 64, 7), width: 64, height: 64, strength: 0.5 };
    const a = await engine.generateGuided({ ...req, init });
    expect(a.stepsRun).toBe(2);
    expect(a.startStep).toBe(2);
    const again = await engine.generateGuided({ ...req, init });
    expect(maxAbsDiff(a.rgba, again.rgba)).toBe(0);
    const otherInit = await engine.generateGuided({ ...req, init: { ...init, rgba: pattern(64, 64, 3) } });
    expect(maxAbsDiff(a.rgba, otherInit.rgba)).toBeGreaterThan(10);
    const stronger = await engine.generateGuided({ ...req, init: { ...init, strength: 1 } });
    expect(stronger.stepsRun).toBe(4);
    expect(maxAbsDiff(a.rgba, stronger.rgba)).toBeGreaterThan(0);
    await expect(engine.generateGuided({ ...req, init: { ...init, strength: 0 } })).rejects.toThrow(
      /reference strength must be above 0/,
    );
    await engine.dispose();
  }, 60_000);

  it('edits inside the feathered mask only: every pixel outside keeps its bytes; it works in a crop', async () => {
    const engine = makeEngine();
    const req = twoCharacterRequest();
    const big = await engine.generateGuided({ ...req, width: 128, height: 128 });
    const box = { x: 0.5, y: 0.25, w: 0.5, h: 0.5 };
    const angry = compilePanel(
      { ...newPanel(story.id, 1), cast: [{ ...newCastMember(mira.id), expression: 'angry' }] },
      story,
      new Map([[mira.id, mira]]),
    );
    const edit = await engine.edit({
      pack: tiny,
      base: { rgba: big.rgba, width: 128, height: 128 },
      mask: { box },
      chunks: angry.chunks as PlainChunk[],
      negative: angry.negative,
      seed: 9,
      strength: 0.75,
      numInferenceSteps: 4,
      guidanceScale: 0,
    });
    const soft = featherMask(rasterizeMask({ box }, 128, 128), 128, 128, featherRadius(128, 128));
    let inside = 0;
    let changedInside = 0;
    for (let i = 0; i < 128 * 128; i++)
      for (let c = 0; c < 4; c++) {
        if (soft[i] === 0) expect(edit.rgba[i * 4 + c]).toBe(big.rgba[i * 4 + c]);
        else if (c < 3) {
          inside++;
          if (edit.rgba[i * 4 + c] !== big.rgba[i * 4 + c]) changedInside++;
        }
      }
    // Many twin pixels sit at the clamp (0 or 255) in both images; a good share still changes. The
    // edit starts from the picture's own kept latents (no lossy VAE round trip), so at strength
    // 0.75 it stays nearer the original than an edit through the encoder would.
    expect(edit.generation.pipeline.latents).toBe('kept-latents');
    expect(changedInside / inside).toBeGreaterThan(0.15);
    expect(edit.crop.width).toBeLessThan(128);
    expect(edit.crop.height).toBeLessThan(128);
    expect(edit.crop.width % 8).toBe(0);
    expect(edit.generation.stepsRun).toBe(3);
    expect(edit.generation.readbacks.latent).toBe(0);
    await expect(
      engine.edit({
        pack: tiny,
        base: { rgba: big.rgba, width: 128, height: 128 },
        mask: {},
        chunks: angry.chunks as PlainChunk[],
        negative: null,
        seed: 1,
        strength: 1,
        numInferenceSteps: 1,
        guidanceScale: 0,
      }),
    ).rejects.toThrow(/mask is empty/);
    await engine.dispose();
  }, 60_000);

  it('edits a brush stroke and a box in a tight crop: outside the feathered mask every byte is the original', async () => {
    const engine = makeEngine();
    const size = 256;
    const req = twoCharacterRequest();
    const base = await engine.generateGuided({ ...req, width: size, height: size, numInferenceSteps: 2 });
    // A diagonal stroke in the lower left on a 32×32 bitmap, and a box in the upper right.
    const brush = { width: 32, height: 32, data: new Uint8Array(32 * 32) };
    for (let i = 4; i < 12; i++) brush.data[(16 + i) * 32 + i] = brush.data[(16 + i) * 32 + i + 1] = 255;
    const mask = { brush, box: { x: 0.6, y: 0.1, w: 0.2, h: 0.15 } };
    const editRequest = {
      pack: tiny,
      base: { rgba: base.rgba, width: size, height: size },
      mask,
      chunks: req.chunks,
      negative: null,
      seed: 5,
      strength: 1,
      numInferenceSteps: 2,
      guidanceScale: 0,
    };
    const edit = await engine.edit(editRequest);
    const feather = featherRadius(size, size);
    const soft = featherMask(rasterizeMask(mask, size, size), size, size, feather);
    let changed = 0;
    for (let i = 0; i < size * size; i++)
      for (let c = 0; c < 4; c++) {
        const same = edit.rgba[i * 4 + c] === base.rgba[i * 4 + c];
        if (soft[i] === 0) {
          if (!same) throw new Error(`pixel ${i % size},${Math.floor(i / size)} outside the mask changed`);
        } else if (!same) changed++;
      }
    expect(changed).toBeGreaterThan(100);
    // The crop is the mask's own (sides a multiple of the UNet's 64 px), as editMask says.
    const planned = editMask(mask, size, size, { feather, factor: 8, multiple: 64 })!;
    expect(edit.crop).toEqual(planned.crop);
    expect(edit.supportPixels).toBe(planned.supportPixels);
    expect(edit.supportPixels).toBeLessThanOrEqual(soft.filter((v) => v > 0).length);
    expect(edit.crop.width % 64).toBe(0);
    expect(edit.crop.height % 64).toBe(0);
    expect(edit.generation.width).toBe(edit.crop.width);
    expect(edit.generation.pipeline.afterStep).toBe('pin-outside-mask');
    expect(edit.generation.readbacks.latent).toBe(0);
    // Same request, same pixels.
    const again = await engine.edit(editRequest);
    expect(maxAbsDiff(again.rgba, edit.rgba)).toBe(0);
    await engine.dispose();
  }, 60_000);
});
