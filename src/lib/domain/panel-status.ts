/**
 * A panel's status and its transitions, defined once. Every view (the story editor, the run view,
 * the badges) and every writer (a manual attempt, the gate, the artist's decision) goes through
 * `nextPanelState`, so a panel never reads "Passed" in one place and "Kept by the artist" in another.
 *
 *   draft         nothing judged yet
 *   passed        the judge (or the gate) passed its picture: acceptedAttemptId is that attempt
 *   failed        its last judged attempt failed and nobody decided yet
 *   needs-review  the gate gave up, the judge could not run, or the artist rejected the kept attempt
 *   accepted      the artist accepted an attempt          ┐ the artist's decision: final. Nothing
 *   overridden    the artist kept one despite the judge   ┘ automatic changes these two states.
 *
 * "Generating" is not stored: it is the run's or the editor's state while work is under way.
 */
export const PANEL_STATUSES = [
  'draft',
  'passed',
  'failed',
  'needs-review',
  'accepted',
  'overridden',
] as const;
type PanelStatus = (typeof PANEL_STATUSES)[number];

export interface PanelState {
  status: PanelStatus;
  acceptedAttemptId: string | null;
}

export type Verdict = 'pass' | 'fail';

export type PanelEvent =
  /** A manual attempt was stored; `verdict` null when it was not judged (judge off, or it failed). */
  | { type: 'attempt-judged'; attemptId: string; verdict: Verdict | null }
  /** The gate finished the panel. */
  | {
      type: 'gate-finished';
      outcome: 'accepted' | 'needs-review' | 'failed' | 'cancelled';
      bestAttemptId: string | null;
    }
  | { type: 'artist-accept'; attemptId: string }
  | { type: 'artist-override'; attemptId: string }
  | { type: 'artist-reject'; attemptId: string }
  /** The artist asked for this panel to be run again ("Run this panel again"): their decision is lifted. */
  | { type: 'reopen' };

/** The artist decided: the gate leaves the panel alone unless the artist asks again. */
export const decidedByArtist = (s: Pick<PanelState, 'status'>): boolean =>
  s.status === 'accepted' || s.status === 'overridden';

export function nextPanelState(state: PanelState, event: PanelEvent): PanelState {
  const decided = decidedByArtist(state);
  switch (event.type) {
    case 'attempt-judged':
      // A new attempt beside an accepted one is just another attempt: the decision stands.
      if (decided) return state;
      if (event.verdict === 'pass') return { status: 'passed', acceptedAttemptId: event.attemptId };
      if (event.verdict === 'fail') return { status: 'failed', acceptedAttemptId: null };
      return { status: 'needs-review', acceptedAttemptId: null };
    case 'gate-finished':
      if (decided || event.outcome === 'cancelled') return state;
      if (event.outcome === 'accepted' && event.bestAttemptId)
        return { status: 'passed', acceptedAttemptId: event.bestAttemptId };
      return { status: event.outcome === 'failed' ? 'failed' : 'needs-review', acceptedAttemptId: null };
    case 'artist-accept':
      return { status: 'accepted', acceptedAttemptId: event.attemptId };
    case 'artist-override':
      return { status: 'overridden', acceptedAttemptId: event.attemptId };
    case 'artist-reject':
      return state.acceptedAttemptId === event.attemptId
        ? { status: 'needs-review', acceptedAttemptId: null }
        : state;
    case 'reopen':
      if (!decided) return state;
      // The kept picture stays the panel's picture until the new run gives another one.
      return {
        status: state.acceptedAttemptId ? 'passed' : 'draft',
        acceptedAttemptId: state.acceptedAttemptId,
      };
  }
}

/** What people read, the same everywhere. */
export const PANEL_STATUS_LABELS: Record<PanelStatus, string> = {
  draft: 'Not run',
  passed: 'Passed',
  failed: 'Failed',
  'needs-review': 'Needs review',
  accepted: 'Accepted',
  overridden: 'Overridden',
};
