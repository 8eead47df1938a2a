import { describe, expect, test } from 'vitest';
import {
  buildQueue,
  failingLabels,
  keyAfterChange,
  libraryStoryOrder,
  needsReview,
  newPanel,
  newStory,
  reviewCount,
  shownAttempt,
  stepKey,
  type Attempt,
  type Panel,
  type ReviewSource,
} from '../../src/lib/domain';
import { href, parseHash } from '../../src/lib/state/router.svelte';

type Decision = 'accept' | 'reject' | 'override';

function attempt(panel: Panel, index: number, verdict: 'pass' | 'fail' | null, decision?: Decision): Attempt {
  return {
    id: `${panel.id}-a${index}`,
    panelId: panel.id,
    storyId: panel.storyId,
    index,
    seed: index,
    imageId: `img-${panel.id}-${index}`,
    action: null,
    timings: {},
    createdAt: 1,
    report:
      verdict === null
        ? null
        : {
            verdict,
            weightedScore: 0.4,
            judgedAt: 1,
            checks: [
              { id: 'c1', kind: 'identity', label: 'Mira: identity', passed: verdict === 'pass' } as never,
              { id: 'c2', kind: 'count', label: 'two characters', passed: true } as never,
              { id: 'c3', kind: 'identity', label: 'Mira: identity', passed: verdict === 'pass' } as never,
            ],
            artistDecision: decision ? { decision, at: 2 } : null,
          },
  } as unknown as Attempt;
}

/** A story whose panels have these statuses, each with one failed attempt unless told. */
function story(
  title: string,
  updatedAt: number,
  statuses: Panel['status'][],
): ReviewSource & { panels: Panel[] } {
  const s = newStory(updatedAt, title);
  const panels = statuses.map((status) => ({ ...newPanel(s.id, updatedAt), status }));
  const attempts: Record<string, Attempt[]> = {};
  for (const p of panels) attempts[p.id] = [attempt(p, 0, 'fail')];
  return { story: { ...s, panelIds: panels.map((p) => p.id) }, panels, attempts };
}

describe('which panels need review', () => {
  test('needs-review and failed panels whose shown attempt the artist has not decided on', () => {
    const s = story('S', 1, ['draft', 'passed', 'failed', 'needs-review', 'accepted', 'overridden']);
    const waiting = s.panels.filter((p) => needsReview(p, s.attempts[p.id]!));
    expect(waiting.map((p) => p.status)).toEqual(['failed', 'needs-review']);
  });

  test('the shown attempt is the accepted one, else the latest; a rejected one leaves the queue', () => {
    const p = { ...newPanel('s'), status: 'needs-review' as const };
    const a0 = attempt(p, 0, 'fail');
    const a1 = attempt(p, 1, 'fail', 'reject');
    expect(shownAttempt(p, [a1, a0])?.id).toBe(a1.id);
    expect(shownAttempt({ acceptedAttemptId: a0.id }, [a0, a1])?.id).toBe(a0.id);
    expect(needsReview(p, [a0, a1])).toBe(false);
    // A new attempt the judge fails again brings the panel back.
    expect(needsReview(p, [a0, a1, attempt(p, 2, 'fail')])).toBe(true);
    // Not judged (no report) or no attempt at all: still the artist's to look at.
    expect(needsReview(p, [attempt(p, 0, null)])).toBe(true);
    expect(needsReview(p, [])).toBe(true);
  });

  test('reviewCount counts them', () => {
    const s = story('S', 1, ['failed', 'passed', 'needs-review']);
    expect(reviewCount(s.panels, (id) => s.attempts[id] ?? [])).toBe(2);
  });

  test('failing labels: the failing checks, each once', () => {
    const p = newPanel('s');
    expect(failingLabels(attempt(p, 0, 'fail').report)).toEqual(['Mira: identity']);
    expect(failingLabels(attempt(p, 0, 'pass').report)).toEqual([]);
    expect(failingLabels(null)).toEqual([]);
  });
});

describe('queue order', () => {
  test('panels in story order (panelIds), not in the order the panels were read', () => {
    const s = story('S', 1, ['failed', 'passed', 'needs-review', 'failed']);
    const shuffled = { ...s, panels: [...s.panels].reverse() };
    const items = buildQueue([shuffled]);
    expect(items.map((i) => i.panelNumber)).toEqual([1, 3, 4]);
    expect(items.map((i) => i.panelId)).toEqual([s.panels[0]!.id, s.panels[2]!.id, s.panels[3]!.id]);
    expect(items[0]).toMatchObject({ storyId: s.story.id, storyTitle: 'S', attempt: { index: 0 } });
  });

  test('across the library: stories most recent first (the library’s order), then story order', () => {
    const old = story('Old', 10, ['failed', 'failed']);
    const recent = story('Recent', 30, ['needs-review']);
    const middle = story('Middle', 20, ['passed', 'failed']);
    const items = buildQueue(libraryStoryOrder([old, recent, middle]));
    expect(items.map((i) => `${i.storyTitle} ${i.panelNumber}`)).toEqual([
      'Recent 1',
      'Middle 2',
      'Old 1',
      'Old 2',
    ]);
  });
});

describe('moving through the queue', () => {
  const s = story('S', 1, ['failed', 'failed', 'failed']);
  const items = buildQueue([s]);
  const [k1, k2, k3] = items.map((i) => i.key) as [string, string, string];

  test('next and previous stop at the ends; an unknown key starts at the first', () => {
    expect(stepKey(items, k1, 1)).toBe(k2);
    expect(stepKey(items, k3, 1)).toBe(k3);
    expect(stepKey(items, k2, -1)).toBe(k1);
    expect(stepKey(items, k1, -1)).toBe(k1);
    expect(stepKey(items, null, 1)).toBe(k1);
    expect(stepKey([], k1, 1)).toBeNull();
  });

  test('after a decision: the next panel, else the one before, else nothing', () => {
    const without = (...keys: string[]) => items.filter((i) => !keys.includes(i.key));
    expect(keyAfterChange(items, without(k2), k2)).toBe(k3);
    expect(keyAfterChange(items, without(k3), k3)).toBe(k2);
    expect(keyAfterChange(items, without(k2, k3), k3)).toBe(k1);
    expect(keyAfterChange(items, without(k1, k2, k3), k1)).toBeNull();
  });

  test('a panel that still needs review stays on screen; a first load starts at the first', () => {
    expect(keyAfterChange(items, items, k2)).toBe(k2);
    expect(keyAfterChange([], items, null)).toBe(k1);
  });

  test('a decision recorded on the shown attempt takes the panel out of the rebuilt queue', () => {
    const p = s.panels[1]!;
    const decided = { ...s, attempts: { ...s.attempts, [p.id]: [attempt(p, 0, 'fail', 'reject')] } };
    const accepted = {
      ...decided,
      panels: decided.panels.map((x) =>
        x.id === s.panels[0]!.id ? { ...x, status: 'accepted' as const, acceptedAttemptId: `${x.id}-a0` } : x,
      ),
    };
    const after = buildQueue([accepted]);
    expect(after.map((i) => i.key)).toEqual([k3]);
    expect(keyAfterChange(items, after, k1)).toBe(k3);
  });
});

describe('review routes', () => {
  test('#/review/<storyId> is one story, #/review the whole library', () => {
    expect(parseHash('#/review/abc')).toEqual({ name: 'review', id: 'abc' });
    expect(parseHash('#/review')).toEqual({ name: 'review', id: null });
    expect(href({ name: 'review', id: 'a b' })).toBe('#/review/a%20b');
    expect(href({ name: 'review', id: null })).toBe('#/review');
  });
});
