/**
 * The artist's decisions on judge reports: the decision is written on the attempt's report and,
 * for an accept, the panel's acceptedAttemptId and status change in the same transaction.
 */
import { Attempt, JudgeReport, StoryLoomError, nextPanelState, parseOrThrow } from '../domain';
import type { Panel } from '../domain';
import type { StoryLoomDB } from './db';
import { isTooNew, migrateAttempt } from './migrations';
import { STORE } from './names';
import { fromStoredPanel, toStoredPanel } from './records';
import { inTransaction } from './tx';

export interface DecisionResult {
  attempt: Attempt;
  panel: Panel | null;
}

/**
 * Store `report` (carrying its artistDecision) on the attempt, and move the panel through the status
 * machine (accept → accepted, override → overridden, reject of the kept attempt → needs review).
 */
export async function recordDecision(
  db: StoryLoomDB,
  attemptId: string,
  reportInput: JudgeReport,
  now = Date.now(),
): Promise<DecisionResult> {
  const report = parseOrThrow(JudgeReport, reportInput, 'judge report');
  const decision = report.artistDecision?.decision;
  if (!decision)
    throw new StoryLoomError('invalid-input', 'A decision needs accept, reject or override on the report.');
  return inTransaction(db, [STORE.attempts, STORE.panels], 'readwrite', 'save', async (tx) => {
    const stored = await tx.objectStore(STORE.attempts).get(attemptId);
    if (!stored)
      throw new StoryLoomError('not-found', `There is no attempt ${attemptId}; it may have been deleted.`);
    const attempt = parseOrThrow(Attempt, { ...migrateAttempt(stored), report }, 'attempt');
    await tx.objectStore(STORE.attempts).put(attempt);
    const storedPanel = await tx.objectStore(STORE.panels).get(attempt.panelId);
    if (!storedPanel) return { attempt, panel: null };
    const panel = fromStoredPanel(storedPanel);
    const event = {
      accept: { type: 'artist-accept', attemptId: attempt.id },
      override: { type: 'artist-override', attemptId: attempt.id },
      reject: { type: 'artist-reject', attemptId: attempt.id },
    } as const;
    const state = nextPanelState(panel, event[decision]);
    if (state.status === panel.status && state.acceptedAttemptId === panel.acceptedAttemptId)
      return { attempt, panel };
    const next: Panel = { ...panel, ...state, updatedAt: now };
    await tx.objectStore(STORE.panels).put(toStoredPanel(next));
    return { attempt, panel: next };
  });
}

/** Every readable attempt whose report carries an artist decision (calibration's samples). */
export async function listDecidedAttempts(db: StoryLoomDB): Promise<Attempt[]> {
  const all = await inTransaction(db, [STORE.attempts], 'readonly', 'read', (tx) =>
    tx.objectStore(STORE.attempts).getAll(),
  );
  return all
    .filter((a) => !isTooNew('attempt', a))
    .map(migrateAttempt)
    .filter((a) => a.report?.artistDecision);
}
