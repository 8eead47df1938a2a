/**
 * Tiny twin of the planner LLM (onnx-community/Qwen2.5-0.5B-Instruct): a
 * Qwen2-shaped decoder (RMSNorm, rotary embedding from position_ids, grouped-
 * query attention over a KV cache, SwiGLU MLP, tied embeddings) with the real
 * number of layers, KV heads, head size and vocabulary width, but a 16-wide
 * residual stream and one set of weights shared by every layer, so the file
 * stays small. transformers.js loads it as Qwen2ForCausalLM and runs its
 * generation loop (prefill, then one token per step with past_key_values).
 */
import type { Graph } from '../../src/lib/models/manifest.ts';
import { GraphBuilder, seedFrom } from './graph.ts';
import {
  attend,
  causalBias,
  dim,
  mergeHeads,
  paddedLogits,
  repeatKv,
  rmsNorm,
  rotaryTables,
  rotate,
  splitHeads,
} from './lm-ops.ts';
import type { GraphSpec } from './onnx.ts';
import { outlineMessages, panelMessages } from '../../src/lib/planner/prompts.ts';
import type { Outline, PlanRequest } from '../../src/lib/planner/schema.ts';
import { vocabularyWords } from './tokenizer.ts';

/** Sizes the contract does not fix (the real model: hidden 896, 14 query heads, MLP 4864). */
export const LLM_TWIN = {
  hidden: 16,
  queryHeads: 14,
  intermediate: 32,
  ropeTheta: 1_000_000,
  rmsNormEps: 1e-6,
  maxPositions: 32768,
} as const;

export const LLM_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
const CHAT_WORDS = [
  'system',
  'user',
  'assistant',
  'you',
  'helpful',
  'story',
  'plan',
  'panels',
  'write',
  ':',
  ',',
  '.',
];

/**
 * The words of the planner's own prompts (both stages, for a sample request), so the twin reads a
 * planning prompt in about as many tokens as the real tokenizer does (a few hundred), not one per byte:
 * its prefill writes a logits row of the real vocabulary's width per prompt token.
 */
function promptWords(): string[] {
  const request: PlanRequest = {
    premise: 'A premise.',
    cast: [{ id: 'a', name: 'A' }],
    panelCount: 2,
    style: 'ink',
    direction: 'ltr',
    seed: 0,
  };
  const beat = { summary: 'A beat.', cast: ['a'], importance: 1 as const };
  const outline: Outline = { title: 'A title', beats: [beat, beat] };
  const messages = [...outlineMessages(request), ...panelMessages(request, outline, 0, [])];
  return messages.flatMap((m) => m.content.match(/\p{L}+/gu) ?? []);
}

/**
 * What the twin's noise leans towards: the closing quote (byte 34), by about two and a half standard
 * deviations of its logits (tied embeddings of unit variance over a 16-wide stream: σ ≈ 4). A noise
 * model otherwise fills every string to its length bound, a character per token; with the lean it
 * writes short strings, and a plan takes seconds on WASM instead of many minutes.
 */
const QUOTE_LEAN = { id: 34, bias: 10 } as const;

/**
 * GPT-2's byte ↔ printable-character table, which Qwen2's byte-level BPE uses: printable Latin-1
 * bytes stand for themselves, the rest map to U+0100 onwards (so a space is "Ġ", a newline "Ċ").
 */
function byteCharacters(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : next++));
}

function byteLevel(text: string): string {
  const chars = byteCharacters();
  return [...new TextEncoder().encode(text)].map((b) => chars[b]).join('');
}

/**
 * The twin's byte-level BPE: the 256 byte tokens (so it can spell any text, JSON included, as the
 * real tokenizer can), then each word of our vocabularies and the planner's prompts, after a space and bare,
 * built up one character at a time by merges, in a stable order.
 */
