/**
 * Plan from a premise: the planner twin of the tiny pack (a real Qwen2-shaped ONNX decoder, loaded by
 * transformers.js in the planner worker, its output constrained to the plan's JSON schema) writes
 * draft panels that stream onto the board one by one and are stored as they arrive; a cancel keeps
 * the finished ones; without a planner in the pack the template writes the plan and says so. Real
 * Chromium, IndexedDB and workers; the panels are read back from the database and checked against
 * the plan's rules (cast among the chosen, every enum in its vocabulary).
 */
import type { Page } from '@playwright/test';
import tinyPack from '../../models/tiny-pack.json' with { type: 'json' };
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  TIMES_OF_DAY,
} from '../../src/lib/domain/vocabulary';
import { createCharacter } from './helpers/library';
import { expect, reopen, test, TINY } from './helpers/studio';

const PREMISE =
  'Mira finds a map in the attic. Bo wants to sail at once. A storm closes in over the harbour. They reach the lighthouse at dawn.';
const ids = (terms: readonly { id: string }[]) => new Set(terms.map((t) => t.id));

interface StoredPanel {
  id: string;
  storyId: string;
  status: string;
  beat: string;
  caption: string;
  plannedBy: 'model' | 'template' | null;
  cast: { characterId: string; pose: string; expression: string; facing: string; gaze: string }[];
  scene: { timeOfDay: string };
  composition: { shotSize: string; cameraAngle: string };
  dialogue: { speakerId: string | null }[];
}

/** The story open in the editor, with its panels in board order, read from IndexedDB. */
async function storedPlan(
  page: Page,
): Promise<{ premise: string; panels: StoredPanel[]; characterIds: Record<string, string> }> {
  const storyId = page.url().split('/').pop()!;
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('storyloom');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => resolve(r.result as T[]);
        r.onerror = () => reject(r.error);
      });
    const stories = await all<{ id: string; premise: string; panelIds: string[] }>('stories');
    const panels = await all<StoredPanel>('panels');
    const characters = await all<{ id: string; name: string }>('characters');
    db.close();
    const story = stories.find((s) => s.id === id);
    const byId = new Map(panels.map((p) => [p.id, p]));
    return {
      premise: story?.premise ?? '',
      panels: (story?.panelIds ?? []).map((pid) => byId.get(pid)!).filter(Boolean),
      characterIds: Object.fromEntries(characters.map((c) => [c.name, c.id])),
    };
  }, storyId);
}

function expectValid(panel: StoredPanel, chosen: Set<string>) {
  expect(panel.status).toBe('draft');
  for (const m of panel.cast) {
    expect(chosen.has(m.characterId), `cast id ${m.characterId} is one of the chosen`).toBe(true);
    expect(ids(POSES).has(m.pose), `pose ${m.pose}`).toBe(true);
    expect(ids(EXPRESSIONS).has(m.expression), `expression ${m.expression}`).toBe(true);
    expect(ids(FACINGS).has(m.facing), `facing ${m.facing}`).toBe(true);
    expect(ids(GAZES).has(m.gaze), `gaze ${m.gaze}`).toBe(true);
  }
  expect(new Set(panel.cast.map((m) => m.characterId)).size).toBe(panel.cast.length);
  expect((TIMES_OF_DAY as readonly string[]).includes(panel.scene.timeOfDay)).toBe(true);
  expect(ids(SHOT_SIZES).has(panel.composition.shotSize)).toBe(true);
  expect(ids(CAMERA_ANGLES).has(panel.composition.cameraAngle)).toBe(true);
  for (const line of panel.dialogue)
    if (line.speakerId !== null) expect(chosen.has(line.speakerId)).toBe(true);
}

