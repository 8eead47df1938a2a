/**
 * "Plan from a premise": the form (premise, cast, number of panels, style, reading direction), the
 * running plan (tokens, panels done, cancel) and what the board shows of it (each planned card's
 * source, a note when it came from the template, "Re-plan this panel"). Panels go onto the story
 * editor's board one by one as the planner finishes them, and each is saved as it arrives, so a
 * cancel or a reload keeps the finished ones.
 */
import { READING_DIRECTIONS, userMessage, type Panel, type Progress, type ReadingDirection } from '../domain';
import {
  checkPlanRequest,
  faultSentence,
  formatBytes,
  plannerService,
  planPanel,
  PLAN_LIMITS,
  type Outline,
  type PackSnapshot,
  type PlannerDownloadOffer,
  type PlannedPanel,
  type PlanRequest,
  type PlanSource,
} from '../services/planner.service';
import { storyEditor as editor } from './story-editor.svelte';

export { formatBytes, PLAN_LIMITS, READING_DIRECTIONS };

/** What the board shows of a planned card. */
export interface PlannedCard {
  source: PlanSource;
  note: string | null;
}

/** The plan form's offer to download the active pack's planner, and how that download stands. */
export interface PlannerDownloadView {
  offer: PlannerDownloadOffer;
  snapshot: PackSnapshot | null;
}

interface Session {
  storyId: string;
  request: PlanRequest;
  outline: Outline | null;
  /** Board panel id → its planned panel, in plan order. */
  panels: Map<string, PlannedPanel>;
}

class PlannerState {
  #open = $state(false);
  #premise = $state('');
  #castIds = $state<string[]>([]);
  #panelCount = $state(6);
  #style = $state('');
  #direction = $state<ReadingDirection>('ltr');
  #running = $state(false);
  #replanning = $state<string | null>(null);
  #tokens = $state(0);
  #progress = $state.raw<Progress | null>(null);
  #error = $state<string | null>(null);
  #notes = $state<string[]>([]);
  #cards = $state<Record<string, PlannedCard>>({});
  #planned = $state(0);
  #controller: AbortController | null = null;
  #session: Session | null = null;
  #download = $state.raw<PlannerDownloadView | null>(null);
  #downloadMessage = $state<{ text: string; kind: 'info' | 'error' } | null>(null);
  /** Packs whose planner downloader this state listens to: packId → stop listening. */
  #watching = new Map<string, () => void>();
  #stopWaiting: (() => void) | null = null;

  get open(): boolean {
    return this.#open;
  }
  get premise(): string {
    return this.#premise;
  }
  set premise(v: string) {
    this.#premise = v;
  }
  get castIds(): string[] {
    return this.#castIds;
  }
  get panelCount(): number {
    return this.#panelCount;
  }
  set panelCount(v: number) {
    this.#panelCount = v;
  }
  get style(): string {
    return this.#style;
  }
  set style(v: string) {
    this.#style = v;
  }
  get direction(): ReadingDirection {
    return this.#direction;
  }
  set direction(v: ReadingDirection) {
    this.#direction = v;
  }
  get running(): boolean {
    return this.#running;
  }
  /** The board panel being re-planned, or null. */
  get replanning(): string | null {
    return this.#replanning;
  }
  get tokens(): number {
    return this.#tokens;
  }
  get progress(): Progress | null {
    return this.#progress;
  }
  get error(): string | null {
    return this.#error;
  }
  get notes(): string[] {
    return this.#notes;
  }
  /** Panels placed on the board by the plan that runs (or ran last). */
  get planned(): number {
    return this.#planned;
  }
  /** The board's mark for a panel: this session's card, else what the stored panel says planned it. */
  card(panel: Pick<Panel, 'id' | 'plannedBy'>): PlannedCard | null {
    const card = this.#cards[panel.id];
    if (card) return card;
    return panel.plannedBy ? { source: panel.plannedBy, note: null } : null;
  }