function llmBpe(): { tokens: string[]; merges: string[] } {
  const tokens = byteCharacters();
  const known = new Set(tokens);
  const merges: string[] = [];
  const words = [...new Set([...vocabularyWords(), ...CHAT_WORDS, ...promptWords()])].sort();
  // After a space first (those merges rank first, so " word" is one token), then bare (after a
  // newline or a hyphen, as in "three-quarter-left").
  for (const word of [...words.map((w) => byteLevel(` ${w}`)), ...words.map(byteLevel)]) {
    const chars = [...word];
    for (let k = 2; k <= chars.length; k++) {
      const token = chars.slice(0, k).join('');
      if (known.has(token)) continue;
      known.add(token);
      tokens.push(token);
      merges.push(`${chars.slice(0, k - 1).join('')} ${chars[k - 1]}`);
    }
  }
  return { tokens, merges };
}

/** Bytes and merged words first, then the special tokens (as in Qwen2: special ids follow the regular vocabulary). */
export function llmVocabulary(): string[] {
  return [...llmBpe().tokens, ...LLM_SPECIALS];
}

export interface LlmShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** Layer count, KV heads, head size and logits width, read from the manifest contract. */
export function llmShape(graph: Graph): LlmShape {
  const pastKeys = graph.inputs.filter((t) => /^past_key_values\.\d+\.key$/.test(t.name));
  const first = pastKeys[0];
  const logits = graph.outputs.find((t) => t.name === 'logits');
  const [kvHeads, headDim, vocab] = [first?.shape[1], first?.shape[3], logits?.shape[2]];
  if (typeof kvHeads !== 'number' || typeof headDim !== 'number' || typeof vocab !== 'number')
    throw new Error('forge: the planner-llm contract needs fixed KV heads, head size and vocabulary');
  return { layers: pastKeys.length, kvHeads, headDim, vocab };
}

export function llmTwin(graph: Graph): GraphSpec {
  const { layers, kvHeads, headDim, vocab } = llmShape(graph);
  const { hidden, queryHeads, intermediate, ropeTheta, rmsNormEps } = LLM_TWIN;
  if (queryHeads % kvHeads !== 0) throw new Error('forge: query heads must be a multiple of KV heads');
  const words = llmVocabulary();
  const b = new GraphBuilder('planner-llm-model', seedFrom('planner-llm/model'));
  for (const t of graph.inputs) b.input(t.name, t.dtype, t.shape);

  const embed = b.weight([words.length, hidden], 1);
  let x = b.op('Gather', [embed, 'input_ids'], { axis: 0 });
  const rope = rotaryTables(b, 'position_ids', headDim, ropeTheta);
  const past = dim(b, 'past_key_values.0.key', 2);
  const bias = causalBias(b, past, dim(b, 'input_ids', 1), 'attention_mask');

  // One set of weights for every layer (the file stays small; the cache is still per layer).
  const wq = b.weight([hidden, queryHeads * headDim], hidden);
  const bq = b.weight([queryHeads * headDim], 1, 0.1);
  const wk = b.weight([hidden, kvHeads * headDim], hidden);
  const bk = b.weight([kvHeads * headDim], 1, 0.1);
  const wv = b.weight([hidden, kvHeads * headDim], hidden);
  const bv = b.weight([kvHeads * headDim], 1, 0.1);
  const wo = b.weight([queryHeads * headDim, hidden], queryHeads * headDim, 0.5);
  const wGate = b.weight([hidden, intermediate], hidden);
  const wUp = b.weight([hidden, intermediate], hidden);
  const wDown = b.weight([intermediate, hidden], intermediate, 0.5);

  const values: Record<string, string> = {};
  for (let i = 0; i < layers; i++) {
    const h = rmsNorm(b, x, hidden, rmsNormEps);
    const q = rotate(b, splitHeads(b, b.add(b.matmul(h, wq), bq), queryHeads, headDim), rope, headDim);
    const k = rotate(b, splitHeads(b, b.add(b.matmul(h, wk), bk), kvHeads, headDim), rope, headDim);
    const v = splitHeads(b, b.add(b.matmul(h, wv), bv), kvHeads, headDim);
    const keys = b.op('Concat', [`past_key_values.${i}.key`, k], { axis: 2 });
    const vals = b.op('Concat', [`past_key_values.${i}.value`, v], { axis: 2 });
    values[`present.${i}.key`] = keys;
    values[`present.${i}.value`] = vals;
    const groups = queryHeads / kvHeads;
    const context = attend(
      b,
      q,
      repeatKv(b, keys, kvHeads, groups, headDim),
      repeatKv(b, vals, kvHeads, groups, headDim),
      headDim,
      bias,
    );
    x = b.add(x, b.matmul(mergeHeads(b, context, queryHeads, headDim), wo));
    const m = rmsNorm(b, x, hidden, rmsNormEps);
    x = b.add(x, b.matmul(b.mul(b.silu(b.matmul(m, wGate)), b.matmul(m, wUp)), wDown));
  }
  const final = rmsNorm(b, x, hidden, rmsNormEps);
  // Tied embeddings, as in Qwen2.5-0.5B; special tokens are never chosen, so generation runs to
  // max_new_tokens unless a constraint ends it (it then allows only end-of-sequence).
  const small = b.matmul(final, b.op('Transpose', [embed], { perm: [1, 0] }));
  const special = LLM_SPECIALS.map((t) => words.indexOf(t));
  if (words[QUOTE_LEAN.id] !== '"') throw new Error("forge: the twin's byte tokens moved");
  values.logits = paddedLogits(b, small, words.length, vocab, special, [QUOTE_LEAN]);

  for (const t of graph.outputs) {
    const v = values[t.name];
    if (!v) throw new Error(`forge: the planner-llm twin does not compute ${t.name}`);
    b.output(t.name, t.dtype, t.shape, v);
  }
  return b.build('planner-llm twin: Qwen2-shaped decoder with KV cache; draws noise');
}

