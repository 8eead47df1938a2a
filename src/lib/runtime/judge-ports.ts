/**
 * The judge's real ports, through transformers.js on the pack's own files:
 *   detector            AutoProcessor + OwlViTForObjectDetection, post_process_object_detection
 *   image / text embed  AutoProcessor + CLIPVisionModelWithProjection, AutoTokenizer + CLIPTextModelWithProjection
 *   vlm                 AutoProcessor + Florence2ForConditionalGeneration: caption and phrase grounding (florence.ts)
 * Each model loads on first use and is kept until dispose(). Runs are queued on the runtime's one
 * chain (ORT is not re-entrant), shared with the engine's sessions.
 */
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Florence2ForConditionalGeneration,
  OwlViTForObjectDetection,
  RawImage,
} from '@huggingface/transformers';
import { StoryLoomError } from '../domain/errors';
import type { Detection, Detector, ImageEmbedder, ImageLike, JudgePorts, TextEmbedder } from '../judge';
import { cornersToBox, l2normalize, rgbOf } from '../judge/glue';
import type { Pack } from '../models/manifest';
import { planComponent, type ComponentPlan, type PlanInput } from '../models/plan';
import { packComponent, type PackComponent } from '../pipeline/contracts';
import { florenceVlm } from './florence';
import type { FlorenceModel, FlorenceProcessor } from './florence';
import { configureRuntime } from './ort-env';
import { serial } from './session';
import { loadError, registerPackComponent } from './judge-files';

export interface JudgePortsOptions {
  /** The page's plan input: each model opens the variant (dtype) and device the plan chose. */
  planInput?: PlanInput;
  /** Detections below this score are dropped before they leave the port. */
  minScore?: number;
  /** Tokens the VLM may write for the caption, and for each grounded phrase. */
  captionTokens?: number;
  groundingTokens?: number;
}

/** What transformers.js returns, as far as we read it. */
interface TensorLike {
  dims: number[];
  data: Float32Array | BigInt64Array | number[];
}
interface Disposable {
  dispose(): Promise<unknown>;
}
type Model = Disposable & ((inputs: Record<string, unknown>) => Promise<Record<string, TensorLike>>);
type Tokenize = (texts: string[], options: Record<string, unknown>) => Record<string, unknown>;
interface OwlImageProcessor {
  (image: RawImage): Promise<Record<string, unknown>>;
  /** Set when AutoProcessor made a full processor; else the image processor is the processor. */
  image_processor?: OwlImageProcessor;
  post_process_object_detection(
    outputs: Record<string, TensorLike>,
    threshold: number,
    targetSizes: null,
    zeroShot: boolean,
  ): Array<{ boxes: number[][]; classes: number[]; scores: number[] }>;
}
type ImageProcessor = (image: RawImage) => Promise<Record<string, unknown>>;

/** One lazily loaded model: loads once, concurrent callers share the load, dispose releases it. */
class Lazy<T extends object> {
  #value: Promise<T> | null = null;
  constructor(
    readonly pc: PackComponent,
    readonly plan: ComponentPlan,
    readonly load: (modelId: string) => Promise<T>,
    readonly release: (value: T) => Promise<unknown>,
  ) {}
  get(): Promise<T> {
    // transformers.js may read only what the plan downloaded: config files and the planned graphs.
    const served = [
      ...this.plan.download.filter((p) => !this.plan.graphs.some((g) => g.download.includes(p))),
    ];
    for (const g of this.plan.graphs) served.push(g.open.path);
    this.#value ??= this.load(registerPackComponent(this.pc, served)).catch((e: unknown) => {
      this.#value = null;
      throw loadError(this.pc, e);
    });
    return this.#value;
  }
  async dispose(): Promise<void> {
    const v = this.#value;
    this.#value = null;
    if (v) await v.then(this.release, () => undefined);
  }
}

const toRaw = (image: ImageLike) => new RawImage(rgbOf(image), image.width, image.height, 3);

export interface LoadedJudgePorts extends JudgePorts {
  /** Loaded models and their load times, for the report's timings. */
  loaded(): string[];
  dispose(): Promise<void>;
}

