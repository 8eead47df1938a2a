import { describe, expect, test } from 'vitest';
import { decidedByArtist, nextPanelState, type PanelEvent, type PanelState } from '../../src/lib/domain';

const draft: PanelState = { status: 'draft', acceptedAttemptId: null };
const run = (state: PanelState, ...events: PanelEvent[]) => events.reduce(nextPanelState, state);

describe('the panel status machine', () => {
  test('a judged manual attempt: pass keeps it as the panel picture, fail or not judged asks for review', () => {
    expect(run(draft, { type: 'attempt-judged', attemptId: 'a0', verdict: 'pass' })).toEqual({
      status: 'passed',
      acceptedAttemptId: 'a0',
    });
    expect(run(draft, { type: 'attempt-judged', attemptId: 'a0', verdict: 'fail' })).toEqual({
      status: 'failed',
      acceptedAttemptId: null,
    });
    expect(run(draft, { type: 'attempt-judged', attemptId: 'a0', verdict: null }).status).toBe(
      'needs-review',
    );
  });

  test('the gate: accepted → passed with its best attempt; gave up → needs review; cancelled → unchanged', () => {
    expect(run(draft, { type: 'gate-finished', outcome: 'accepted', bestAttemptId: 'a2' })).toEqual({
      status: 'passed',
      acceptedAttemptId: 'a2',
    });
    expect(run(draft, { type: 'gate-finished', outcome: 'needs-review', bestAttemptId: 'a2' }).status).toBe(
      'needs-review',
    );
    const failed = run(draft, { type: 'attempt-judged', attemptId: 'a0', verdict: 'fail' });
    expect(run(failed, { type: 'gate-finished', outcome: 'cancelled', bestAttemptId: null })).toEqual(failed);
  });

  test('the artist decides: accept and override are final; nothing automatic undoes them', () => {
    const accepted = run(
      draft,
      { type: 'attempt-judged', attemptId: 'a0', verdict: 'fail' },
      { type: 'artist-accept', attemptId: 'a0' },
    );
    expect(accepted).toEqual({ status: 'accepted', acceptedAttemptId: 'a0' });
    expect(decidedByArtist(accepted)).toBe(true);
    for (const e of [
      { type: 'attempt-judged', attemptId: 'a1', verdict: 'fail' },
      { type: 'attempt-judged', attemptId: 'a1', verdict: 'pass' },
      { type: 'gate-finished', outcome: 'needs-review', bestAttemptId: 'a3' },
      { type: 'gate-finished', outcome: 'accepted', bestAttemptId: 'a3' },
    ] as PanelEvent[])
      expect(nextPanelState(accepted, e)).toEqual(accepted);
    const overridden = run(draft, { type: 'artist-override', attemptId: 'a0' });
    expect(overridden.status).toBe('overridden');
    expect(
      nextPanelState(overridden, { type: 'gate-finished', outcome: 'failed', bestAttemptId: null }),
    ).toEqual(overridden);
  });

  test('a reject clears only the kept attempt; reopen lifts the decision but keeps the picture', () => {
    const accepted = run(draft, { type: 'artist-accept', attemptId: 'a0' });
    expect(nextPanelState(accepted, { type: 'artist-reject', attemptId: 'a1' })).toEqual(accepted);
    expect(nextPanelState(accepted, { type: 'artist-reject', attemptId: 'a0' })).toEqual({
      status: 'needs-review',
      acceptedAttemptId: null,
    });
    const reopened = nextPanelState(accepted, { type: 'reopen' });
    expect(reopened).toEqual({ status: 'passed', acceptedAttemptId: 'a0' });
    expect(decidedByArtist(reopened)).toBe(false);
    expect(
      nextPanelState(reopened, { type: 'gate-finished', outcome: 'needs-review', bestAttemptId: 'a4' })
        .status,
    ).toBe('needs-review');
  });
});