const CHAT_TEMPLATE = [
  "{%- if messages[0]['role'] != 'system' %}",
  "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}",
  '{%- endif %}',
  '{%- for message in messages %}',
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}",
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('');

const isSpecial = (t: string) => (LLM_SPECIALS as readonly string[]).includes(t);

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** config.json, generation_config.json, tokenizer.json, tokenizer_config.json of the twin, or undefined. */
export function llmConfigFile(graph: Graph, path: string): object | undefined {
  const shape = llmShape(graph);
  const words = llmVocabulary();
  const id = (t: string) => words.indexOf(t);
  const [endOfText, , imEnd] = LLM_SPECIALS;
  switch (path) {
    case 'config.json':
      return {
        architectures: ['Qwen2ForCausalLM'],
        model_type: 'qwen2',
        hidden_act: 'silu',
        hidden_size: LLM_TWIN.hidden,
        intermediate_size: LLM_TWIN.intermediate,
        num_hidden_layers: shape.layers,
        num_attention_heads: LLM_TWIN.queryHeads,
        num_key_value_heads: shape.kvHeads,
        head_dim: shape.headDim,
        max_position_embeddings: LLM_TWIN.maxPositions,
        rms_norm_eps: LLM_TWIN.rmsNormEps,
        rope_theta: LLM_TWIN.ropeTheta,
        tie_word_embeddings: true,
        use_cache: true,
        vocab_size: shape.vocab,
        bos_token_id: id(endOfText),
        eos_token_id: id(imEnd),
        torch_dtype: 'float32',
        'transformers.js_config': { dtype: 'fp32' },
      };
    case 'generation_config.json':
      return {
        bos_token_id: id(endOfText),
        pad_token_id: id(endOfText),
        eos_token_id: [id(imEnd), id(endOfText)],
        do_sample: true,
        temperature: 0.7,
        top_p: 0.8,
        top_k: 20,
        repetition_penalty: 1.05,
      };
    case 'tokenizer.json': {
      const { merges } = llmBpe();
      return {
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: LLM_SPECIALS.map((t) => special(id(t), t)),
        normalizer: { type: 'NFC' },
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
        post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
        decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: false,
          byte_fallback: false,
          ignore_merges: false,
          vocab: Object.fromEntries(words.filter((w) => !isSpecial(w)).map((w, i) => [w, i])),
          merges,
        },
      };
    }
    case 'tokenizer_config.json':
      return {
        tokenizer_class: 'Qwen2Tokenizer',
        model_max_length: LLM_TWIN.maxPositions,
        bos_token: null,
        eos_token: imEnd,
        pad_token: endOfText,
        unk_token: null,
        additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
        chat_template: CHAT_TEMPLATE,
        clean_up_tokenization_spaces: false,
        split_special_tokens: false,
      };
    default:
      return undefined;
  }
}
