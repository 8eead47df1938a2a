/**
 * Planner figures for `npm run bench`, in a throwaway Chromium on the tiny pack's planner twin (WASM,
 * the real planner worker, transformers.js and ORT sessions; plans through the bench's test control):
 *
 *   plannerConstraintOverheadRatio  time per generated token with the structured-output constraint ÷
 *                                   without it (the same prompts, free text), both timed inside the
 *                                   worker around generate(); median of the runs. Aim ≤ 1.2.
 *   plannerPanelsValid              share of planned panels whose model answer validated (first or
 *                                   second try) without the template fallback, over every constrained
 *                                   run. Must be 1.0 on the twin.
 *   plannerMsPerToken               { constrained, unconstrained } medians (informative).
 *   plannerLoadMs                   load + warm-up of the planner in the worker, median (informative).
 */
import type { BrowserContext } from '@playwright/test';
import { launchFreshBrowser } from './browser';
import { median, type BenchContext, type Figures, type Measure } from './measure';
import { addHooks, TINY } from '../e2e/helpers/hooks';

interface Outcome {
  panels: { source: string }[];
  stats: { tokens: number; generateMs: number; loadMs: number; device: string; dtype: string } | null;
}

export interface PlannerFigures extends Figures {
  plannerConstraintOverheadRatio: number;
  plannerPanelsValid: number;
  plannerMsPerToken: { constrained: number; unconstrained: number };
  plannerLoadMs: number;
}

const REQUEST = {
  premise:
    'Mira finds a map in the attic. Bo wants to sail at once. A storm closes in over the harbour. They reach the lighthouse at dawn.',
  cast: [
    { id: 'mira', name: 'Mira' },
    { id: 'bo', name: 'Bo' },
  ],
  panelCount: 4,
  style: 'ink and wash',
  direction: 'ltr',
};
/** The free-text baseline never stops early: fewer tokens per call keep it short. */
const BASELINE_TOKENS = 96;

export async function measurePlanner(
  context: BrowserContext,
  baseUrl: string,
  options: { runs: number; log(line: string): void },
): Promise<PlannerFigures> {
  await addHooks(context, { ...TINY, backend: 'wasm', benchPlanner: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => options.log(`  page error: ${e.message}`));
  await page.goto(`${baseUrl}/#/library`);
  await page.waitForFunction(() => '__STORYLOOM_TEST_CONTROLS__' in globalThis, null, { timeout: 30_000 });
  const plan = (constrained: boolean) =>
    page.evaluate(
      ([request, on, tokens]) => {
        const controls = (
          globalThis as unknown as {
            __STORYLOOM_TEST_CONTROLS__: { plan(r: unknown, o: unknown): Promise<Outcome> };
          }
        ).__STORYLOOM_TEST_CONTROLS__;
        return controls.plan(
          request,
          on ? { constrained: true } : { constrained: false, maxNewTokens: tokens },
        );
      },
      [REQUEST, constrained, BASELINE_TOKENS] as const,
    );
  const perToken = { constrained: [] as number[], unconstrained: [] as number[] };
  const loads: number[] = [];
  let panels = 0;
  let valid = 0;
  for (let run = 0; run < options.runs; run++) {
    for (const constrained of [true, false]) {
      const out = await plan(constrained);
      if (!out.stats) throw new Error('The planner twin did not run (the template wrote the plan).');
      const ms = out.stats.generateMs / Math.max(1, out.stats.tokens);
      (constrained ? perToken.constrained : perToken.unconstrained).push(ms);
      loads.push(out.stats.loadMs);
      if (constrained) {
        panels += out.panels.length;
        valid += out.panels.filter((p) => p.source === 'model').length;
      }
      options.log(
        `  planner ${constrained ? 'constrained' : 'free text  '} run ${run + 1}: ${out.stats.tokens} tokens, ` +
          `${ms.toFixed(2)} ms/token, load ${Math.round(out.stats.loadMs)} ms (${out.stats.device}, ${out.stats.dtype})` +
          (constrained
            ? `, ${out.panels.filter((p) => p.source === 'model').length}/${out.panels.length} panels valid`
            : ''),
      );
    }
  }
  await page.close();
  const constrained = median(perToken.constrained);
  const unconstrained = median(perToken.unconstrained);
  const figures: PlannerFigures = {
    plannerConstraintOverheadRatio: Math.round((constrained / unconstrained) * 100) / 100,
    plannerPanelsValid: panels ? valid / panels : 0,
    plannerMsPerToken: {
      constrained: Math.round(constrained * 100) / 100,
      unconstrained: Math.round(unconstrained * 100) / 100,
    },
    plannerLoadMs: Math.round(median(loads)),
  };
  options.log(
    `Planner: constraint overhead ×${figures.plannerConstraintOverheadRatio} per token ` +
      `(${figures.plannerMsPerToken.constrained} vs ${figures.plannerMsPerToken.unconstrained} ms), ` +
      `panels valid ${figures.plannerPanelsValid}`,
  );
  return figures;
}

export const plannerBench: Measure = {
  name: 'planner',
  // A fresh profile: the planner writes nothing, but its hooks must not reach the seeded studio.
  run: async (ctx: BenchContext) => {
    const fresh = await launchFreshBrowser();
    try {
      return await measurePlanner(fresh.context, ctx.baseUrl, { runs: Math.min(ctx.runs, 3), log: ctx.log });
    } finally {
      await fresh.close();
    }
  },
};