/** Ports for whichever judge components `pack` has; missing ones are left out (checks "not run"). */
export function createJudgePorts(pack: Pack, options: JudgePortsOptions = {}): LoadedJudgePorts {
  configureRuntime();
  const planInput = options.planInput ?? { caps: { backend: 'wasm' as const, features: [] } };
  const minScore = options.minScore ?? 0.01;
  const plans = new Map<string, ComponentPlan>();
  // A component this machine cannot run is left out: its checks say "not run" and why.
  const pcOf = (role: string): PackComponent | null => {
    const c = pack.components.find((x) => x.role === role);
    if (!c) return null;
    const plan = planComponent(c, planInput);
    if (plan.unavailable) return null;
    plans.set(c.id, plan);
    return packComponent(pack, c);
  };
  /** transformers.js options: the planned dtype per file (keyed by graph id = file base name) and device. */
  const modelOptions = (pc: PackComponent) => {
    const plan = plans.get(pc.component.id);
    if (!plan) throw new StoryLoomError('invalid-input', `${pc.component.title} was not planned.`);
    return {
      dtype: Object.fromEntries(plan.graphs.map((g) => [g.graphId, g.variant.dtype])),
      device: plan.device,
    };
  };
  const lazies: Lazy<object>[] = [];
  const lazy = <T extends object>(
    pc: PackComponent,
    load: (id: string) => Promise<T>,
    release: (v: T) => Promise<unknown>,
  ) => {
    const plan = plans.get(pc.component.id);
    if (!plan) throw new StoryLoomError('invalid-input', `${pc.component.title} was not planned.`);
    const l = new Lazy(pc, plan, load, release);
    lazies.push(l as unknown as Lazy<object>);
    return l;
  };
  const ports: LoadedJudgePorts = {
    loaded: () => lazies.map((l) => l.pc.component.id),
    async dispose() {
      await Promise.all(lazies.map((l) => l.dispose()));
    },
  };

  const detectorPc = pcOf('detector');
  if (detectorPc) {
    const owl = lazy(
      detectorPc,
      async (id) => ({
        processor: (await AutoProcessor.from_pretrained(id)) as unknown as OwlImageProcessor,
        tokenizer: (await AutoTokenizer.from_pretrained(id)) as unknown as Tokenize,
        model: (await OwlViTForObjectDetection.from_pretrained(
          id,
          modelOptions(detectorPc),
        )) as unknown as Model,
      }),
      (v) => v.model.dispose(),
    );
    const detector: Detector = {
      async detect(image, queries) {
        if (queries.length === 0) return [];
        const { processor, tokenizer, model } = await owl.get();
        const text = tokenizer(queries, { padding: true, truncation: true });
        const { pixel_values } = await processor(toRaw(image));
        const output = await serial(() => model({ ...text, pixel_values }));
        const post = processor.image_processor ?? processor;
        const [result] = post.post_process_object_detection(output, minScore, null, true);
        if (!result) return [];
        return result.boxes.flatMap((corners, i): Detection[] => {
          const box = cornersToBox(corners);
          return box ? [{ box, score: result.scores[i] ?? 0, queryIndex: result.classes[i] ?? 0 }] : [];
        });
      },
    };
    ports.detector = detector;
  }

  const encoderPc = pcOf('image-text-encoder');
  if (encoderPc) {
    const vision = lazy(
      encoderPc,
      async (id) => ({
        processor: (await AutoProcessor.from_pretrained(id)) as unknown as ImageProcessor,
        model: (await CLIPVisionModelWithProjection.from_pretrained(
          id,
          modelOptions(encoderPc),
        )) as unknown as Model,
      }),
      (v) => v.model.dispose(),
    );
    const text = lazy(
      encoderPc,
      async (id) => ({
        tokenizer: (await AutoTokenizer.from_pretrained(id)) as unknown as Tokenize,
        model: (await CLIPTextModelWithProjection.from_pretrained(
          id,
          modelOptions(encoderPc),
        )) as unknown as Model,
      }),
      (v) => v.model.dispose(),
    );
    const imageEmbedder: ImageEmbedder = {
      async embedImage(image) {
        const { processor, model } = await vision.get();
        const inputs = await processor(toRaw(image));
        const { image_embeds } = await serial(() => model(inputs));
        if (!image_embeds)
          throw new StoryLoomError('invalid-input', `${encoderPc.component.title} returned no image_embeds.`);
        return l2normalize(Float32Array.from(image_embeds.data as Float32Array));
      },
    };
    const textEmbedder: TextEmbedder = {
      async embedText(texts) {
        if (texts.length === 0) return [];
        const { tokenizer, model } = await text.get();
        const inputs = tokenizer(texts, { padding: true, truncation: true });
        const { text_embeds } = await serial(() => model(inputs));
        if (!text_embeds)
          throw new StoryLoomError('invalid-input', `${encoderPc.component.title} returned no text_embeds.`);
        const size = text_embeds.dims[1] ?? 0;
        const data = text_embeds.data as Float32Array;
        return texts.map((_, i) => l2normalize(Float32Array.from(data.subarray(i * size, (i + 1) * size))));
      },
    };
    ports.imageEmbedder = imageEmbedder;
    ports.textEmbedder = textEmbedder;
  }

  const vlmPc = pcOf('vlm-judge');
  if (vlmPc) {
    const florence = lazy(
      vlmPc,
      async (id) => ({
        processor: (await AutoProcessor.from_pretrained(id)) as unknown as FlorenceProcessor<RawImage>,
        model: (await Florence2ForConditionalGeneration.from_pretrained(
          id,
          modelOptions(vlmPc),
        )) as unknown as Disposable & FlorenceModel,
      }),
      (v) => v.model.dispose(),
    );
    ports.vlm = florenceVlm({
      load: () => florence.get(),
      toImage: toRaw,
      run: serial,
      captionTokens: options.captionTokens ?? 64,
      groundingTokens: options.groundingTokens ?? 32,
    });
  }
  return ports;
}