  /** Can this panel be planned again here (its plan's outline is in this session)? */
  canReplan(panelId: string): boolean {
    return Boolean(this.#session?.panels.has(panelId) && this.#session.outline);
  }

  /** The planner download the form offers (null when the planner is here, or no download would help). */
  get download(): PlannerDownloadView | null {
    return this.#download;
  }
  /** The last sentence about the planner's download (done, paused, offline, a fault), or null. */
  get downloadMessage(): { text: string; kind: 'info' | 'error' } | null {
    return this.#downloadMessage;
  }

  /** Open the form, filled from the story being edited. */
  show(): void {
    const story = editor.story;
    this.#premise = story.premise;
    this.#style = story.style;
    this.#direction = story.layout.direction;
    this.#error = null;
    this.#open = true;
    void this.refreshPlanner();
  }

  /** Ask again whether the active pack's planner is here; offer its download when files are missing. */
  async refreshPlanner(): Promise<void> {
    try {
      const found = await plannerService.availability();
      const offer = found.installed ? null : found.download;
      if (!offer) {
        if (!this.#download?.snapshot?.running) this.#download = null;
        return;
      }
      await this.#watch(offer.packId);
      const snapshot = await plannerService.scanDownload(offer.packId);
      this.#download = { offer, snapshot };
    } catch (e) {
      this.#downloadMessage = { text: userMessage(e), kind: 'error' };
    }
  }

  async #watch(packId: string) {
    if (this.#watching.has(packId)) return;
    const stop = await plannerService.onDownloadChange(packId, (snapshot) => {
      const view = this.#download;
      if (view && view.offer.packId === packId) this.#download = { ...view, snapshot };
    });
    this.#watching.set(packId, stop);
  }

  /** Download (or resume) the planner; when it is verified, plans come from the model. */
  async downloadPlanner(): Promise<void> {
    const view = this.#download;
    if (!view || view.snapshot?.running) return;
    this.#stopWaiting?.();
    this.#stopWaiting = null;
    this.#downloadMessage = null;
    const { packId, title } = view.offer;
    try {
      const snapshot = await plannerService.download(packId);
      if (snapshot.offline) {
        this.#downloadMessage = {
          text: `You are offline: the download of the planner of ${title} continues by itself when the connection returns, and what has arrived is kept.`,
          kind: 'info',
        };
        this.#stopWaiting = plannerService.whenOnline(() => {
          this.#stopWaiting = null;
          void this.downloadPlanner();
        });
        return;
      }
      // The planner is an optional component: "verified" may mean the Hub lacked some of its files.
      if (snapshot.status.kind === 'verified' && snapshot.status.missing.length === 0) {
        this.#downloadMessage = {
          text: `The planner of ${title} is downloaded and verified: plans now come from the model.`,
          kind: 'info',
        };
        await this.refreshPlanner();
        return;
      }
      // A planner file the Hub does not publish leaves no planner: say that too.
      const text = faultSentence(snapshot.files, snapshot.faults) ?? snapshot.faults[0]?.message;
      if (text) this.#downloadMessage = { text, kind: 'error' };
    } catch (e) {
      this.#downloadMessage = { text: userMessage(e), kind: 'error' };
    }
  }

  async pausePlanner(): Promise<void> {
    const view = this.#download;
    if (!view) return;
    this.#stopWaiting?.();
    this.#stopWaiting = null;
    await plannerService.pauseDownload(view.offer.packId);
    this.#downloadMessage = {
      text: 'Paused. The bytes received so far are kept; press Resume to continue.',
      kind: 'info',
    };
  }

  /** Stop the planner's download and delete what arrived of it; the installed pack is untouched. */
  async cancelPlanner(): Promise<void> {
    const view = this.#download;
    if (!view) return;
    this.#stopWaiting?.();
    this.#stopWaiting = null;
    try {
      const snapshot = await plannerService.cancelDownload(view.offer.packId);
      this.#download = { ...view, snapshot };
      this.#downloadMessage = {
        text: `The planner download was cancelled and what had arrived of it was deleted; ${view.offer.title} still draws and judges as before.`,
        kind: 'info',
      };
    } catch (e) {
      this.#downloadMessage = { text: userMessage(e), kind: 'error' };
    }
  }

  hide(): void {
    this.#open = false;
  }

  toggleCast(characterId: string): void {
    this.#castIds = this.#castIds.includes(characterId)
      ? this.#castIds.filter((id) => id !== characterId)
      : [...this.#castIds, characterId];
  }

  #request(): PlanRequest | null {
    const checked = checkPlanRequest({
      premise: this.#premise,
      cast: this.#castIds.map((id) => ({ id, name: editor.characterName(id) })),
      panelCount: this.#panelCount,
      style: this.#style,
      direction: this.#direction,
      seed: Math.floor(Math.random() * 2 ** 32),
    });
    if (checked.ok) return checked.value;
    this.#error = checked.error;
    return null;
  }

  /** Plan the whole story; the panels stream onto the board and are saved as they arrive. */
  async plan(): Promise<void> {
    if (this.#running) return;
    this.#error = null;
    const request = this.#request();
    if (!request) return;
    const title =
      request.premise
        .split(/[.!?\n]/)[0]
        ?.trim()
        .slice(0, 60) || 'Planned story';
    editor.beginPlan({ title, premise: request.premise, style: request.style, direction: request.direction });
    const session: Session = { storyId: editor.story.id, request, outline: null, panels: new Map() };
    this.#session = session;
    this.#cards = {};
    this.#notes = [];
    this.#planned = 0;
    this.#open = false;
    await this.#run(request, session, null);
  }

  /** Plan one planned card again (the rest of the plan stays). */
  async replan(panelId: string): Promise<void> {
    const session = this.#session;
    const old = session?.panels.get(panelId);
    if (this.#running || !session || !old || !session.outline) return;
    const order = [...session.panels.values()].sort((a, b) => a.index - b.index);
    const previous = order.filter((p) => p.index < old.index).map((p) => p.plan);
    this.#replanning = panelId;
    await this.#run(session.request, session, {
      panelId,
      replan: { index: old.index, outline: session.outline, previous },
    });
  }

  async #run(
    request: PlanRequest,
    session: Session,
    replan: {
      panelId: string;
      replan: { index: number; outline: Outline; previous: PlannedPanel['plan'][] };
    } | null,
  ): Promise<void> {
    this.#running = true;
    this.#tokens = 0;
    this.#progress = null;
    const controller = new AbortController();
    this.#controller = controller;
    const writes: Promise<void>[] = [];
    try {
      const outcome = await plannerService.plan(request, {
        signal: controller.signal,
        ...(replan ? { replan: replan.replan } : {}),
        onEvent: (event) => {
          if (controller.signal.aborted || this.#session !== session) return;
          if (event.type === 'token') this.#tokens = event.tokens;
          else if (event.type === 'progress') this.#progress = event.progress;
          else if (event.type === 'outline') {
            session.outline = event.outline;
            if (event.note) this.#notes = [...this.#notes, event.note];
          } else {
            const panel = planPanel(event.panel, session.storyId);
            const replaces = replan?.panelId;
            editor.placePlannedPanel(panel, replaces);
            if (replaces) session.panels.delete(replaces);
            session.panels.set(panel.id, event.panel);
            const cards = { ...this.#cards };
            if (replaces) delete cards[replaces];
            cards[panel.id] = { source: event.panel.source, note: event.note };
            this.#cards = cards;
            if (!replan) this.#planned++;
            if (event.note) this.#notes = [...this.#notes, event.note];
            writes.push(editor.persist());
          }
        },
      });
      session.outline ??= outcome.outline;
    } catch (e) {
      if (!controller.signal.aborted) this.#error = userMessage(e);
    } finally {
      // Whatever arrived is written before the plan counts as ended.
      await Promise.all(writes).catch(() => undefined);
      await editor.persist().catch(() => undefined);
      if (controller.signal.aborted && this.#session === session) {
        const kept = replan ? 'the panel keeps its earlier plan' : keptPanels(this.#planned);
        this.#notes = [...this.#notes, `Planning was cancelled: ${kept}.`];
      }
      if (this.#controller === controller) this.#controller = null;
      this.#running = false;
      this.#replanning = null;
    }
  }

  /** Stop planning; the panels already on the board stay. */
  cancel(): void {
    this.#controller?.abort();
  }

  dismissError(): void {
    this.#error = null;
  }

  reset(): void {
    this.cancel();
    this.#watching.forEach((stop) => stop());
    this.#watching.clear();
    this.#stopWaiting?.();
    this.#stopWaiting = null;
    this.#download = null;
    this.#downloadMessage = null;
    this.#open = false;
    this.#session = null;
    this.#cards = {};
    this.#notes = [];
    this.#planned = 0;
    this.#error = null;
  }
}

const keptPanels = (n: number) =>
  n === 0
    ? 'no panel was finished'
    : `the ${n === 1 ? 'finished panel stays' : `${n} finished panels stay`} on the board`;

export const planner = new PlannerState();
