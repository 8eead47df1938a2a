/**
 * The tiny twins. Each takes its input/output contract from the tiny pack
 * manifest (one source of truth) and builds a small graph in which every
 * output depends on every input. They draw noise, never pictures.
 */
import type { Graph, TensorSpec } from '../../src/lib/models/manifest.ts';
import { GraphBuilder, seedFrom } from './graph.ts';
import { llmTwin } from './llm-twin.ts';
import type { GraphSpec } from './onnx.ts';
import { VLM_TWINS } from './vlm-twin.ts';

export interface TwinContext {
  /** Size of the forged tokenizer's vocabulary (embedding rows). */
  vocabSize: number;
  /**
   * Take token ids modulo the table size, so ids of the real tokenizer (CLIP's 49406/49407, which the
   * engine writes from the manifest when it truncates) stay in range. The replica sets it; the tiny
   * twins do not (their bytes stay as they were).
   */
  wrapIds?: boolean;
}

type Twin = (graph: Graph, ctx: TwinContext) => GraphSpec;

function io(graph: Graph, kind: 'inputs' | 'outputs', name: string): TensorSpec {
  const spec = graph[kind].find((t) => t.name === name);
  if (!spec) throw new Error(`forge: the contract of ${graph.id} has no ${kind.slice(0, -1)} named ${name}`);
  return spec;
}

function fixed(spec: TensorSpec, axis: number): number {
  const d = spec.shape[axis];
  if (typeof d !== 'number') throw new Error(`forge: ${spec.name} needs a fixed size on axis ${axis}`);
  return d;
}

function begin(graph: Graph, component: string): GraphBuilder {
  const b = new GraphBuilder(`${component}-${graph.id}`, seedFrom(`${component}/${graph.id}`));
  for (const t of graph.inputs) b.input(t.name, t.dtype, t.shape);
  return b;
}

function finish(b: GraphBuilder, graph: Graph, values: Record<string, string>, doc: string): GraphSpec {
  for (const t of graph.outputs) {
    const v = values[t.name];
    if (!v) throw new Error(`forge: twin ${graph.id} does not compute ${t.name}`);
    b.output(t.name, t.dtype, t.shape, v);
  }
  return b.build(doc);
}

/** int64 ids for a Gather into a table of `vocab` rows (wrapped into range for the replica). */
function tokenIds(b: GraphBuilder, ids: string, vocab: number, ctx: TwinContext, cast = true): string {
  const long = cast ? b.cast(ids, 'int64') : ids;
  return ctx.wrapIds ? b.op('Mod', [long, b.ints64([], [vocab])]) : long;
}

/** Token embedding followed by a running mean: position i sees tokens 0..i, like causal attention. */
function embedTokens(b: GraphBuilder, ids: string, ctx: TwinContext, hidden: number): string {
  const vocab = ctx.vocabSize;
  const table = b.weight([vocab, hidden], 1);
  const e = b.op('Gather', [table, tokenIds(b, ids, vocab, ctx)], { axis: 0 });
  const running = b.op('CumSum', [e, b.ints64([], [1])]);
  return b.tanh(b.add(e, b.mul(running, b.scalar(0.25))));
}

const TEXT_HIDDEN = 16;

/** SD text encoder: input_ids → last_hidden_state [batch, sequence, 1024]. */
const textEncoder: Twin = (graph, ctx) => {
  const b = begin(graph, 'text-encoder');
  const out = io(graph, 'outputs', 'last_hidden_state');
  const h = embedTokens(b, 'input_ids', ctx, TEXT_HIDDEN);
  const last = b.linear(h, TEXT_HIDDEN, fixed(out, 2));
  return finish(b, graph, { last_hidden_state: last }, 'tiny twin of the SD-Turbo text encoder');
};

export interface UnetSize {
  channels: number;
  blocks: number;
  textHidden: number;
}
export const TINY_UNET: UnetSize = { channels: 8, blocks: 1, textHidden: 8 };
/**
 * The bench twin's costs scale with the picture as SD-Turbo's UNet does. Its one size-independent
 * part is the projection of every text token (77 × 1024 → textHidden); in SD-Turbo (the SD 2.1 UNet:
 * block_out_channels 320/640/1280/1280, cross_attention_dim 1024, 16 transformer blocks, from
 * stabilityai/sd-turbo unet/config.json) that part is the cross-attention K/V projections,
 * 2 × 77 × 1024 × ΣC ≈ 1.9 GMAC per call against ≈ 126 GMAC of ResNet convolutions alone at 64²
 * latents: about 1.5 %. textHidden 24 gives the twin the same share (77 × 1024 × 24 ≈ 1.9 M MAC
 * against ≈ 123 M MAC of its convolutions at 64²); at 256 it was 14 %, which made every small-crop
 * figure (the local edit's) look dearer than it would be on the real model.
 */
export const BENCH_UNET: UnetSize = { channels: 32, blocks: 3, textHidden: 24 };

