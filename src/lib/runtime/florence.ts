/**
 * Florence-2 as the judge's Vlm, through two of the tasks it was trained for and nothing else
 * (it has no question answering: src/lib/judge/caption.ts says why). The calls follow
 * transformers.js 4.3.1's Florence2Processor (models/florence2/processing_florence2.js) and the
 * official example (huggingface/transformers.js-examples florence2-webgpu/src/worker.js):
 *   1. processor(image, text)   the text is the task token, plus the phrase for grounding;
 *                               construct_prompts turns it into the task's prompt ("Describe with
 *                               a paragraph what is shown in the image.", "Locate the phrases in
 *                               the caption: <phrase>").
 *   2. model.generate           greedy (num_beams 1: transformers.js' generate has no beam search,
 *                               "TODO: Support beam search"; do_sample false), max_new_tokens
 *                               bounded: the test twins never stop early.
 *   3. batch_decode             with skip_special_tokens false: Florence-2's <loc_N> box tokens are
 *                               special tokens, and post_process_generation needs them.
 *   4. post_process_generation(text, task, [width, height]) → { [task]: caption } or
 *                               { [task]: { labels, bboxes } }, bboxes [x0, y0, x1, y1] in pixels
 *                               of that size. The size is width first, as RawImage.size gives it:
 *                               the code scales x by image_size[0] (its doc comment says
 *                               "height x width").
 * No transformers.js import here: the processor and model are passed in, so this runs on fakes.
 */
import { StoryLoomError } from '../domain/errors';
import type { GroundedRegion, ImageLike, Vlm } from '../judge';
import { cornersToBox } from '../judge/glue';

export const FLORENCE_TASKS = {
  caption: '<MORE_DETAILED_CAPTION>',
  grounding: '<CAPTION_TO_PHRASE_GROUNDING>',
} as const;

/** What we use of Florence2Processor. */
export interface FlorenceProcessor<Image> {
  (image: Image, text: string): Promise<Record<string, unknown>>;
  batch_decode(ids: unknown, options: { skip_special_tokens: boolean }): string[];
  post_process_generation(text: string, task: string, imageSize: [number, number]): Record<string, unknown>;
}

export interface FlorenceModel {
  generate(inputs: Record<string, unknown>): Promise<unknown>;
}

export interface FlorenceOptions<Image> {
  load(): Promise<{ processor: FlorenceProcessor<Image>; model: FlorenceModel }>;
  toImage(image: ImageLike): Image;
  /** Runs one generate() on the runtime's queue (ORT is not re-entrant). */
  run<T>(job: () => Promise<T>): Promise<T>;
  /** New tokens for the caption (a paragraph is about 60–120). */
  captionTokens: number;
  /** New tokens for grounding: the phrase, then four <loc_N> tokens per box. */
  groundingTokens: number;
}

const unexpected = (task: string, got: unknown) =>
  new StoryLoomError(
    'invalid-input',
    `Florence-2's ${task} result should be ${task === FLORENCE_TASKS.caption ? 'text' : 'labels with boxes'}, got ${String(JSON.stringify(got)).slice(0, 120)}.`,
  );

/** The caption in post_process_generation's result. */
export function readCaption(result: Record<string, unknown>): string {
  const caption = result[FLORENCE_TASKS.caption];
  if (typeof caption !== 'string') throw unexpected(FLORENCE_TASKS.caption, result);
  return caption.trim();
}

/** The grounded boxes in post_process_generation's result, normalised to the image. */
export function readGrounding(
  result: Record<string, unknown>,
  width: number,
  height: number,
): GroundedRegion[] {
  const found = result[FLORENCE_TASKS.grounding] as { labels?: unknown; bboxes?: unknown } | undefined;
  const { labels, bboxes } = found ?? {};
  if (!Array.isArray(labels) || !Array.isArray(bboxes) || labels.length !== bboxes.length)
    throw unexpected(FLORENCE_TASKS.grounding, result);
  return bboxes.flatMap((corners: unknown, i): GroundedRegion[] => {
    const box = Array.isArray(corners) ? cornersToBox(corners as number[], width, height) : null;
    return box ? [{ box, label: String(labels[i]).trim() }] : [];
  });
}

export function florenceVlm<Image>(options: FlorenceOptions<Image>): Vlm {
  const { load, toImage, run } = options;
  const complete = async (image: ImageLike, task: string, text: string, maxNewTokens: number) => {
    const { processor, model } = await load();
    const inputs = await processor(toImage(image), text);
    // generate() runs several sessions in turn; the whole call holds the queue.
    const ids = await run(() =>
      model.generate({ ...inputs, max_new_tokens: maxNewTokens, num_beams: 1, do_sample: false }),
    );
    const decoded = processor.batch_decode(ids, { skip_special_tokens: false })[0] ?? '';
    return processor.post_process_generation(decoded, task, [image.width, image.height]);
  };
  return {
    async describe(image) {
      const task = FLORENCE_TASKS.caption;
      return readCaption(await complete(image, task, task, options.captionTokens));
    },
    async ground(image, phrase) {
      const task = FLORENCE_TASKS.grounding;
      const result = await complete(image, task, `${task}${phrase}`, options.groundingTokens);
      return readGrounding(result, image.width, image.height);
    },
  };
}
