/**
 * The review queue: every panel that waits for the artist, in story order (and across the library
 * in the library's story order), and where the queue goes after a step or a decision. Pure: the
 * state class loads the stories and attempts and keeps the cursor; this decides what is in it.
 */
import type { Attempt, Panel, Story } from './schema';

/** The statuses that ask for the artist (panel-status.ts). */
const WAITING = new Set<string>(['needs-review', 'failed']);
export const waitsForArtist = (status: Panel['status']): boolean => WAITING.has(status);

/** The attempt the artist reviews: the panel's accepted attempt, else its latest one. */
export function shownAttempt(
  panel: Pick<Panel, 'acceptedAttemptId'>,
  attempts: readonly Attempt[],
): Attempt | null {
  const accepted = attempts.find((a) => a.id === panel.acceptedAttemptId);
  if (accepted) return accepted;
  return attempts.reduce<Attempt | null>((last, a) => (!last || a.index > last.index ? a : last), null);
}

/**
 * A panel needs review while its status asks for the artist and the artist has not decided on the
 * attempt shown for it. A rejected attempt leaves the queue (the panel waits for a new attempt);
 * a new attempt the judge fails again brings it back.
 */
export function needsReview(
  panel: Pick<Panel, 'status' | 'acceptedAttemptId'>,
  attempts: readonly Attempt[],
): boolean {
  if (!waitsForArtist(panel.status)) return false;
  return !shownAttempt(panel, attempts)?.report?.artistDecision;
}

export interface ReviewSource {
  story: Pick<Story, 'id' | 'title' | 'panelIds' | 'updatedAt'>;
  panels: readonly Panel[];
  /** Attempts by panel id (panels without any may be left out). */
  attempts: Readonly<Record<string, readonly Attempt[]>>;
}

export interface ReviewItem {
  /** `storyId/panelId`: one panel of one story. */
  key: string;
  storyId: string;
  storyTitle: string;
  panelId: string;
  /** 1-based position of the panel in its story. */
  panelNumber: number;
  attempt: Attempt | null;
}

/** The library lists stories most recent first (library.svelte.ts); ties keep a stable order. */
export function libraryStoryOrder<T extends { story: Pick<Story, 'id' | 'updatedAt'> }>(
  sources: readonly T[],
): T[] {
  return [...sources].sort(
    (a, b) => b.story.updatedAt - a.story.updatedAt || a.story.id.localeCompare(b.story.id),
  );
}

/** The panels that need review: stories in the order given, panels in their story's order. */
export function buildQueue(sources: readonly ReviewSource[]): ReviewItem[] {
  const items: ReviewItem[] = [];
  for (const { story, panels, attempts } of sources) {
    const byId = new Map(panels.map((p) => [p.id, p]));
    story.panelIds.forEach((panelId, i) => {
      const panel = byId.get(panelId);
      if (!panel) return;
      const list = attempts[panelId] ?? [];
      if (!needsReview(panel, list)) return;
      items.push({
        key: `${story.id}/${panelId}`,
        storyId: story.id,
        storyTitle: story.title,
        panelId,
        panelNumber: i + 1,
        attempt: shownAttempt(panel, list),
      });
    });
  }
  return items;
}

/** How many of these panels need review (the "Review N panels" links). */
export function reviewCount(
  panels: readonly Panel[],
  attemptsOf: (panelId: string) => readonly Attempt[],
): number {
  return panels.filter((p) => needsReview(p, attemptsOf(p.id))).length;
}

/** The item `by` steps from `key` (no wrap: the first and the last stay where they are). */
export function stepKey(items: readonly ReviewItem[], key: string | null, by: -1 | 1): string | null {
  if (!items.length) return null;
  const i = items.findIndex((x) => x.key === key);
  if (i < 0) return items[0]!.key;
  return items[Math.min(items.length - 1, Math.max(0, i + by))]!.key;
}

/**
 * Where the queue goes once the queue is rebuilt (after a decision, a regeneration or a change made
 * elsewhere): the same panel when it still needs review, else the first panel after it that still
 * does, else the last one before it, else nothing (the queue is empty).
 */
export function keyAfterChange(
  before: readonly ReviewItem[],
  after: readonly ReviewItem[],
  key: string | null,
): string | null {
  if (!after.length) return null;
  if (key && after.some((x) => x.key === key)) return key;
  const still = new Set(after.map((x) => x.key));
  const at = before.findIndex((x) => x.key === key);
  if (at < 0) return after[0]!.key;
  const later = before.slice(at + 1).find((x) => still.has(x.key));
  if (later) return later.key;
  const earlier = before
    .slice(0, at)
    .reverse()
    .find((x) => still.has(x.key));
  return earlier?.key ?? after[0]!.key;
}

/** The failing checks' labels of a report, in the report's order, each once. */
export function failingLabels(report: Attempt['report']): string[] {
  if (!report) return [];
  return [...new Set(report.checks.filter((c) => !c.passed).map((c) => c.label))];
}