/**
 * UNet: conv of the sample + timestep embedding + mean over the sequence of a
 * projection of encoder_hidden_states (sequence stays a free dimension, so
 * conditioning chunks can be concatenated along it).
 */
function unetTwin(size: UnetSize, component: string): Twin {
  return (graph) => {
    const b = begin(graph, component);
    const sample = io(graph, 'inputs', 'sample');
    const ehs = io(graph, 'inputs', 'encoder_hidden_states');
    const latentChannels = fixed(io(graph, 'outputs', 'out_sample'), 1);
    const textDim = fixed(ehs, 2);
    const c = size.channels;
    if (sample.dtype !== 'float32') throw new Error('forge: the twins are fp32');

    let h = b.silu(b.conv('sample', latentChannels, c));
    // Timestep: sin/cos of t/1000 at c/2 frequencies, averaged over the step axis.
    const t = b.unsqueeze(b.mul(b.cast('timestep', 'float32'), b.scalar(1 / 1000)), [1]);
    const freqs = b.floats(
      [1, c / 2],
      Array.from({ length: c / 2 }, (_, i) => Math.PI * 2 ** (i % 6)),
    );
    const angle = b.matmul(t, freqs);
    const temb = b.mean(b.op('Concat', [b.op('Sin', [angle]), b.op('Cos', [angle])], { axis: 1 }), [0], true);
    const tproj = b.reshape(b.linear(temb, c, c, 0.5), [1, c, 1, 1]);
    // Text: project every token, then average over the free sequence axis.
    const tokens = b.tanh(b.linear('encoder_hidden_states', textDim, size.textHidden));
    const pooled = b.mean(tokens, [1]);
    const cproj = b.unsqueeze(b.linear(pooled, size.textHidden, c, 2), [2, 3]);
    h = b.add(b.add(h, tproj), cproj);
    for (let i = 0; i < size.blocks; i++) h = b.add(h, b.silu(b.conv(h, c, c, 3, 0.5)));
    const eps = b.conv(h, c, latentChannels, 3, 0.5);
    return finish(
      b,
      graph,
      { out_sample: eps },
      `${component} twin: noise prediction of an SD-Turbo-shaped UNet`,
    );
  };
}

/** VAE-style decoder: conv to 3·f² channels, DepthToSpace(f), tanh → [-1, 1]. */
function decoderTwin(component: string, hidden: number): Twin {
  return (graph) => {
    const b = begin(graph, component);
    const latent = io(graph, 'inputs', 'latent_sample');
    const cin = typeof latent.shape[1] === 'number' ? latent.shape[1] : 4;
    const f = 8;
    const h = b.silu(b.conv('latent_sample', cin, hidden));
    const up = b.op('DepthToSpace', [b.conv(h, hidden, 3 * f * f, 3, 0.8)], { blocksize: f, mode: 'DCR' });
    const rgb = b.tanh(b.add(up, b.conv(up, 3, 3, 3, 0.2)));
    return finish(b, graph, { sample: rgb }, `${component} twin: latent to image`);
  };
}

/** VAE encoder: SpaceToDepth(8), 1×1 mixing, conv → 4 latent channels. */
const vaeEncoder: Twin = (graph) => {
  const b = begin(graph, 'vae-encoder');
  const out = io(graph, 'outputs', 'latent_sample');
  const f = 8;
  const packed = b.op('SpaceToDepth', ['sample'], { blocksize: f });
  const h = b.silu(b.conv(packed, 3 * f * f, 16, 1));
  const latent = b.conv(h, 16, fixed(out, 1));
  return finish(b, graph, { latent_sample: latent }, 'vae-encoder twin: image to latent');
};

const PATCH_HIDDEN = 32;

/** Patch embedding: average-pool patches, flatten, project: [batch, patches, PATCH_HIDDEN]. */
function patches(b: GraphBuilder, pixels: string, patch: number): string {
  const pooled = b.op('AveragePool', [pixels], { kernel_shape: [patch, patch], strides: [patch, patch] });
  const flat = b.op('Transpose', [b.reshape(pooled, [0, 3, -1])], { perm: [0, 2, 1] });
  return b.tanh(b.linear(flat, 3, PATCH_HIDDEN, 2));
}

const maybe = (graph: Graph, name: string) => graph.outputs.find((t) => t.name === name);

/** CLIP vision tower: pixel_values → image_embeds (and last_hidden_state, CLS + patches, if the contract has it). */
const clipVision: Twin = (graph) => {
  const b = begin(graph, 'image-text-encoder');
  const embeds = io(graph, 'outputs', 'image_embeds');
  const last = maybe(graph, 'last_hidden_state');
  const p = patches(b, 'pixel_values', 32);
  const cls = b.mean(p, [1], true);
  const values: Record<string, string> = {};
  if (last)
    values.last_hidden_state = b.linear(b.op('Concat', [cls, p], { axis: 1 }), PATCH_HIDDEN, fixed(last, 2));
  values.image_embeds = b.linear(b.tanh(b.reshape(cls, [0, PATCH_HIDDEN])), PATCH_HIDDEN, fixed(embeds, 1));
  return finish(b, graph, values, 'CLIP vision twin');
};