async function fillPlanForm(page: Page, panels: number) {
  await page.goto('/#/story/new');
  await page.getByLabel('Title', { exact: true }).fill('The lighthouse map');
  await page.getByTestId('plan-open').click();
  await page.getByLabel('Premise to plan from').fill(PREMISE);
  for (const name of ['Mira', 'Bo']) {
    await page.getByLabel('Add to the cast').fill(name);
    await page.getByRole('option', { name, exact: true }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
  }
  await expect(page.getByTestId('plan-cast').getByRole('listitem')).toHaveText([/Mira/, /Bo/]);
  await page.getByLabel('Number of panels').fill(String(panels));
  await page.getByLabel('Reading direction').selectOption('rtl');
}

test.describe('without a planner in the pack', () => {
  const noPlanner = {
    ...tinyPack,
    components: tinyPack.components.filter((c) => c.role !== 'planner-llm'),
  };
  test.use({ hooks: { ...TINY, judgeOff: true, packs: [noPlanner] } });

  test('the template writes the plan, with a note saying so', async ({ page }) => {
    test.setTimeout(120_000);
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await fillPlanForm(page, 5);
    await page.getByTestId('plan-submit').click();
    await expect(page.getByTestId('plan-note')).toContainText('No planner model is installed');
    await expect(page.getByTestId('plan-note')).toContainText('from the template');
    await expect(page.getByTestId('panel-item')).toHaveCount(5);
    await expect(page.locator('[data-testid="planned-flag"][data-source="template"]')).toHaveCount(5);
    await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
    await expect.poll(async () => (await storedPlan(page)).panels.length, { timeout: 10_000 }).toBe(5);
    const stored = await storedPlan(page);
    const chosen = new Set([stored.characterIds.Mira!, stored.characterIds.Bo!]);
    for (const panel of stored.panels) {
      expectValid(panel, chosen);
      // The template invents no dialogue.
      expect(panel.dialogue).toEqual([]);
      expect(panel.plannedBy).toBe('template');
    }
    // The mark is kept with the panels: a reload still says the template planned them.
    await page.reload();
    await expect(page.locator('[data-testid="planned-flag"][data-source="template"]')).toHaveCount(5);
  });
});

/** Every count of board cards the page showed while planning, in order (a MutationObserver in the page). */
async function watchCards(page: Page) {
  await page.evaluate(() => {
    const count = () => document.querySelectorAll('[data-testid="panel-item"]').length;
    const seen: number[] = [count()];
    (globalThis as unknown as { __cardCounts: number[] }).__cardCounts = seen;
    new MutationObserver(() => {
      const n = count();
      if (seen.at(-1) !== n) seen.push(n);
    }).observe(document.body, { childList: true, subtree: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as { __cardCounts: number[] }).__cardCounts);
}

test.describe('with the planner twin', () => {
  // On WASM: SwiftShader runs the twin's 24 layers op by op on the CPU, a step costs seconds there;
  // on WASM a three-panel plan (≈930 tokens) takes under a minute.
  test.use({ hooks: { ...TINY, judgeOff: true, backend: 'wasm' } });

  test('a premise with two characters gives N validated draft panels, appearing one by one; one is re-planned', async ({
    page,
  }) => {
    test.setTimeout(420_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await fillPlanForm(page, 3);
    const counts = await watchCards(page);
    await page.getByTestId('plan-submit').click();
    await expect(page.getByTestId('plan-running')).toBeVisible();
    await expect(page.getByTestId('panel-item')).toHaveCount(3, { timeout: 360_000 });
    await expect(page.getByTestId('plan-running')).toBeHidden();
    // One by one: the plan clears the new story's empty first card, then the board shows 1, 2 and 3
    // cards (not all at once at the end).
    const seen = await counts();
    expect(seen.slice(seen.lastIndexOf(0))).toEqual([0, 1, 2, 3]);
    // The model wrote every panel (its answers were valid): no template flag, no note.
    await expect(page.locator('[data-testid="planned-flag"][data-source="model"]')).toHaveCount(3);
    await expect(page.getByTestId('plan-note')).toHaveCount(0);
    await expect(page.getByTestId('plan-error')).toHaveCount(0);
    await expect.poll(async () => (await storedPlan(page)).panels.length, { timeout: 10_000 }).toBe(3);
    const stored = await storedPlan(page);
    expect(stored.premise).toBe(PREMISE);
    const chosen = new Set([stored.characterIds.Mira!, stored.characterIds.Bo!]);
    for (const panel of stored.panels) expectValid(panel, chosen);

    // Re-plan the second panel: it alone is replaced (a new draft in its place), the others stay.
    await page.getByTestId('panel-item').nth(1).getByTestId('panel-replan').click();
    await expect(page.getByTestId('plan-running')).toContainText('Re-planning a panel');
    await expect(page.getByTestId('plan-running')).toBeHidden({ timeout: 240_000 });
    await expect(page.getByTestId('panel-item')).toHaveCount(3);
    await expect
      .poll(async () => (await storedPlan(page)).panels[1]?.id, { timeout: 10_000 })
      .not.toBe(stored.panels[1]!.id);
    const replanned = await storedPlan(page);
    expect(replanned.panels.map((p) => p.id)).toEqual([
      stored.panels[0]!.id,
      replanned.panels[1]!.id,
      stored.panels[2]!.id,
    ]);
    expectValid(replanned.panels[1]!, chosen);
    await expect(page.locator('[data-testid="planned-flag"][data-source="model"]')).toHaveCount(3);
    expect(errors).toEqual([]);
  });

  test('cancel mid-plan keeps the finished panels and says so', async ({ page }) => {
    test.setTimeout(420_000);
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await reopen(page, '/#/library', { plannerPanelDelayMs: 4_000 });
    await fillPlanForm(page, 4);
    await page.getByTestId('plan-submit').click();
    await expect(page.getByTestId('panel-item')).toHaveCount(1, { timeout: 360_000 });
    await page.getByTestId('plan-cancel').click();
    await expect(page.getByTestId('plan-running')).toBeHidden();
    await expect(page.getByTestId('plan-note')).toContainText(
      'Planning was cancelled: the finished panel stays',
    );
    await expect(page.getByTestId('panel-item')).toHaveCount(1);
    await expect.poll(async () => (await storedPlan(page)).panels.length, { timeout: 10_000 }).toBe(1);
    const stored = await storedPlan(page);
    expectValid(stored.panels[0]!, new Set([stored.characterIds.Mira!, stored.characterIds.Bo!]));
    expect(stored.panels[0]!.plannedBy).toBe('model');
    // A reload keeps it: the finished panel was stored, the cancelled ones never were. It still says
    // the model planned it; re-planning needs the plan's outline, which this session no longer has.
    await page.reload();
    await expect(page.getByTestId('panel-item')).toHaveCount(1);
    await expect(page.locator('[data-testid="planned-flag"][data-source="model"]')).toHaveCount(1);
    await expect(page.getByTestId('panel-replan')).toHaveCount(0);
    // An artist's own panel carries no mark.
    await page.getByRole('button', { name: 'Add panel' }).click();
    await expect(page.getByTestId('panel-item')).toHaveCount(2);
    await expect(page.getByTestId('planned-flag')).toHaveCount(1);
  });
});
