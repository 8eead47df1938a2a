/**
 * The planner's language model through transformers.js on the pack's own files: AutoTokenizer +
 * AutoModelForCausalLM with the dtype and device the plan chose (like the judge's Florence path:
 * q4f16 with shader-f16, q4 or fp32 without), greedy generation with a logits processor (the
 * structured-output constraint, a fresh one per call), tokens streamed through a TextStreamer,
 * and an abort that interrupts generation between tokens. `dispose()` releases the sessions so
 * the GPU is the engine's again.
 */
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  InterruptableStoppingCriteria,
  TextStreamer,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import { StoryLoomError } from '../domain/errors';
import type { Pack } from '../models/manifest';
import { planComponent, type PlanInput } from '../models/plan';
import { packComponent } from '../pipeline/contracts';
import { allowOriginFiles } from './engine-browser';
import { loadError, registerPackComponent } from './judge-files';
import { configureRuntime } from './ort-env';
import { serial } from './session';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What transformers.js' generate accepts as a logits processor, as far as we pass it on. */
export type LogitsProcessorLike = object;

export interface CompleteOptions {
  maxNewTokens: number;
  /** The constraint for this call (one per generation: it keeps state); none = free text. */
  logitsProcessor?: LogitsProcessorLike;
  signal?: AbortSignal;
  /** Each piece of decoded text as it is finalised. */
  onText?: (text: string) => void;
  /** Called once per generated token. */
  onToken?: () => void;
}

export interface Completion {
  text: string;
  /** New tokens generated. */
  tokens: number;
  /** Wall time of generate() (ms), prompt included. */
  ms: number;
}

export interface PlannerLlm {
  readonly tokenizer: PreTrainedTokenizer;
  readonly device: string;
  readonly dtype: string;
  complete(messages: ChatMessage[], options: CompleteOptions): Promise<Completion>;
  dispose(): Promise<void>;
}

interface CausalLm {
  generate(inputs: Record<string, unknown>): Promise<unknown>;
  dispose(): Promise<unknown>;
}

export interface LoadPlannerOptions {
  planInput: PlanInput;
  /** Test packs served by our own origin may be read from there (the test hooks allow it). */
  allowOrigin: boolean;
}

// The worker turns an AbortError into its 'cancelled' code.
const cancelled = () => new DOMException('Planning was cancelled.', 'AbortError');

/** Load the pack's planner-llm component (config, tokenizer, the planned graph). */
export async function loadPlannerLlm(pack: Pack, options: LoadPlannerOptions): Promise<PlannerLlm> {
  configureRuntime();
  allowOriginFiles(options.allowOrigin);
  const component = pack.components.find((c) => c.role === 'planner-llm');
  if (!component)
    throw new StoryLoomError('not-found', `${pack.title} has no planner model (planner-llm component).`);
  const plan = planComponent(component, { ...options.planInput, features: ['plan'] });
  if (plan.unavailable) throw new StoryLoomError('invalid-input', plan.unavailable);
  const pc = packComponent(pack, component);
  // transformers.js may read only the config files and the graph the plan opens.
  const served = plan.download.filter((p) => !plan.graphs.some((g) => g.download.includes(p)));
  for (const g of plan.graphs) served.push(g.open.path);
  const id = registerPackComponent(pc, served);
  const dtype = Object.fromEntries(plan.graphs.map((g) => [g.graphId, g.variant.dtype]));
  let tokenizer: PreTrainedTokenizer;
  let model: CausalLm;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(id);
    model = (await AutoModelForCausalLM.from_pretrained(id, {
      dtype: dtype as Record<string, 'fp32'>,
      device: plan.device,
    })) as unknown as CausalLm;
  } catch (e) {
    throw loadError(pc, e);
  }
  const eos = tokenizer.eos_token_id;
  return {
    tokenizer,
    device: plan.device,
    dtype: plan.graphs.map((g) => g.variant.dtype).join(', '),
    async complete(messages, o) {
      if (o.signal?.aborted) throw cancelled();
      const prompt = tokenizer.apply_chat_template(messages, {
        tokenize: false,
        add_generation_prompt: true,
      }) as string;
      let inputs: Record<string, unknown>;
      try {
        inputs = tokenizer(prompt) as Record<string, unknown>;
      } catch (e) {
        // A tokenizer without an unknown-token fallback cannot encode words outside its vocabulary.
        throw new StoryLoomError(
          'invalid-input',
          `${component.title}'s tokenizer could not encode the planning prompt (${e instanceof Error ? e.message : String(e)}).`,
          { cause: e },
        );
      }
      const promptLength = (inputs.input_ids as Tensor).dims[1] ?? 0;
      const stop = new InterruptableStoppingCriteria();
      const onAbort = () => stop.interrupt();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const streamer = new TextStreamer(tokenizer, {
        skip_prompt: true,
        skip_special_tokens: true,
        callback_function: (text: string) => o.onText?.(text),
        token_callback_function: () => o.onToken?.(),
      });
      const started = performance.now();
      try {
        const out = (await serial(() =>
          model.generate({
            ...inputs,
            max_new_tokens: o.maxNewTokens,
            do_sample: false,
            ...(eos !== undefined && eos !== null ? { eos_token_id: eos } : {}),
            ...(o.logitsProcessor ? { logits_processor: o.logitsProcessor } : {}),
            stopping_criteria: [stop],
            streamer,
          }),
        )) as Tensor;
        const ms = performance.now() - started;
        if (o.signal?.aborted) throw cancelled();
        const ids = ((out.tolist() as bigint[][])[0] ?? []).slice(promptLength);
        const text = tokenizer.decode(ids, { skip_special_tokens: true });
        return { text, tokens: ids.length, ms };
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
      }
    },
    async dispose() {
      await model.dispose();
    },
  };
}
