/**
 * Tiny twin of the VLM judge (onnx-community/Florence-2-base-ft): the four
 * graphs transformers.js' Florence2ForConditionalGeneration opens, with the
 * real widths at every boundary (768-wide embeddings, 12 heads × 64 in the
 * decoder's cache, 6 decoder layers, 51289 logits) and an 8-wide stream
 * inside, layers sharing one set of weights, so each file stays small.
 *
 * - vision_encoder: 32-px patch means → 3×3 conv → 24×24 tokens + one pooled token.
 * - embed_tokens: token table → 768.
 * - encoder_model: one bidirectional attention block over image + prompt tokens.
 * - decoder_model_merged: causal self-attention over a cache, cross-attention
 *   whose keys/values come from encoder_hidden_states (use_cache_branch false)
 *   or from the cache (true), as optimum's merged decoders do.
 */
import type { Graph, TensorSpec } from '../../src/lib/models/manifest.ts';
import { GraphBuilder, seedFrom } from './graph.ts';
import {
  attend,
  causalBias,
  dim,
  mergeHeads,
  paddedLogits,
  paddingBias,
  range,
  select,
  splitHeads,
} from './lm-ops.ts';
import type { GraphSpec } from './onnx.ts';
import { vocabularyWords } from './tokenizer.ts';

/**
 * The inner width; the boundaries keep the real sizes from the manifest. `answerTokens`: the twin ends
 * every answer with </s> after this many tokens, as the real model ends its answers with </s> rather
 * than at max_new_tokens (so the judge's stop on </s> is exercised, and a judged twin attempt costs
 * 3 × 17 decoder steps for two characters instead of 64 + 2 × 32).
 */
export const VLM_TWIN = {
  width: 8,
  imageSize: 768,
  patch: 32,
  maxLength: 1024,
  answerTokens: 16,
} as const;

/** BART's layout: <s>, <pad>, </s>, <unk> first; <mask> last. */
export const VLM_SPECIALS = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;
const QUESTION_WORDS = `what does describe image how many who where yes no ? is text detail shown paragraph
locate objects category name phrases caption`.split(/\s+/);

export function vlmVocabulary(): string[] {
  const s = VLM_SPECIALS;
  const words = [...new Set([...vocabularyWords(), ...QUESTION_WORDS])].sort();
  return [s.bos, s.pad, s.eos, s.unk, ...words, s.mask];
}

function spec(graph: Graph, kind: 'inputs' | 'outputs', name: string): TensorSpec {
  const t = graph[kind].find((x) => x.name === name);
  if (!t) throw new Error(`forge: the contract of vlm-judge/${graph.id} has no ${name}`);
  return t;
}

function fixed(t: TensorSpec, axis: number): number {
  const d = t.shape[axis];
  if (typeof d !== 'number') throw new Error(`forge: ${t.name} needs a fixed size on axis ${axis}`);
  return d;
}

function begin(graph: Graph): GraphBuilder {
  const b = new GraphBuilder(`vlm-judge-${graph.id}`, seedFrom(`vlm-judge/${graph.id}`));
  for (const t of graph.inputs) b.input(t.name, t.dtype, t.shape);
  return b;
}

function finish(b: GraphBuilder, graph: Graph, values: Record<string, string>, doc: string): GraphSpec {
  for (const t of graph.outputs) {
    const v = values[t.name];
    if (!v) throw new Error(`forge: the vlm-judge twin ${graph.id} does not compute ${t.name}`);
    b.output(t.name, t.dtype, t.shape, v);
  }
  return b.build(doc);
}

const W = VLM_TWIN.width;

/** Sinusoidal position features [T, W] for int64 positions [T]. */
function positionFeatures(b: GraphBuilder, positions: string): string {
  const freqs = b.floats(
    [1, W / 2],
    Array.from({ length: W / 2 }, (_, i) => 1 / 10 ** (i / 2)),
  );
  const angle = b.matmul(b.unsqueeze(b.cast(positions, 'float32'), [1]), freqs);
  return b.op('Concat', [b.op('Sin', [angle]), b.op('Cos', [angle])], { axis: 1 });
}

const embedTokens = (graph: Graph): GraphSpec => {
  const b = begin(graph);
  const out = spec(graph, 'outputs', 'inputs_embeds');
  const table = b.weight([vlmVocabulary().length, W], 1);
  const e = b.op('Gather', [table, 'input_ids'], { axis: 0 });
  const embeds = b.matmul(e, b.weight([W, fixed(out, 2)], W));
  return finish(b, graph, { inputs_embeds: embeds }, 'vlm-judge twin: token embeddings');
};

