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
import { expect, test, TINY } from './helpers/studio';

const PREMISE =
  'Mira finds a map in the attic. Bo wants to sail at once. A storm closes in over the harbour. They reach the lighthouse at dawn.';
const ids = (terms: readonly { id: string }[]) => new Set(terms.map((t) => t.id));

interface StoredPanel {
  id: string;
  storyId: string;
  status: string;
  beat: string;
  caption: string;
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

/** Counts of the board's cards, sampled until the plan ends. */
async function watchCards(page: Page): Promise<number[]> {
  const seen: number[] = [];
  const cards = page.getByTestId('panel-item');
  const running = page.getByTestId('plan-running');
  await expect(running).toBeVisible({ timeout: 60_000 });
  while (await running.isVisible()) {
    const n = await cards.count();
    if (seen.at(-1) !== n) seen.push(n);
    await page.waitForTimeout(50);
  }
  seen.push(await cards.count());
  return seen;
}

test.describe('with the planner twin', () => {
  test.use({ hooks: { ...TINY, judgeOff: true, backend: 'wasm', plannerPanelDelayMs: 400 } });

  test('a premise with two characters gives N draft panels that validate, one by one, stored as they come', async ({
    page,
  }) => {
    test.setTimeout(300_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.text().includes('PLANNER-DEBUG') && console.log(m.text()));
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await fillPlanForm(page, 4);
    await page.getByTestId('plan-submit').click();
    const counts = await watchCards(page);
    // The board grew one card at a time (no blank card first: the planned ones replace it).
    expect(counts.at(-1)).toBe(4);
    expect(counts.filter((n) => n > 0 && n < 4).length, `counts seen: ${counts.join(', ')}`).toBeGreaterThan(
      0,
    );
    await expect(page.getByTestId('plan-error')).toHaveCount(0);
    await expect(page.getByTestId('planned-flag')).toHaveCount(4);
    // On the twin every panel is the model's (valid at the first or second try), none the template's.
    await expect(page.locator('[data-testid="planned-flag"][data-source="template"]')).toHaveCount(0);
    await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
    const stored = await storedPlan(page);
    expect(stored.premise).toBe(PREMISE);
    expect(stored.panels).toHaveLength(4);
    const chosen = new Set([stored.characterIds.Mira!, stored.characterIds.Bo!]);
    for (const panel of stored.panels) expectValid(panel, chosen);
    // The artist edits a planned panel before running: the caption is theirs.
    await page.getByTestId('panel-item').nth(1).getByRole('button').first().click();
    await page.getByLabel('Caption', { exact: true }).fill('My own caption.');
    await page.getByRole('button', { name: 'Save story' }).click();
    await expect(page.getByTestId('form-status')).toContainText('Saved');
    expect((await storedPlan(page)).panels[1]?.caption).toBe('My own caption.');
    // Re-plan one panel: it is replaced in place, still valid, the others untouched.
    const before = (await storedPlan(page)).panels.map((p) => p.id);
    await page.getByTestId('panel-replan').nth(2).click();
    await expect(page.getByTestId('plan-running')).toBeVisible();
    await expect(page.getByTestId('plan-running')).toHaveCount(0, { timeout: 120_000 });
    await expect(page.getByTestId('panel-item')).toHaveCount(4);
    await expect
      .poll(async () => (await storedPlan(page)).panels[2]?.id, { timeout: 10_000 })
      .not.toBe(before[2]);
    const after = await storedPlan(page);
    expect(after.panels.map((p) => p.id).filter((id, i) => i !== 2)).toEqual(
      before.filter((_, i) => i !== 2),
    );
    for (const panel of after.panels) expectValid(panel, chosen);
    // A reload keeps the plan.
    await page.reload();
    await expect(page.getByTestId('panel-item')).toHaveCount(4);
    expect(errors).toEqual([]);
  });

  test('cancel mid-plan keeps the finished panels', async ({ page }) => {
    test.setTimeout(300_000);
    await createCharacter(page, 'Mira', 1, 'red');
    await createCharacter(page, 'Bo', 2, 'black');
    await fillPlanForm(page, 8);
    await page.getByTestId('plan-submit').click();
    const cards = page.getByTestId('panel-item');
    await expect(cards).toHaveCount(2, { timeout: 120_000 });
    await page.getByTestId('plan-cancel').click();
    await expect(page.getByTestId('plan-running')).toHaveCount(0, { timeout: 30_000 });
    const kept = await cards.count();
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(kept).toBeLessThan(8);
    await expect(page.getByTestId('plan-error')).toHaveCount(0);
    await expect(page).toHaveURL(/#\/story\/[0-9a-f-]{36}$/);
    await expect.poll(async () => (await storedPlan(page)).panels.length, { timeout: 10_000 }).toBe(kept);
    const stored = await storedPlan(page);
    const chosen = new Set([stored.characterIds.Mira!, stored.characterIds.Bo!]);
    for (const panel of stored.panels) expectValid(panel, chosen);
    await page.reload();
    await expect(cards).toHaveCount(kept);
  });
});

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
    }
  });
});
