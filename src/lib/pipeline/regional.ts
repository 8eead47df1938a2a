/**
 * Regional guidance (MultiDiffusion / latent-couple style): each character's own chunks condition
 * the noise prediction inside that character's region box, a shared scene prediction covers the
 * background, and the predictions are blended with feathered masks at every step. Where the
 * UNet's batch axis is free the regions run as ONE batched UNet call per step; otherwise one call
 * per region. The blend weights are computed once per generation on the CPU (pure math below)
 * and uploaded once; everything per step stays on the GPU.
 */
import type { MaskBox } from './mask';
import type { UnetContract } from './contracts';
import { runUnet, type NoisePredictor } from './denoise';
import type { PipelineContext, RegionSpec, Scope } from './stages';
import type { EngineSession, EngineTensor } from './types';

export type { RegionSpec };

/** Feather of region masks in latent cells: about 6 % of the short side, at least one cell. */
export function regionFeather(latentWidth: number, latentHeight: number): number {
  return Math.max(1, Math.round(Math.min(latentWidth, latentHeight) * 0.06));
}

/** A feathered box over latent cells: 1 inside, falling linearly to 0 over `feather` cells outside. */
export function softBox(box: MaskBox, lw: number, lh: number, feather: number): Float32Array {
  const out = new Float32Array(lw * lh);
  const x0 = box.x * lw;
  const x1 = (box.x + box.w) * lw;
  const y0 = box.y * lh;
  const y1 = (box.y + box.h) * lh;
  for (let y = 0; y < lh; y++)
    for (let x = 0; x < lw; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      const dx = Math.max(x0 - cx, 0, cx - x1);
      const dy = Math.max(y0 - cy, 0, cy - y1);
      const d = Math.hypot(dx, dy);
      out[y * lw + x] = d === 0 ? 1 : Math.max(0, 1 - d / feather);
    }
  return out;
}

/**
 * Blend weights, background first then one plane per region, each [lh, lw], summing to 1 in
 * every cell. The background weighs 1 − max(region masks): inside a region the region alone
 * speaks (no bleed from the scene or another character), overlapping regions share equally,
 * and the feathered rims mix smoothly into the background.
 */
export function regionWeights(boxes: MaskBox[], lw: number, lh: number, feather?: number): Float32Array {
  const f = feather ?? regionFeather(lw, lh);
  const plane = lw * lh;
  const masks = boxes.map((b) => softBox(b, lw, lh, f));
  const out = new Float32Array((boxes.length + 1) * plane);
  for (let i = 0; i < plane; i++) {
    let max = 0;
    let sum = 0;
    for (const m of masks) {
      const v = m[i] ?? 0;
      max = Math.max(max, v);
      sum += v;
    }
    const bg = 1 - max;
    const total = bg + sum;
    out[i] = bg / total;
    masks.forEach((m, r) => (out[(r + 1) * plane + i] = (m[i] ?? 0) / total));
  }
  return out;
}

/** Whether the UNet takes any batch size (its sample input's first axis is free). */
export function unetBatchIsFree(sampleShape: readonly (number | string)[]): boolean {
  return typeof sampleShape[0] === 'string';
}

/** Prepared once per generation: per-item states, their batch, and the blend weights on the device. */
export interface RegionalPlan {
  /** Items: background first, then the regions. */
  count: number;
  /** [count, L, H] when batched, else null. */
  batch: EngineTensor | null;
  /** Per-item states (used one by one when not batched). */
  items: EngineTensor[];
  /** [count, 1, lh, lw]. */
  weights: EngineTensor;
}

/**
 * Repeat `states` along the sequence axis `times` times. Cross-attention over a sequence repeated
 * k times gives exactly the same output (softmax weights split evenly over identical keys), so
 * this pads items to a common length without changing what they say.
 */
async function repeatSequence(
  ctx: PipelineContext,
  scope: Scope,
  states: EngineTensor,
  times: number,
): Promise<EngineTensor> {
  let acc = states;
  for (let i = 1; i < times; i++) {
    const next = scope.own(await ctx.ops.concat(acc, states, 1, 1));
    if (acc !== states) scope.drop(acc);
    acc = next;
  }
  return acc;
}

export async function prepareRegional(
  ctx: PipelineContext,
  scope: Scope,
  background: EngineTensor,
  regionStates: EngineTensor[],
  boxes: MaskBox[],
  latent: { width: number; height: number },
  canBatch: boolean,
): Promise<RegionalPlan> {
  const items = [background, ...regionStates];
  const count = items.length;
  const lengths = items.map((s) => s.dims[1] ?? 0);
  const longest = Math.max(...lengths);
  let batch: EngineTensor | null = null;
  if (canBatch && count > 1 && lengths.every((l) => l > 0 && longest % l === 0)) {
    const padded: EngineTensor[] = [];
    for (const [i, s] of items.entries())
      padded.push(await repeatSequence(ctx, scope, s, longest / (lengths[i] ?? longest)));
    let acc = padded[0] as EngineTensor;
    for (let i = 1; i < padded.length; i++) {
      const next = scope.own(await ctx.ops.catStates(acc, padded[i] as EngineTensor));
      if (i > 1) scope.drop(acc);
      acc = next;
    }
    for (const [i, p] of padded.entries()) if (p !== items[i]) scope.drop(p);
    batch = acc;
  }
  const w = regionWeights(boxes, latent.width, latent.height);
  const weights = scope.own(ctx.runtime.tensor('float32', w, [count, 1, latent.height, latent.width]));
  return { count, batch, items, weights };
}

/**
 * The regional block of the denoise loop: the blended conditional prediction Σ wᵢ·εᵢ, as one
 * batched UNet call where the plan has a batch, else one call per item. Guidance wraps it
 * (denoise.ts withGuidance) with the one shared unconditional prediction.
 */
export function regionalPredictor(
  ctx: PipelineContext,
  scope: Scope,
  plan: RegionalPlan,
  unet: UnetContract,
  session: EngineSession,
): NoisePredictor {
  return {
    name: plan.batch ? 'regional-batched' : 'regional-serial',
    async predict(modelInput, timestep) {
      let stacked: EngineTensor;
      if (plan.batch) {
        const sample = scope.own(await ctx.ops.expand(modelInput, plan.count));
        stacked = await runUnet(ctx, scope, unet, session, sample, timestep, plan.batch);
        scope.drop(sample);
      } else {
        let acc: EngineTensor | null = null;
        for (const states of plan.items) {
          const eps = await runUnet(ctx, scope, unet, session, modelInput, timestep, states);
          if (!acc) acc = eps;
          else {
            const joined: EngineTensor = scope.own(await ctx.ops.catLatents(acc, eps));
            scope.drop(acc);
            scope.drop(eps);
            acc = joined;
          }
        }
        stacked = acc as EngineTensor;
      }
      const blended = scope.own(await ctx.ops.regionSum(stacked, plan.weights));
      scope.drop(stacked);
      return blended;
    },
  };
}