const visionEncoder = (graph: Graph): GraphSpec => {
  const b = begin(graph);
  const out = spec(graph, 'outputs', 'image_features');
  const p = VLM_TWIN.patch;
  const pooled = b.op('AveragePool', ['pixel_values'], { kernel_shape: [p, p], strides: [p, p] });
  const grid = b.tanh(b.conv(pooled, 3, W, 3, 2));
  const tokens = b.op('Transpose', [b.reshape(grid, [0, W, -1])], { perm: [0, 2, 1] });
  const summary = b.mean(tokens, [1], true);
  const all = b.op('Concat', [summary, tokens], { axis: 1 });
  const features = b.matmul(all, b.weight([W, fixed(out, 2)], W));
  return finish(b, graph, { image_features: features }, 'vlm-judge twin: image features');
};

const encoderModel = (graph: Graph): GraphSpec => {
  const b = begin(graph);
  const width = fixed(spec(graph, 'inputs', 'inputs_embeds'), 2);
  const h = b.tanh(b.matmul('inputs_embeds', b.weight([width, W], width)));
  const positions = range(b, b.ints64([], [0]), dim(b, 'inputs_embeds', 1));
  const x = b.add(h, b.mul(positionFeatures(b, positions), b.scalar(0.5)));
  const one = (t: string) => b.unsqueeze(t, [1]); // one head of width W: [B, 1, S, W]
  const q = one(b.matmul(x, b.weight([W, W], W)));
  const k = one(b.matmul(x, b.weight([W, W], W)));
  const v = one(b.matmul(x, b.weight([W, W], W)));
  const context = b.op('Squeeze', [
    attend(b, q, k, v, W, paddingBias(b, 'attention_mask')),
    b.ints64([1], [1]),
  ]);
  const y = b.add(x, context);
  const z = b.add(y, b.tanh(b.linear(y, W, W)));
  const last = b.matmul(z, b.weight([W, width], W));
  return finish(b, graph, { last_hidden_state: last }, 'vlm-judge twin: text+image encoder');
};

interface DecoderShape {
  layers: number;
  heads: number;
  headDim: number;
  width: number;
  vocab: number;
}

export function decoderShape(graph: Graph): DecoderShape {
  const keys = graph.inputs.filter((t) => /^past_key_values\.\d+\.decoder\.key$/.test(t.name));
  const first = keys[0];
  if (!first) throw new Error('forge: decoder_model_merged needs past_key_values.*.decoder.key inputs');
  return {
    layers: keys.length,
    heads: fixed(first, 1),
    headDim: fixed(first, 3),
    width: fixed(spec(graph, 'inputs', 'inputs_embeds'), 2),
    vocab: fixed(spec(graph, 'outputs', 'logits'), 2),
  };
}

const decoderMerged = (graph: Graph): GraphSpec => {
  const b = begin(graph);
  const { layers, heads, headDim, width, vocab } = decoderShape(graph);
  const inner = heads * headDim;
  const words = vlmVocabulary();

  const past = dim(b, 'past_key_values.0.decoder.key', 2);
  const length = dim(b, 'inputs_embeds', 1);
  const positions = range(b, past, b.add(past, length));
  let x = b.add(
    b.tanh(b.matmul('inputs_embeds', b.weight([width, W], width))),
    b.mul(positionFeatures(b, positions), b.scalar(0.5)),
  );
  const selfBias = causalBias(b, past, length);
  const crossBias = paddingBias(b, 'encoder_attention_mask');
  const memory = b.tanh(b.matmul('encoder_hidden_states', b.weight([width, W], width)));

  const wq = b.weight([W, inner], W);
  const wk = b.weight([W, inner], W);
  const wv = b.weight([W, inner], W);
  const wo = b.weight([inner, W], inner, 0.5);
  const cq = b.weight([W, inner], W);
  const ck = b.weight([W, inner], W);
  const cv = b.weight([W, inner], W);
  const co = b.weight([inner, W], inner, 0.5);
  const mlpIn = b.weight([W, 2 * W], W);
  const mlpOut = b.weight([2 * W, W], 2 * W, 0.5);

  const useCache = 'use_cache_branch';
  const values: Record<string, string> = {};
  for (let i = 0; i < layers; i++) {
    const layerScale = b.scalar(1 + 0.125 * i);
    const q = splitHeads(b, b.matmul(x, wq), heads, headDim);
    const k = splitHeads(b, b.mul(b.matmul(x, wk), layerScale), heads, headDim);
    const v = splitHeads(b, b.matmul(x, wv), heads, headDim);
    const keys = b.op('Concat', [`past_key_values.${i}.decoder.key`, k], { axis: 2 });
    const vals = b.op('Concat', [`past_key_values.${i}.decoder.value`, v], { axis: 2 });
    values[`present.${i}.decoder.key`] = keys;
    values[`present.${i}.decoder.value`] = vals;
    x = b.add(x, b.matmul(mergeHeads(b, attend(b, q, keys, vals, headDim, selfBias), heads, headDim), wo));

    // Cross-attention: keys/values of the encoder output, or the cached ones on the cache branch.
    const encKey = spec(graph, 'outputs', `present.${i}.encoder.key`);
    const freshK = splitHeads(b, b.mul(b.matmul(memory, ck), layerScale), heads, headDim);
    const freshV = splitHeads(b, b.matmul(memory, cv), heads, headDim);
    const crossK = select(b, useCache, `past_key_values.${i}.encoder.key`, freshK, {
      name: '',
      dtype: encKey.dtype,
      shape: encKey.shape,
    });
    const crossV = select(b, useCache, `past_key_values.${i}.encoder.value`, freshV, {
      name: '',
      dtype: encKey.dtype,
      shape: encKey.shape,
    });
    values[`present.${i}.encoder.key`] = crossK;
    values[`present.${i}.encoder.value`] = crossV;
    const cross = attend(
      b,
      splitHeads(b, b.matmul(x, cq), heads, headDim),
      crossK,
      crossV,
      headDim,
      crossBias,
    );
    x = b.add(x, b.matmul(mergeHeads(b, cross, heads, headDim), co));
    x = b.add(x, b.matmul(b.tanh(b.matmul(x, mlpIn)), mlpOut));
  }
  const small = b.matmul(x, b.weight([W, words.length], W, 2));
  const s = VLM_SPECIALS;
  const banned = [s.bos, s.pad, s.unk, s.mask].map((t) => words.indexOf(t));
  values.logits = paddedLogits(b, endAnswers(b, small, positions, words), words.length, vocab, banned);
  return finish(b, graph, values, 'vlm-judge twin: merged decoder with KV cache');
};

