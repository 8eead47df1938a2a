/**
 * Exposes `window.twins` to the Playwright spec: generate with the planner-LLM
 * twin (AutoTokenizer + AutoModelForCausalLM) and the VLM-judge twin
 * (AutoProcessor + Florence2ForConditionalGeneration) through transformers.js'
 * own generate(), from local files only, recording every decoder call so the
 * spec can see the KV cache at work.
 */
import {
  AutoModelForCausalLM,
  AutoProcessor,
  AutoTokenizer,
  env,
  Florence2ForConditionalGeneration,
  Qwen2ForCausalLM,
  RawImage,
  Tensor,
} from '@huggingface/transformers';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

env.allowLocalModels = true;
env.allowRemoteModels = false;
env.localModelPath = '/models/tiny/';
env.useBrowserCache = false;
const wasm = env.backends.onnx.wasm;
if (wasm) {
  wasm.wasmPaths = { wasm: new URL(wasmUrl, import.meta.url).href };
  wasm.numThreads = 1;
  wasm.proxy = false;
}

/** What one decoder session call saw: input length, cache length, cache branch. */
export interface Call {
  tokens: number;
  past: number;
  useCache: boolean | null;
}
export interface Generated {
  model: string;
  ids: number[];
  text: string;
  calls: Call[];
}

type Feeds = Record<string, { dims: readonly number[]; data: unknown }>;
interface RunnableSession {
  run(feeds: Feeds, ...rest: unknown[]): Promise<unknown>;
}

/** Wraps a session's run to record each call's shapes. */
function record(session: RunnableSession, tokensFrom: string, pastFrom: string, calls: Call[]) {
  const run = session.run.bind(session);
  session.run = (feeds, ...rest) => {
    const branch = feeds.use_cache_branch?.data as ArrayLike<unknown> | undefined;
    calls.push({
      tokens: feeds[tokensFrom]?.dims[1] ?? -1,
      past: feeds[pastFrom]?.dims[2] ?? -1,
      useCache: branch ? Boolean(branch[0]) : null,
    });
    return run(feeds, ...rest);
  };
}

const ids = (t: Tensor) => (t.tolist() as bigint[][])[0]?.map(Number) ?? [];

async function llm(prompt: string, maxNewTokens = 8): Promise<Generated> {
  const tokenizer = await AutoTokenizer.from_pretrained('planner-llm');
  const model = await AutoModelForCausalLM.from_pretrained('planner-llm', { dtype: 'fp32', device: 'wasm' });
  const calls: Call[] = [];
  record(model.sessions.model as RunnableSession, 'input_ids', 'past_key_values.0.key', calls);
  const text = tokenizer.apply_chat_template([{ role: 'user', content: prompt }], {
    tokenize: false,
    add_generation_prompt: true,
  }) as string;
  const inputs = tokenizer(text);
  const promptLength = (inputs.input_ids as Tensor).dims[1] ?? 0;
  const out = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
  const fresh = ids(out).slice(promptLength);
  const result = {
    // Class names are minified in transformers.js' bundle: check the class itself.
    model: model instanceof Qwen2ForCausalLM ? 'Qwen2ForCausalLM' : 'another class',
    ids: fresh,
    text: tokenizer.decode(fresh, { skip_special_tokens: true }),
    calls,
  };
  await model.dispose();
  return result;
}

/** A 96×64 RGB test picture: a gradient, plus a bright square when `variant` is 1. */
function picture(variant: number): RawImage {
  const [w, h] = [96, 64];
  const data = new Uint8ClampedArray(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const square = variant === 1 && x > 20 && x < 60 && y > 10 && y < 50;
      data[i] = square ? 250 : (x * 255) / w;
      data[i + 1] = square ? 240 : (y * 255) / h;
      data[i + 2] = square ? 30 : 128;
    }
  return new RawImage(data, w, h, 3);
}

async function vlm(question: string, variant = 0, maxNewTokens = 8): Promise<Generated> {
  const processor = await AutoProcessor.from_pretrained('vlm-judge');
  const model = await Florence2ForConditionalGeneration.from_pretrained('vlm-judge', {
    dtype: 'fp32',
    device: 'wasm',
  });
  const calls: Call[] = [];
  record(
    model.sessions.decoder_model_merged as RunnableSession,
    'inputs_embeds',
    'past_key_values.0.decoder.key',
    calls,
  );
  const inputs = await processor(picture(variant), question);
  const out = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
  const all = ids(out);
  const result = {
    model:
      model instanceof Florence2ForConditionalGeneration
        ? 'Florence2ForConditionalGeneration'
        : 'another class',
    ids: all,
    text: processor.batch_decode(out, { skip_special_tokens: true })[0] ?? '',
    calls,
  };
  await model.dispose();
  return result;
}

declare global {
  interface Window {
    twins: { llm: typeof llm; vlm: typeof vlm };
  }
}
window.twins = { llm, vlm };
document.getElementById('status')!.textContent = 'ready';
