/**
 * The Florence-2 Vlm on a fake processor and model: which task text goes in, how generate() is
 * bounded, that special tokens are kept for post-processing, and how its results become a
 * caption and normalised boxes. The real processor runs in the e2e judge test on the twins.
 */
import { describe, expect, it } from 'vitest';
import { StoryLoomError } from '../../src/lib/domain';
import type { ImageLike } from '../../src/lib/judge';
import { FLORENCE_TASKS, florenceVlm, readCaption, readGrounding } from '../../src/lib/runtime/florence';
import type { FlorenceProcessor } from '../../src/lib/runtime/florence';

const image: ImageLike = { width: 200, height: 100, data: new Uint8ClampedArray(200 * 100 * 4) };

function fake(results: Record<string, Record<string, unknown>>) {
  const calls = {
    processor: [] as Array<[string, string]>,
    generate: [] as Record<string, unknown>[],
    decode: [] as unknown[],
    post: [] as Array<[string, string, [number, number]]>,
    queued: 0,
  };
  const processor = Object.assign(
    async (img: string, text: string) => {
      calls.processor.push([img, text]);
      return { pixel_values: 'pixels', input_ids: text };
    },
    {
      batch_decode(ids: unknown, options: { skip_special_tokens: boolean }) {
        calls.decode.push(options);
        return [`decoded ${String(ids)}`];
      },
      post_process_generation(text: string, task: string, size: [number, number]) {
        calls.post.push([text, task, size]);
        return results[task] ?? {};
      },
    },
  ) satisfies FlorenceProcessor<string>;
  const model = {
    async generate(inputs: Record<string, unknown>) {
      calls.generate.push(inputs);
      return 'ids';
    },
  };
  const vlm = florenceVlm<string>({
    load: async () => ({ processor, model }),
    toImage: (img) => `raw ${img.width}×${img.height}`,
    run: (job) => {
      calls.queued++;
      return job();
    },
    captionTokens: 64,
    groundingTokens: 32,
  });
  return { vlm, calls };
}

describe('Florence-2 Vlm', () => {
  it('captions with the task token, greedy and bounded, keeping special tokens', async () => {
    const { vlm, calls } = fake({
      [FLORENCE_TASKS.caption]: { [FLORENCE_TASKS.caption]: ' A girl waves at a fox. ' },
    });
    expect(await vlm.describe(image)).toBe('A girl waves at a fox.');
    expect(calls.processor).toEqual([['raw 200×100', '<MORE_DETAILED_CAPTION>']]);
    expect(calls.generate).toEqual([
      {
        pixel_values: 'pixels',
        input_ids: '<MORE_DETAILED_CAPTION>',
        max_new_tokens: 64,
        num_beams: 1,
        do_sample: false,
      },
    ]);
    expect(calls.queued).toBe(1);
    expect(calls.decode).toEqual([{ skip_special_tokens: false }]);
    expect(calls.post).toEqual([['decoded ids', '<MORE_DETAILED_CAPTION>', [200, 100]]]);
  });

  it('grounds the phrase after the task token and normalises the pixel boxes', async () => {
    const task = FLORENCE_TASKS.grounding;
    const { vlm, calls } = fake({
      [task]: {
        [task]: {
          labels: ['the girl ', 'the girl'],
          bboxes: [
            [20, 10, 120, 90],
            [150, 50, 150, 60], // empty: dropped
          ],
        },
      },
    });
    expect(await vlm.ground(image, 'the girl')).toEqual([
      { box: { x: 0.1, y: 0.1, w: 0.5, h: expect.closeTo(0.8, 9) }, label: 'the girl' },
    ]);
    expect(calls.processor).toEqual([['raw 200×100', '<CAPTION_TO_PHRASE_GROUNDING>the girl']]);
    expect(calls.generate[0]).toMatchObject({ max_new_tokens: 32, num_beams: 1, do_sample: false });
    expect(calls.post[0]).toEqual(['decoded ids', task, [200, 100]]);
  });

  it('reads "not located" as no boxes, and refuses results of another shape', () => {
    const task = FLORENCE_TASKS.grounding;
    expect(readGrounding({ [task]: { labels: [], bboxes: [] } }, 10, 10)).toEqual([]);
    expect(() => readGrounding({ [task]: { labels: ['a'], bboxes: [] } }, 10, 10)).toThrow(StoryLoomError);
    expect(() => readGrounding({ '<OD>': { labels: [], bboxes: [] } }, 10, 10)).toThrow(
      /<CAPTION_TO_PHRASE_GROUNDING> result should be labels with boxes/,
    );
    expect(() => readCaption({ [FLORENCE_TASKS.caption]: { labels: [] } })).toThrow(
      /<MORE_DETAILED_CAPTION> result should be text/,
    );
  });
});