/**
 * </s> never before `answerTokens` answer tokens, always at that many: the logits at position p
 * (the decoder start token is position 0) choose token p + 1.
 */
function endAnswers(b: GraphBuilder, logits: string, positions: string, words: string[]): string {
  const eos = words.indexOf(VLM_SPECIALS.eos);
  const oneHot = new Float32Array(words.length);
  oneHot[eos] = 1;
  const done = b.op('GreaterOrEqual', [positions, b.ints64([], [VLM_TWIN.answerTokens])]);
  // +1e4 once the answer is long enough, −1e4 before: [length] → [length, 1] × one-hot [vocab].
  const bias = b.op('Where', [done, b.scalar(1e4), b.scalar(-1e4)]);
  return b.add(logits, b.mul(b.unsqueeze(bias, [1]), b.floats([words.length], oneHot)));
}

export const VLM_TWINS: Record<string, (graph: Graph) => GraphSpec> = {
  'vlm-judge/embed_tokens': embedTokens,
  'vlm-judge/vision_encoder': visionEncoder,
  'vlm-judge/encoder_model': encoderModel,
  'vlm-judge/decoder_model_merged': decoderMerged,
};

/**
 * Florence-2's task tables as its processor defines them (huggingface/transformers
 * src/transformers/models/florence2/processing_florence2.py @ 06053b84, the same tables as
 * Microsoft's remote-code processor); transformers.js reads them from preprocessor_config.json
 * (models/florence2/processing_florence2.js:9-28).
 */