/** CLIP text tower: input_ids → text_embeds (and last_hidden_state if the contract has it). */
const clipText: Twin = (graph, ctx) => {
  const b = begin(graph, 'image-text-encoder');
  const embeds = io(graph, 'outputs', 'text_embeds');
  const last = maybe(graph, 'last_hidden_state');
  const h = embedTokens(b, 'input_ids', ctx, PATCH_HIDDEN);
  const values: Record<string, string> = {};
  if (last) values.last_hidden_state = b.linear(h, PATCH_HIDDEN, fixed(last, 2));
  values.text_embeds = b.linear(b.mean(h, [1]), PATCH_HIDDEN, fixed(embeds, 1));
  return finish(b, graph, values, 'CLIP text twin');
};

/**
 * OWL-ViT: one box per 32-pixel patch; logits are patch·query similarities, the
 * query embedding a mean over tokens masked by attention_mask.
 */
const owlvit: Twin = (graph, ctx) => {
  const b = begin(graph, 'detector');
  const boxes = io(graph, 'outputs', 'pred_boxes');
  const textEmbeds = io(graph, 'outputs', 'text_embeds');
  const imageEmbeds = io(graph, 'outputs', 'image_embeds');
  const grid = fixed(imageEmbeds, 1);
  const numBoxes = fixed(boxes, 1);
  if (grid * grid !== numBoxes) throw new Error('forge: detector boxes must be grid²');

  const p = patches(b, 'pixel_values', 32);
  const table = b.weight([ctx.vocabSize, PATCH_HIDDEN], 1);
  const e = b.op('Gather', [table, tokenIds(b, 'input_ids', ctx.vocabSize, ctx, false)], { axis: 0 });
  const mask = b.unsqueeze(b.cast('attention_mask', 'float32'), [2]);
  const count = b.add(b.sum(mask, [1]), b.scalar(1e-6));
  const query = b.tanh(b.op('Div', [b.sum(b.mul(e, mask), [1]), count]));
  const logits = b.mul(b.matmul(p, b.op('Transpose', [query], { perm: [1, 0] })), b.scalar(4));
  // Boxes (cx, cy, w, h) in [0, 1]: centred on their patch, nudged by the patch content.
  const centres: number[] = [];
  for (let i = 0; i < numBoxes; i++) {
    const cx = ((i % grid) + 0.5) / grid;
    const cy = (Math.floor(i / grid) + 0.5) / grid;
    for (const v of [cx, cy, 0.15, 0.3]) centres.push(Math.log(v / (1 - v)));
  }
  const box = b.op('Sigmoid', [
    b.add(b.matmul(p, b.weight([PATCH_HIDDEN, 4], PATCH_HIDDEN, 0.3)), b.floats([numBoxes, 4], centres)),
  ]);
  // [queries, 512], or [image batch (1), queries, 512] as in HF's OwlViTObjectDetectionOutput.
  const width = fixed(textEmbeds, textEmbeds.shape.length - 1);
  const perQuery = b.linear(query, PATCH_HIDDEN, width);
  // The leading axis follows the image batch (a free dimension, not a constant 1).
  const imageBatch = b.op('Shape', ['pixel_values'], { start: 0, end: 1 });
  const text =
    textEmbeds.shape.length === 3
      ? b.op('Expand', [
          b.unsqueeze(perQuery, [0]),
          b.op('Concat', [imageBatch, b.op('Shape', [perQuery])], { axis: 0 }),
        ])
      : perQuery;
  const image = b.reshape(b.linear(p, PATCH_HIDDEN, fixed(imageEmbeds, 3)), [
    0,
    grid,
    grid,
    fixed(imageEmbeds, 3),
  ]);
  return finish(
    b,
    graph,
    { logits, pred_boxes: box, text_embeds: text, image_embeds: image },
    'OWL-ViT twin: open-vocabulary boxes',
  );
};

export const TWINS: Record<string, Twin> = {
  'text-encoder/text_encoder': textEncoder,
  'unet/unet': unetTwin(TINY_UNET, 'unet'),
  'bench-unet/unet': unetTwin(BENCH_UNET, 'bench-unet'),
  'vae-decoder/vae_decoder': decoderTwin('vae-decoder', 16),
  'preview-decoder/vae_decoder': decoderTwin('preview-decoder', 8),
  'vae-encoder/vae_encoder': vaeEncoder,
  'image-text-encoder/vision_model': clipVision,
  'image-text-encoder/text_model': clipText,
  'detector/model': owlvit,
  'planner-llm/model': llmTwin,
  ...VLM_TWINS,
};
