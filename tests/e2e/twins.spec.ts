/**
 * The planner-LLM and VLM-judge twins through transformers.js 4.3.1's real
 * generate() in Chromium (WASM), loaded from local files only. Run with
 * `npx playwright test -c tests/e2e/twins.config.ts`.
 */
import { expect, test, type Page } from '@playwright/test';

interface Call {
  tokens: number;
  past: number;
  useCache: boolean | null;
}
interface Generated {
  model: string;
  ids: number[];
  text: string;
  calls: Call[];
}

async function ready(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Local files only: any request that leaves the origin fails the test.
  const origin = new URL(test.info().project.use.baseURL ?? '').origin;
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  await page.goto('/');
  await expect(page.locator('#status')).toHaveText('ready');
  return { errors, outside };
}

/** window.twins of tests/e2e/twins-page/main.ts. */
interface Harness {
  twins: {
    llm(prompt: string): Promise<Generated>;
    vlm(question: string, variant: number): Promise<Generated>;
  };
}
const llm = (page: Page, prompt: string) =>
  page.evaluate((p) => (window as unknown as Harness).twins.llm(p), prompt);
const vlm = (page: Page, question: string, variant: number) =>
  page.evaluate(([q, v]) => (window as unknown as Harness).twins.vlm(q, v), [question, variant] as const);

test('planner-llm twin: AutoModelForCausalLM generates 8 tokens with the KV cache, deterministically', async ({
  page,
}) => {
  const { errors, outside } = await ready(page);
  const a = await llm(page, 'plan a story with a knight and a dragon in the forest');
  const b = await llm(page, 'plan a story with a knight and a dragon in the forest');
  const c = await llm(page, 'write three panels of a cat on the beach at night');

  expect(a.model).toBe('Qwen2ForCausalLM');
  expect(a.ids).toHaveLength(8);
  expect(a.text.split(' ').filter(Boolean).length).toBeGreaterThan(0);
  expect(b.ids).toEqual(a.ids);
  expect(c.ids).not.toEqual(a.ids);
  // One prefill over the whole prompt, then one token per step on a growing cache.
  const [first, ...rest] = a.calls;
  expect(first?.past).toBe(0);
  expect(first?.tokens).toBeGreaterThan(5);
  expect(rest.map((x) => x.tokens)).toEqual(Array(7).fill(1));
  expect(rest.map((x) => x.past)).toEqual(rest.map((_, i) => (first?.tokens ?? 0) + i));
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});

test('vlm-judge twin: AutoProcessor + Florence2ForConditionalGeneration answer depends on image and question', async ({
  page,
}) => {
  const { errors, outside } = await ready(page);
  const question = 'is the knight holding a sword ?';
  const a = await vlm(page, question, 0);
  const b = await vlm(page, question, 0);
  const otherImage = await vlm(page, question, 1);
  const otherQuestion = await vlm(page, 'how many cats are on the beach ?', 0);

  expect(a.model).toBe('Florence2ForConditionalGeneration');
  // decoder_start_token_id </s>, the forced <s>, then words; max_new_tokens 8 → 9 ids.
  expect(a.ids).toHaveLength(9);
  expect(a.ids.slice(0, 2)).toEqual([2, 0]);
  expect(a.text.trim().split(' ').length).toBeGreaterThan(0);
  expect(b.ids).toEqual(a.ids);
  expect(otherImage.ids).not.toEqual(a.ids);
  expect(otherQuestion.ids).not.toEqual(a.ids);
  // First decoder call computes the cross keys (use_cache_branch false), later ones read the cache.
  expect(a.calls[0]).toEqual({ tokens: 1, past: 0, useCache: false });
  expect(a.calls.slice(1).map((x) => [x.tokens, x.past, x.useCache])).toEqual(
    a.calls.slice(1).map((_, i) => [1, i + 1, true]),
  );
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});
