/** The template fallback: its golden output, determinism, and every panel valid as a plan and as a Panel. */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Panel } from '../../src/lib/domain';
import {
  panelPlanToPanel,
  planRequest,
  templatePlan,
  validateOutline,
  validatePanelPlan,
} from '../../src/lib/planner';

const GOLDEN = new URL('../fixtures/planner/template-plan.json', import.meta.url);

const REQUEST = planRequest({
  premise:
    'Mira and her robot Bolt wake at dawn in the lighthouse. A storm rolls over the sea! ' +
    'Bolt finds a map in the attic, and then Mira reads it. They set off across the cliffs. ' +
    'Suddenly a dragon attacks the boat! Mira laughs as they sail home at night.',
  cast: [
    { id: 'c-mira', name: 'Mira' },
    { id: 'c-bolt', name: 'Bolt' },
  ],
  panelCount: 8,
  style: 'ink and watercolour',
  direction: 'ltr',
  seed: 7,
});

describe('template fallback', () => {
  test('matches the golden plan', () => {
    const plan = templatePlan(REQUEST);
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, `${JSON.stringify(plan, null, 2)}\n`);
    expect(plan).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  test('is deterministic, depends on the seed, flags every panel as template, invents no dialogue', () => {
    expect(templatePlan(REQUEST)).toEqual(templatePlan(REQUEST));
    const other = templatePlan({ ...REQUEST, seed: 8 });
    expect(other.panels.map((p) => p.plan)).not.toEqual(templatePlan(REQUEST).panels.map((p) => p.plan));
    const plan = templatePlan(REQUEST);
    expect(plan.panels.every((p) => p.source === 'template' && p.plan.dialogue.length === 0)).toBe(true);
    expect(plan.panels[0]!.plan.composition.shotSize).toBe('wide');
  });

  test('every panel validates against the model path’s schemas and makes a domain Panel, for many requests', () => {
    for (const panelCount of [1, 2, 5, 13, 40]) {
      for (const direction of ['ltr', 'rtl', 'webtoon'] as const) {
        const request = { ...REQUEST, panelCount, direction, seed: panelCount };
        const plan = templatePlan(request);
        expect(validateOutline(JSON.stringify(plan.outline), request)).toMatchObject({ ok: true });
        for (const p of plan.panels) {
          expect(validatePanelPlan(JSON.stringify(p.plan), request, p.beat)).toMatchObject({ ok: true });
          const panel = panelPlanToPanel(p, { storyId: 's', now: 1 });
          expect(Panel.safeParse(panel).success).toBe(true);
          // The board's mark survives a reload because the panel itself says who planned it.
          expect(panel.plannedBy).toBe(p.source);
        }
      }
    }
  }, 60_000);
});
