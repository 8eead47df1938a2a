import { gateService, type GateRun, type GateServiceEvent } from '../services/gate.service';
import { libraryService } from '../services/library.service';
import { needsModels, nextPanelState, userMessage } from '../domain';
import type { Attempt, Panel, PanelStatus, RegionBox } from '../domain';
import { storyEditor } from './story-editor.svelte';
import { edit, type EditPicture } from './edit.svelte';
import { judge } from './judge.svelte';

/** What the story view shows beside a panel: its status, or what the run is doing with it. */
export type PanelBadge = PanelStatus | 'repaired' | 'running' | 'queued';

const REPAIRS = new Set(['local-edit', 'prompt-tune', 'reseed']);

/**
 * The panel's status from the domain's machine, the same in every view; while a run has it, the
 * run's state. "repaired" is a passed panel whose gate changed something (edit, prompt, seed).
 */
export function panelBadge(
  panel: Pick<Panel, 'id' | 'status' | 'acceptedAttemptId'>,
  attempts: readonly Attempt[],
  run: GateRun | null,
  active: boolean,
): PanelBadge {
  const item = run?.items.find((i) => i.panelId === panel.id);
  if (item && active && (run?.state === 'running' || run?.state === 'paused')) {
    if (item.status === 'running') return 'running';
    if (item.status === 'pending') return 'queued';
  }
  if (panel.status === 'passed') {
    const accepted = attempts.find((a) => a.id === panel.acceptedAttemptId);
    const upTo = accepted ? attempts.filter((a) => a.index < accepted.index) : attempts;
    return upTo.some((a) => a.action && REPAIRS.has(a.action.kind)) ? 'repaired' : 'passed';
  }
  return panel.status;
}

export interface CurrentStep {
  panelId: string;
  attempt: number;
  max: number;
  mode: string;
  phase: 'loading' | 'denoising' | 'judging' | 'saving';
  step: number;
  total: number;
  startedAt: number;
  /** When the first denoising step of this attempt was reported (the step time is measured from it). */
  firstStepAt: number | null;
  firstStep: number;
}

const WAITING =
  'Another tab is running this story’s quality gate; this tab takes the run over if that tab closes.';
const TOOK_OVER = 'The tab that was running this story’s quality gate closed; this tab took the run over.';

/** The quality-gate run of a story: queue, progress, attempts per panel, thumbnails; pause/resume/cancel. */
class RunState {
  #storyId = $state<string | null>(null);
  #title = $state('');
  #run = $state.raw<GateRun | null>(null);
  #panels = $state.raw<Panel[]>([]);
  #attempts = $state.raw<Record<string, Attempt[]>>({});
  #thumbs = $state.raw<Record<string, string>>({});
  #current = $state.raw<CurrentStep | null>(null);
  #active = $state(false);
  #busy = $state(false);
  #error = $state<string | null>(null);
  #needsModels = $state(false);
  #status = $state<string | null>(null);
  #now = $state(Date.now());
  #wallMs = $state<number | null>(null);
  #elapsedFloor = 0;
  #workMs = $state<number | null>(null);
  #respawns = $state(0);
  #tick: ReturnType<typeof setInterval> | null = null;
  #pendingThumbs = new Set<string>();
  #loads = 0;