export const FLORENCE_TASKS = {
  tasks_answer_post_processing_type: {
    '<OCR>': 'pure_text',
    '<OCR_WITH_REGION>': 'ocr',
    '<CAPTION>': 'pure_text',
    '<DETAILED_CAPTION>': 'pure_text',
    '<MORE_DETAILED_CAPTION>': 'pure_text',
    '<OD>': 'description_with_bboxes',
    '<DENSE_REGION_CAPTION>': 'description_with_bboxes',
    '<CAPTION_TO_PHRASE_GROUNDING>': 'phrase_grounding',
    '<REFERRING_EXPRESSION_SEGMENTATION>': 'polygons',
    '<REGION_TO_SEGMENTATION>': 'polygons',
    '<OPEN_VOCABULARY_DETECTION>': 'description_with_bboxes_or_polygons',
    '<REGION_TO_CATEGORY>': 'pure_text',
    '<REGION_TO_DESCRIPTION>': 'pure_text',
    '<REGION_TO_OCR>': 'pure_text',
    '<REGION_PROPOSAL>': 'bboxes',
  },
  task_prompts_without_inputs: {
    '<OCR>': 'What is the text in the image?',
    '<OCR_WITH_REGION>': 'What is the text in the image, with regions?',
    '<CAPTION>': 'What does the image describe?',
    '<DETAILED_CAPTION>': 'Describe in detail what is shown in the image.',
    '<MORE_DETAILED_CAPTION>': 'Describe with a paragraph what is shown in the image.',
    '<OD>': 'Locate the objects with category name in the image.',
    '<DENSE_REGION_CAPTION>': 'Locate the objects in the image, with their descriptions.',
    '<REGION_PROPOSAL>': 'Locate the region proposals in the image.',
  },
  task_prompts_with_input: {
    '<CAPTION_TO_PHRASE_GROUNDING>': 'Locate the phrases in the caption: {input}',
    '<REFERRING_EXPRESSION_SEGMENTATION>': 'Locate {input} in the image with mask',
    '<REGION_TO_SEGMENTATION>': 'What is the polygon mask of region {input}',
    '<OPEN_VOCABULARY_DETECTION>': 'Locate {input} in the image.',
    '<REGION_TO_CATEGORY>': 'What is the region {input}?',
    '<REGION_TO_DESCRIPTION>': 'What does the region {input} describe?',
    '<REGION_TO_OCR>': 'What text is in the region {input}?',
  },
} as const;

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** The JSON files of the VLM twin, or undefined. `graphs` are the component's graphs. */
export function vlmConfigFile(graphs: Graph[], path: string): object | undefined {
  const decoder = graphs.find((g) => g.id === 'decoder_model_merged');
  if (!decoder) throw new Error('forge: vlm-judge needs a decoder_model_merged graph');
  const shape = decoderShape(decoder);
  const words = vlmVocabulary();
  const s = VLM_SPECIALS;
  const id = (t: string) => words.indexOf(t);
  const ids = { bos_token_id: id(s.bos), pad_token_id: id(s.pad), eos_token_id: id(s.eos) };
  switch (path) {
    case 'config.json':
      return {
        architectures: ['Florence2ForConditionalGeneration'],
        model_type: 'florence2',
        is_encoder_decoder: true,
        projection_dim: shape.width,
        vocab_size: shape.vocab,
        ...ids,
        text_config: {
          model_type: 'florence2_language',
          vocab_size: shape.vocab,
          d_model: shape.width,
          encoder_layers: 1,
          decoder_layers: shape.layers,
          encoder_attention_heads: 1,
          decoder_attention_heads: shape.heads,
          max_position_embeddings: VLM_TWIN.maxLength,
          is_encoder_decoder: true,
          ...ids,
          decoder_start_token_id: id(s.eos),
          forced_eos_token_id: id(s.eos),
        },
        vision_config: {
          model_type: 'davit',
          projection_dim: shape.width,
          image_feature_source: ['spatial_avg_pool', 'temporal_avg_pool'],
        },
        'transformers.js_config': { dtype: 'fp32' },
      };
    case 'generation_config.json':
      return {
        ...ids,
        decoder_start_token_id: id(s.eos),
        forced_bos_token_id: id(s.bos),
        forced_eos_token_id: id(s.eos),
        no_repeat_ngram_size: 3,
        num_beams: 3,
      };
    case 'preprocessor_config.json':
      return {
        processor_class: 'Florence2Processor',
        image_processor_type: 'CLIPImageProcessor',
        do_resize: true,
        size: { height: VLM_TWIN.imageSize, width: VLM_TWIN.imageSize },
        resample: 3,
        do_center_crop: false,
        crop_size: { height: VLM_TWIN.imageSize, width: VLM_TWIN.imageSize },
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        image_mean: [0.485, 0.456, 0.406],
        image_std: [0.229, 0.224, 0.225],
        do_convert_rgb: true,
        image_seq_length: 577,
        // Florence-2's task tables (a text that is no task is sent as it is).
        ...FLORENCE_TASKS,
      };
    case 'tokenizer.json': {
      const token = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
      return {
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: Object.values(s).map((t) => special(id(t), t)),
        normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] },
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: {
          type: 'TemplateProcessing',
          single: [token(s.bos), { Sequence: { id: 'A', type_id: 0 } }, token(s.eos)],
          pair: [
            token(s.bos),
            { Sequence: { id: 'A', type_id: 0 } },
            token(s.eos),
            token(s.eos),
            { Sequence: { id: 'B', type_id: 0 } },
            token(s.eos),
          ],
          special_tokens: {
            [s.bos]: { id: s.bos, ids: [id(s.bos)], tokens: [s.bos] },
            [s.eos]: { id: s.eos, ids: [id(s.eos)], tokens: [s.eos] },
          },
        },
        decoder: null,
        model: {
          type: 'WordLevel',
          vocab: Object.fromEntries(words.map((w, i) => [w, i])),
          unk_token: s.unk,
        },
      };
    }
    case 'tokenizer_config.json':
      return {
        tokenizer_class: 'BartTokenizer',
        model_max_length: VLM_TWIN.maxLength,
        bos_token: s.bos,
        eos_token: s.eos,
        pad_token: s.pad,
        unk_token: s.unk,
        mask_token: s.mask,
        sep_token: s.eos,
        cls_token: s.bos,
        clean_up_tokenization_spaces: false,
      };
    default:
      return undefined;
  }
}
