import {
  judgeService,
  thresholdProblems,
  thresholdRows,
  withProposals,
  type CalibrationResult,
  type Decision,
  type ThresholdRow,
} from '../services/judge.service';
import { run } from './run.svelte';
import { userMessage } from '../domain';
import type { Attempt, JudgeReport, Panel } from '../domain';
import { settings } from './settings.svelte';

export type { Decision, ThresholdRow };

/** The judge report of the panel being edited: its attempts, the shown one, and the artist's decision. */
class JudgeState {
  #panelId = $state<string | null>(null);
  #attempts = $state.raw<Attempt[]>([]);
  #selectedId = $state<string | null>(null);
  #imageUrl = $state<string | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);
  #highlight = $state<string | null>(null);
  #loads = 0;

  get panelId(): string | null {
    return this.#panelId;
  }
  get attempts(): Attempt[] {
    return this.#attempts;
  }
  get selected(): Attempt | null {
    return this.#attempts.find((a) => a.id === this.#selectedId) ?? null;
  }
  get report(): JudgeReport | null {
    return this.selected?.report ?? null;
  }
  get imageUrl(): string | null {
    return this.#imageUrl;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get status(): string | null {
    return this.#status;
  }
  /** Id of the check whose box is highlighted over the picture. */
  get highlight(): string | null {
    return this.#highlight;
  }
  set highlight(id: string | null) {
    this.#highlight = id;
  }

  /** Load a panel's attempts and show `attemptId` (default: the newest one with a report). */
  async load(panelId: string, attemptId?: string | null): Promise<void> {
    const ticket = ++this.#loads;
    try {
      const attempts = await judgeService.attempts(panelId);
      if (ticket !== this.#loads) return;
      this.#panelId = panelId;
      this.#attempts = attempts;
      const wanted =
        attempts.find((a) => a.id === attemptId) ??
        [...attempts].reverse().find((a) => a.report) ??
        attempts.at(-1) ??
        null;
      await this.#show(wanted);
    } catch (e) {
      if (ticket === this.#loads) this.#error = userMessage(e);
    }
  }

  async select(attemptId: string): Promise<void> {
    await this.#show(this.#attempts.find((a) => a.id === attemptId) ?? null);
  }

  async #show(attempt: Attempt | null): Promise<void> {
    this.#selectedId = attempt?.id ?? null;
    this.#highlight = null;
    this.#status = null;
    this.#error = null;
    const blob = attempt?.imageId ? await judgeService.image(attempt.imageId) : null;
    if (this.#imageUrl) URL.revokeObjectURL(this.#imageUrl);
    this.#imageUrl = blob ? URL.createObjectURL(blob) : null;
  }

  /** Record accept / reject / override on the shown report; accept also marks the panel accepted. */
  async decide(decision: Decision, panel?: Panel): Promise<void> {
    const attempt = this.selected;
    if (!attempt || this.#busy) return;
    this.#busy = true;
    this.#error = null;
    try {
      const result = await judgeService.decide(attempt.id, decision);
      this.#attempts = this.#attempts.map((a) => (a.id === result.attempt.id ? result.attempt : a));
      // Keep the editor's copy of the panel in step with what was stored.
      if (panel && result.panel && result.panel.id === panel.id) {
        panel.acceptedAttemptId = result.panel.acceptedAttemptId;
        panel.status = result.panel.status;
      }
      run.remoteChange('panel', attempt.panelId);
      const said = { accept: 'Accepted', reject: 'Rejected', override: 'Overridden' }[decision];
      this.#status = `${said}: attempt ${attempt.index + 1}.`;
    } catch (e) {
      this.#error = userMessage(e);
    } finally {
      this.#busy = false;
    }
  }

  reset(): void {
    if (this.#imageUrl) URL.revokeObjectURL(this.#imageUrl);
    this.#imageUrl = null;
    this.#panelId = null;
    this.#attempts = [];
    this.#selectedId = null;
    this.#error = null;
    this.#status = null;
    this.#highlight = null;
  }
}

/** Thresholds in the settings form, and calibration from the artist's decisions. */
class CalibrationState {
  #result = $state.raw<CalibrationResult | null>(null);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #status = $state<string | null>(null);

  get result(): CalibrationResult | null {
    return this.#result;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get status(): string | null {
    return this.#status;
  }
  get proposed(): number {
    return this.#result?.proposals.filter((p) => p.status === 'propose').length ?? 0;
  }

  /** Rows for the thresholds editor, from the settings draft. */
  rows(overrides: Record<string, number>): ThresholdRow[] {
    return thresholdRows(overrides);
  }
  problems(overrides: Record<string, number>): string[] {
    return thresholdProblems(overrides);
  }

  async run(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#error = null;
    this.#status = null;
    try {
      this.#result = await judgeService.calibrate();
    } catch (e) {
      this.#error = userMessage(e);
    } finally {
      this.#busy = false;
    }
  }

  /** Write the proposals into settings.thresholds (the artist agreed) and save the settings. */
  async apply(): Promise<void> {
    const result = this.#result;
    if (!result || this.#busy) return;
    this.#busy = true;
    try {
      settings.draft.thresholds = withProposals($state.snapshot(settings.draft.thresholds), result.proposals);
      if (await settings.save()) {
        this.#status = `Applied ${this.proposed} proposed threshold${this.proposed === 1 ? '' : 's'}.`;
        this.#result = null;
      } else this.#error = settings.error;
    } finally {
      this.#busy = false;
    }
  }

  reset(): void {
    this.#result = null;
    this.#error = null;
    this.#status = null;
  }
}

export const judge = new JudgeState();
export const calibration = new CalibrationState();