  constructor() {
    if (typeof window === 'undefined') return;
    gateService.subscribe((e) => this.#on(e));
  }

  get storyId(): string | null {
    return this.#storyId;
  }
  get title(): string {
    return this.#title;
  }
  get run(): GateRun | null {
    return this.#run;
  }
  get panels(): Panel[] {
    return this.#panels;
  }
  get current(): CurrentStep | null {
    return this.#current;
  }
  /** This tab is running the gate for the loaded story. */
  get active(): boolean {
    return this.#active;
  }
  get paused(): boolean {
    return this.#run?.state === 'paused';
  }
  get unfinished(): boolean {
    return this.#run?.state === 'running' || this.#run?.state === 'paused';
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  /** The error says a model pack must be installed first (the view links to Models). */
  get needsModels(): boolean {
    return this.#needsModels;
  }
  get status(): string | null {
    return this.#status;
  }
  get respawns(): number {
    return this.#respawns;
  }
  /** Worker wall time and the generation + judge time inside it, of the last finished call. */
  get wallMs(): number | null {
    return this.#wallMs;
  }
  get workMs(): number | null {
    return this.#workMs;
  }

  attemptsOf(panelId: string): Attempt[] {
    return this.#attempts[panelId] ?? [];
  }
  /**
   * The panel's attempts with a fresher copy laid over them (the judge's list carries the
   * artist's decisions and manual generations made since this state loaded).
   */
  attemptsWith(panelId: string, fresher: readonly Attempt[]): Attempt[] {
    const fresh = fresher.filter((a) => a.panelId === panelId);
    const kept = this.attemptsOf(panelId).filter((a) => !fresh.some((f) => f.id === a.id));
    return [...kept, ...fresh].sort((a, b) => a.index - b.index);
  }
  /** Object URL of a stored image; starts loading it when it is not there yet. */
  thumb(imageId: string | null): string | null {
    if (!imageId) return null;
    const url = this.#thumbs[imageId] ?? null;
    if (!url && !this.#pendingThumbs.has(imageId)) queueMicrotask(() => void this.#loadThumb(imageId));
    return url;
  }
  badge(panel: Panel): PanelBadge {
    return panelBadge(panel, this.attemptsOf(panel.id), this.#run, this.#active || this.unfinished);
  }

  /** The run's attempts only (a panel's attempts from its gate base on). */
  runAttempts(panelId: string): Attempt[] {
    const base = this.#run?.items.find((i) => i.panelId === panelId)?.base ?? null;
    const all = this.attemptsOf(panelId);
    return base === null ? [] : all.filter((a) => a.index >= base);
  }

  get counts(): {
    total: number;
    done: number;
    accepted: number;
    review: number;
    cancelled: number;
    attempts: number;
  } {
    const items = this.#run?.items ?? [];
    // A cancelled panel was not done: the bar shows what the run really finished.
    const done = items.filter(
      (i) => i.status !== 'pending' && i.status !== 'running' && i.status !== 'cancelled',
    );
    return {
      total: items.length,
      done: done.length,
      cancelled: items.filter((i) => i.status === 'cancelled').length,
      accepted: items.filter((i) => i.status === 'accepted').length,
      review: items.filter((i) => i.status === 'needs-review' || i.status === 'failed').length,
      attempts: items.reduce((n, i) => n + this.runAttempts(i.panelId).length, 0),
    };
  }

  /**
   * Generation + judge time of the run's committed attempts, plus the attempt under way — never
   * less than it was a moment ago (a commit replaces the live estimate of an attempt by its record).
   */
  get elapsedMs(): number {
    const items = this.#run?.items ?? [];
    const committed = items.reduce(
      (sum, i) => sum + this.runAttempts(i.panelId).reduce((s, a) => s + (a.timings['totalMs'] ?? 0), 0),
      0,
    );
    const c = this.#current;
    const live = committed + (c && !this.paused ? Math.max(0, this.#now - c.startedAt) : 0);
    this.#elapsedFloor = Math.max(this.#elapsedFloor, live);
    return this.#elapsedFloor;
  }

  /**
   * Time left, from what was measured: the remaining steps of the attempt under way at its measured
   * step time (plus the average judge time), then the average attempt for every attempt the remaining
   * panels are expected to take (attempts per finished panel so far; one before any finished).
   */
  get estimateMs(): number | null {
    const items = this.#run?.items ?? [];
    const attempts = items.flatMap((i) => this.runAttempts(i.panelId));
    const c = this.#current;
    const stepMs =
      c && c.firstStepAt !== null && c.step > c.firstStep
        ? (this.#now - c.firstStepAt) / (c.step - c.firstStep)
        : null;
    if (attempts.length === 0 && stepMs === null) return null;
    const mean = (key: string) =>
      attempts.length ? attempts.reduce((s, a) => s + (a.timings[key] ?? 0), 0) / attempts.length : 0;
    const perAttempt = attempts.length ? mean('totalMs') : (stepMs ?? 0) * (c?.total ?? 1);
    const finished = items.filter(
      (i) => i.status !== 'pending' && i.status !== 'running' && i.status !== 'cancelled',
    );
    const perPanelAttempts = finished.length
      ? finished.reduce((s, i) => s + this.runAttempts(i.panelId).length, 0) / finished.length
      : 1;
    const pending = items.filter((i) => i.status === 'pending').length;
    const running = items.find((i) => i.status === 'running');
    let currentLeft = 0;
    if (running && c && !this.paused) {
      const thisAttempt =
        stepMs !== null
          ? (c.total - c.step) * stepMs + mean('judgeMs')
          : Math.max(0, perAttempt - (this.#now - c.startedAt));
      const more = Math.max(0, perPanelAttempts - this.runAttempts(running.panelId).length - 1);
      currentLeft = thisAttempt + more * perAttempt;
    }
    return Math.max(0, Math.round(pending * perPanelAttempts * perAttempt + currentLeft));
  }

  /** Load a story's run, panels and attempts (the run view and the story editor's badges). */
  async open(storyId: string): Promise<void> {
    const ticket = ++this.#loads;
    if (this.#storyId !== storyId) {
      this.#clearThumbs();
      this.#attempts = {};
      this.#elapsedFloor = 0;
      this.#current = null;
      this.#wallMs = null;
      this.#workMs = null;
    }
    this.#storyId = storyId;
    this.#active = gateService.activeStoryId === storyId;
    if (gateService.waitingStoryId === storyId) this.#status = WAITING;
    try {
      const [run, found] = await Promise.all([gateService.run(storyId), libraryService.getStory(storyId)]);
      if (ticket !== this.#loads) return;
      this.#run = run;
      if (found) {
        this.#title = found.story.title;
        const byId = new Map(found.panels.map((p) => [p.id, p]));
        this.#panels = found.story.panelIds.map((id) => byId.get(id)).filter((p): p is Panel => !!p);
      }
      const attempts: Record<string, Attempt[]> = {};
      for (const p of this.#panels) attempts[p.id] = await gateService.attempts(p.id);
      if (ticket !== this.#loads) return;
      this.#attempts = attempts;
      for (const list of Object.values(attempts)) for (const a of list) void this.#loadThumb(a.imageId);
    } catch (e) {
      if (ticket === this.#loads) this.#error = userMessage(e);
    }
  }

  /**
   * A panel's status, a panel's attempts or the story's run changed (in this tab, or another tab's
   * gate or judge wrote it): reload what this view shows from the store, and the editor's copy of
   * each panel's status with it. Nothing the editor holds besides the status is touched.
   */
  remoteChange(kind: 'panel' | 'attempt' | 'run', id: string): void {
    const storyId = this.#storyId;
    if (!storyId) return;
    const mine = kind === 'run' ? id === storyId : this.#panels.some((p) => p.id === id);
    if (!mine) return;
    void this.open(storyId).then(() => {
      for (const p of this.#panels) this.#patchEditor(p);
    });
  }

  /** Run the gate over the story: every panel the artist has not accepted or overridden (or all of them). */
  async start(storyId: string, baseSeed?: number, includeAccepted = false): Promise<void> {
    await this.#do(async () => {
      this.#storyId = storyId;
      this.#run = await gateService.start({
        storyId,
        ...(baseSeed === undefined ? {} : { baseSeed }),
        ...(includeAccepted ? { includeAccepted: true } : {}),
      });
      this.#elapsedFloor = 0;
      this.#active = true;
      this.#startTick();
      this.#status = null;
    });
  }

  /** "Regenerate this panel": a one-panel run with a fresh seed. */
  async regenerate(storyId: string, panelId: string, baseSeed?: number): Promise<void> {
    await this.#do(async () => {
      this.#storyId = storyId;
      this.#run = await gateService.start({
        storyId,
        panelIds: [panelId],
        ...(baseSeed === undefined ? {} : { baseSeed }),
      });
      this.#active = true;
      this.#startTick();
    });
  }

  async pause(): Promise<void> {
    const id = this.#storyId;
    if (id) await this.#do(() => gateService.pause(id));
  }

  async resume(): Promise<void> {
    const id = this.#storyId;
    if (!id) return;
    await this.#do(async () => {
      const run = await gateService.resume(id);
      if (run) this.#run = run;
      this.#active = gateService.activeStoryId === id;
      if (this.#active) this.#startTick();
    });
  }

  async cancel(): Promise<void> {
    const id = this.#storyId;
    if (id) await this.#do(() => gateService.cancel(id));
  }

  /** On start-up: resume a run the closed tab left going. */
  async boot(): Promise<void> {
    try {
      const run = await gateService.resumeInterrupted();
      if (run && gateService.activeStoryId === run.storyId) {
        if (!this.#storyId || this.#storyId === run.storyId) {
          this.#storyId = run.storyId;
          this.#run = run;
          this.#active = true;
        }
        this.#startTick();
        this.#status = 'An interrupted run was resumed where it stopped.';
      }
    } catch (e) {
      this.#error = userMessage(e);
    }
  }

  /** Show an attempt in the judge's report (accept / reject / override act on it). */
  selectAttempt(panelId: string, attemptId: string): void {
    void judge.load(panelId, attemptId);
  }

  /** Put an attempt's picture under the local-edit brush. */
  async brush(panelId: string, attempt: Attempt): Promise<void> {
    const picture = await this.#picture(attempt);
    if (picture) edit.useBase(panelId, picture);
  }

  /** The judge's "Fix this": a local edit of `box` on this attempt, the box as the mask. */
  async fix(panelId: string, attempt: Attempt, box: RegionBox): Promise<void> {
    const picture = await this.#picture(attempt);
    if (picture) edit.fix(panelId, picture, box);
  }

  async #picture(attempt: Attempt): Promise<EditPicture | null> {
    if (!attempt.imageId) return null;
    const url = this.thumb(attempt.imageId) ?? (await this.#loadThumb(attempt.imageId));
    if (!url) return null;
    return {
      attemptId: attempt.id,
      attemptIndex: attempt.index,
      imageId: attempt.imageId,
      url,
      width: attempt.parameters.width,
      height: attempt.parameters.height,
    };
  }

  dismissError(): void {
    this.#error = null;
    this.#needsModels = false;
  }

  async #do(work: () => Promise<void>): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    this.#error = null;
    this.#needsModels = false;
    try {
      await work();
    } catch (e) {
      this.#error = userMessage(e);
      this.#needsModels = needsModels(e);
    } finally {
      this.#busy = false;
    }
  }

  #startTick(): void {
    if (this.#tick || typeof window === 'undefined') return;
    this.#tick = setInterval(() => (this.#now = Date.now()), 500);
  }

  #stopTick(): void {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = null;
  }

  async #loadThumb(imageId: string | null): Promise<string | null> {
    if (!imageId || this.#thumbs[imageId]) return imageId ? (this.#thumbs[imageId] ?? null) : null;
    if (this.#pendingThumbs.has(imageId)) return null;
    this.#pendingThumbs.add(imageId);
    try {
      const blob = await gateService.image(imageId);
      if (!blob) return null;
      const url = URL.createObjectURL(blob);
      this.#thumbs = { ...this.#thumbs, [imageId]: url };
      return url;
    } catch {
      return null;
    } finally {
      this.#pendingThumbs.delete(imageId);
    }
  }

  #clearThumbs(): void {
    for (const url of Object.values(this.#thumbs)) URL.revokeObjectURL(url);
    this.#thumbs = {};
  }

  #patchEditor(panel: Pick<Panel, 'id' | 'status' | 'acceptedAttemptId'>): void {
    // Keep the editor's copy in step, so saving the story does not write back a stale status.
    const open = storyEditor.panels.find((p) => p.id === panel.id);
    if (open) {
      open.status = panel.status;
      open.acceptedAttemptId = panel.acceptedAttemptId;
    }
    this.#panels = this.#panels.map((p) =>
      p.id === panel.id ? { ...p, status: panel.status, acceptedAttemptId: panel.acceptedAttemptId } : p,
    );
  }

  #on(e: GateServiceEvent): void {
    const storyId = 'storyId' in e ? e.storyId : 'run' in e ? e.run.storyId : null;
    if (e.type === 'run') {
      if (e.run.storyId !== this.#storyId) return;
      const before = this.#run;
      this.#run = e.run;
      // A finished panel: its stored status and accepted attempt changed with the run item.
      for (const item of e.run.items) {
        const was = before?.items.find((i) => i.panelId === item.panelId)?.status;
        if (was === item.status) continue;
        if (item.status === 'pending' || item.status === 'running') continue;
        // The same transition the store made in the transaction that finished the panel.
        const p = this.#panels.find((x) => x.id === item.panelId);
        if (!p) continue;
        const state = nextPanelState(p, {
          type: 'gate-finished',
          outcome: item.status,
          bestAttemptId: item.bestAttemptId,
        });
        this.#patchEditor({ id: item.panelId, ...state });
      }
      return;
    }
    if (e.type === 'finished') {
      if (storyId !== this.#storyId) return;
      this.#active = false;
      this.#current = null;
      this.#stopTick();
      if (e.output) {
        this.#wallMs = e.output.wallMs;
        this.#workMs = e.output.workMs;
      }
      const c = this.counts;
      if (e.error) this.#error = e.error;
      else if (this.#run?.state === 'cancelled')
        this.#status = `Run cancelled after ${c.done} of ${c.total} panels; the ${c.attempts} attempts made so far are kept.`;
      else if (this.#run?.state === 'done')
        this.#status = `Run finished: ${c.accepted} of ${c.total} panels accepted, ${c.review} need review (${c.attempts} attempts).`;
      return;
    }
    if (e.type === 'respawn') {
      this.#respawns++;
      if (storyId !== this.#storyId) return;
      this.#status = e.message;
      // The attempt under way was cut short; the fresh worker reports its retry from the start.
      this.#current = null;
      return;
    }
    if (e.type === 'halted') {
      if (storyId !== this.#storyId) return;
      this.#status = e.message;
      this.#current = null;
      return;
    }
    if (e.type === 'waiting') {
      if (storyId === this.#storyId) this.#status = WAITING;
      return;
    }
    if (e.type === 'took-over') {
      if (storyId === this.#storyId) {
        this.#active = true;
        this.#startTick();
        this.#status = TOOK_OVER;
      }
      return;
    }
    if (e.type === 'saved') {
      const a = e.attempt;
      if (a.storyId !== this.#storyId) return;
      const list = (this.#attempts[a.panelId] ?? []).filter((x) => x.id !== a.id);
      this.#attempts = { ...this.#attempts, [a.panelId]: [...list, a].sort((x, y) => x.index - y.index) };
      void this.#loadThumb(a.imageId);
      if (this.#current) this.#current = { ...this.#current, phase: 'saving' };
      return;
    }
    if (!this.#panels.some((p) => p.id === e.panelId)) return;
    this.#active = true;
    this.#startTick();
    const c = this.#current;
    switch (e.type) {
      case 'panel':
        this.#current = null;
        return;
      case 'attempt':
        this.#current = {
          panelId: e.panelId,
          attempt: e.attempt,
          max: e.max,
          mode: e.mode,
          phase: 'loading',
          step: 0,
          total: 0,
          startedAt: Date.now(),
          firstStepAt: null,
          firstStep: 0,
        };
        return;
      case 'load':
        if (c) this.#current = { ...c, phase: 'loading' };
        return;
      case 'step':
        if (c)
          this.#current = {
            ...c,
            phase: 'denoising',
            step: e.step,
            total: e.total,
            // Step 1's report marks when denoising began: steps after it measure the step time.
            firstStepAt: c.firstStepAt ?? Date.now(),
            firstStep: c.firstStepAt === null ? e.step : c.firstStep,
          };
        return;
      case 'judging':
        if (c) this.#current = { ...c, phase: 'judging' };
        return;
      case 'judged':
        return;
    }
  }
}

export const run = new RunState();
