import { untrack } from 'svelte';
import { libraryService } from '../services/library.service';
import type { LibraryRow } from '../services/api';
import {
  MAX_CAST,
  MAX_PANELS,
  StoryLoomError,
  defaultRegion,
  newCastMember,
  newDialogueLine,
  newPanel,
  newStory,
  storyCastOrder,
  userMessage,
} from '../domain';
import type { Panel, RegionBox, Story } from '../domain';
import { Autosave } from './autosave';
import { FormStatus } from './form-status.svelte';
import { History, changedPath } from './history';
import { library } from './library.svelte';
import { NEW_ID, router } from './router.svelte';
import { panelFromSpec, specOf, specProblem } from './story-spec';
import type { StorySpec } from './story-spec';

/** What the save line under the editor says. */
export type SaveState =
  | { kind: 'new'; message: string }
  | { kind: 'saving'; message: string }
  | { kind: 'saved'; message: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'error'; message: string };

const sameBox = (a: RegionBox, b: RegionBox) =>
  Math.abs(a.x - b.x) < 1e-9 &&
  Math.abs(a.y - b.y) < 1e-9 &&
  Math.abs(a.w - b.w) < 1e-9 &&
  Math.abs(a.h - b.h) < 1e-9;

/** The story being edited with all its panels; written in one transaction by save(). */
class StoryEditor {
  #story = $state<Story>(newStory());
  #panels = $state<Panel[]>([]);
  #selectedId = $state<string | null>(null);
  #characters = $state.raw<LibraryRow[]>([]);
  #stored = $state(false);
  #loading = $state(false);
  #form = new FormStatus();
  #missing = $state(false);
  #castOrder = $derived(storyCastOrder(this.#panels));
  #openSeq = 0;
  /** Set when a new record was first stored: the address changes to its id, the draft stays. */
  #adopted = $state<string | null>(null);

  // ---- unsaved work: the spec as JSON, the last one written, undo history, autosave
  #specJson = $derived(JSON.stringify(specOf(this.#story, this.#panels)));
  #savedJson = $state('');
  #problem = $derived(specProblem(JSON.parse(this.#specJson) as StorySpec));
  #history = new History<StorySpec>({ story: { title: '', premise: '', style: '' }, panels: [] });
  #historyTick = $state(0);
  /** The next change is a structural one (add, delete, move…): never merged with typing. */
  #structural = false;
  /** Full panels deleted in this session, so undoing a delete brings back their status too. */
  #gone = new Map<string, Panel>();
  #autosave = new Autosave(() => this.#autosaveNow());
  #waiting = $state(false);
  #saving = $state(false);
  #saveError = $state<string | null>(null);
  #stopWatching: (() => void) | null = null;

  get story(): Story {
    return this.#story;
  }
  get panels(): Panel[] {
    return this.#panels;
  }
  get selected(): Panel | undefined {
    return this.#panels.find((p) => p.id === this.#selectedId);
  }
  get selectedIndex(): number {
    return this.#panels.findIndex((p) => p.id === this.#selectedId);
  }
  /** Characters of the library that can be cast (id, name, thumbnail). */
  get characters(): LibraryRow[] {
    return this.#characters;
  }
  get stored(): boolean {
    return this.#stored;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get busy(): boolean {
    return this.#form.busy;
  }
  get error(): string | null {
    return this.#form.error;
  }
  get status(): string | null {
    return this.#form.status;
  }
  get missing(): boolean {
    return this.#missing;
  }

  characterName(id: string): string {
    return this.#characters.find((c) => c.id === id)?.title ?? 'Unknown character';
  }

  async open(id: string): Promise<void> {
    if (id === this.#adopted) {
      this.#adopted = null;
      return;
    }
    this.#adopted = null;
    const seq = ++this.#openSeq;
    this.#form.clearMessages();
    this.#missing = false;
    this.#loading = true;
    try {
      const [found, characters] = await Promise.all([
        id === NEW_ID ? Promise.resolve(undefined) : libraryService.getStory(id),
        libraryService.listAll('character'),
      ]);
      if (seq !== this.#openSeq) return;
      this.#characters = [...characters].sort((a, b) => a.title.localeCompare(b.title));
      if (id === NEW_ID) {
        this.#use(newStory(), [], false);
        this.addPanel();
      } else if (found) this.#use(found.story, found.panels, true);
      else this.#missing = true;
      this.#baseline();
    } catch (e) {
      if (seq === this.#openSeq) this.#form.fail(e);
    } finally {
      if (seq === this.#openSeq) this.#loading = false;
    }
  }

  #use(story: Story, panels: Panel[], stored: boolean): void {
    // Panels in the story's order; a panel the story does not list is not shown.
    const byId = new Map(panels.map((p) => [p.id, p]));
    const ordered = story.panelIds.map((pid) => byId.get(pid)).filter((p): p is Panel => !!p);
    const keep = this.#selectedId && ordered.some((p) => p.id === this.#selectedId);
    this.#story = story;
    this.#panels = ordered;
    this.#stored = stored;
    if (!keep) this.#selectedId = ordered[0]?.id ?? null;
  }

  /** A story was opened: its spec is the saved state and the only step of history. */
  #baseline(): void {
    const spec = specOf(this.#story, this.#panels);
    this.#history.reset(spec);
    this.#savedJson = JSON.stringify(spec);
    this.#structural = false;
    this.#gone.clear();
    this.#autosave.cancel();
    this.#waiting = false;
    this.#saveError = null;
    this.#historyTick++;
    this.#watch();
  }

  /** Every change of the spec becomes a history step (typing coalesced) and is autosaved. */
  #watch(): void {
    if (this.#stopWatching) return;
    this.#stopWatching = $effect.root(() => {
      $effect(() => {
        const json = this.#specJson;
        untrack(() => this.#changed(json));
      });
    });
  }

  #changed(json: string): void {
    if (this.#loading || this.#missing) return;
    const spec = JSON.parse(json) as StorySpec;
    const key = this.#structural ? null : changedPath(this.#history.present, spec);
    this.#structural = false;
    if (this.#history.record(spec, { key, at: Date.now() })) this.#historyTick++;
    if (json === this.#savedJson) {
      this.#autosave.cancel();
      this.#waiting = false;
      return;
    }
    this.#saveError = null;
    if (this.#problem) {
      this.#autosave.cancel();
      this.#waiting = false;
      return;
    }
    this.#waiting = true;
    this.#autosave.schedule();
  }

  /** The autosave: the whole spec in one transaction (the service's), the draft left as it is. */
  async #autosaveNow(): Promise<void> {
    this.#waiting = false;
    const json = this.#specJson;
    if (json === this.#savedJson || this.#problem || this.#form.busy) return;
    const seq = this.#openSeq;
    const panels = $state.snapshot(this.#panels) as Panel[];
    const story = { ...($state.snapshot(this.#story) as Story), panelIds: panels.map((p) => p.id) };
    const wasNew = !this.#stored;
    this.#saving = true;
    try {
      const saved = await libraryService.saveStoryWithPanels(story, panels);
      if (seq !== this.#openSeq) return;
      this.#savedJson = json;
      this.#saveError = null;
      this.#story.updatedAt = saved.story.updatedAt;
      if (wasNew) {
        this.#stored = true;
        const route = router.route;
        if (route.name === 'story' && route.id === NEW_ID) {
          this.#adopted = saved.story.id;
          router.replace({ name: 'story', id: saved.story.id });
        }
      }
      library.changed('story');
    } catch (e) {
      if (seq === this.#openSeq) this.#saveError = userMessage(e);
    } finally {
      // One autosave runs at a time, whichever story it wrote.
      this.#saving = false;
    }
  }

  /** True while the spec differs from what was last written. */
  get dirty(): boolean {
    return this.#specJson !== this.#savedJson;
  }

  get saveState(): SaveState {
    if (this.#saving || (this.dirty && this.#waiting)) return { kind: 'saving', message: 'Saving…' };
    if (!this.dirty)
      return this.#stored
        ? { kind: 'saved', message: 'All changes saved' }
        : { kind: 'new', message: 'Not saved yet: give the story a title.' };
    if (this.#problem) return { kind: 'invalid', message: `Not saved: ${this.#problem}` };
    if (this.#saveError) return { kind: 'error', message: `Not saved: ${this.#saveError}` };
    return { kind: 'saving', message: 'Saving…' };
  }

  get canUndo(): boolean {
    void this.#historyTick;
    return this.#history.canUndo;
  }
  get canRedo(): boolean {
    void this.#historyTick;
    return this.#history.canRedo;
  }

  undo(): void {
    const spec = this.#history.undo();
    if (spec) this.#apply(spec);
  }

  redo(): void {
    const spec = this.#history.redo();
    if (spec) this.#apply(spec);
  }

  #apply(spec: StorySpec): void {
    this.#historyTick++;
    this.#story.title = spec.story.title;
    this.#story.premise = spec.story.premise;
    this.#story.style = spec.story.style;
    // Status and kept attempt stay as they are now (or as they were when the panel was deleted).
    const now = $state.snapshot(this.#panels) as Panel[];
    const live = (id: string) => now.find((p) => p.id === id) ?? this.#gone.get(id);
    this.#panels = spec.panels.map((p) => panelFromSpec(p, live(p.id)));
    if (!this.#panels.some((p) => p.id === this.#selectedId)) this.#selectedId = this.#panels[0]?.id ?? null;
  }

  /**
   * What leaving now would lose, as the question to ask, or null when nothing would be lost
   * (changes that can be saved are written right away instead).
   */
  leaveWarning(): string | null {
    if (!this.dirty || this.#loading || this.#missing) return null;
    const why = this.#problem ?? this.#saveError;
    if (why) return `This story has changes that cannot be saved yet (${why}). Leave and lose them?`;
    void this.#autosave.flush();
    return null;
  }

  /**
   * While the editor is shown: asks before an in-app navigation would lose work, and makes the
   * browser ask before closing the tab with unsaved changes. Returns the function that stops it.
   */
  /**
   * The id a new story took when it was first stored, while its editor is still open: the address
   * changed to it, the view (and the field being typed in) stays.
   */
  get adoptedId(): string | null {
    return this.#adopted;
  }

  guardLeaving(): () => void {
    const stop = router.guardPage(
      () => this.dirty || this.#saving,
      () => this.leaveWarning(),
    );
    return () => {
      stop();
      // The editor closed: opening the story again reads it from the library.
      this.#adopted = null;
    };
  }

  select(panelId: string): void {
    this.#selectedId = panelId;
  }

  addPanel(): void {
    this.#structural = true;
    const panel = newPanel(this.#story.id);
    const at = this.selectedIndex;
    if (at >= 0) this.#panels.splice(at + 1, 0, panel);
    else this.#panels.push(panel);
    this.#selectedId = panel.id;
  }

  /**
   * A plan starts on this story: its premise, style and reading direction come from the plan form (a
   * title too when the story has none yet, so the panels can be saved as they arrive), and the one
   * blank panel a new story opens with makes way for the planned ones.
   */
  beginPlan(settings: {
    title: string;
    premise: string;
    style: string;
    direction: Story['layout']['direction'];
  }): void {
    this.#structural = true;
    if (!this.#story.title.trim()) this.#story.title = settings.title;
    this.#story.premise = settings.premise;
    this.#story.style = settings.style;
    this.#story.layout.direction = settings.direction;
    const only = this.#panels.length === 1 ? this.#panels[0] : undefined;
    const blank =
      only &&
      !only.cast.length &&
      !only.caption &&
      !only.beat &&
      !only.dialogue.length &&
      only.status === 'draft';
    if (blank) {
      this.#panels.splice(0, 1);
      this.#selectedId = null;
    }
  }

  /** A planned panel onto the board: at the end, or in place of the panel it re-plans. */
  placePlannedPanel(panel: Panel, replaces?: string): void {
    this.#structural = true;
    const at = replaces ? this.#panels.findIndex((p) => p.id === replaces) : -1;
    if (at >= 0) {
      const gone = this.#panels[at];
      if (gone) this.#gone.set(gone.id, $state.snapshot(gone) as Panel);
      this.#panels.splice(at, 1, panel);
      if (this.#selectedId === replaces) this.#selectedId = panel.id;
    } else if (this.#panels.length < MAX_PANELS) this.#panels.push(panel);
    this.#selectedId ??= panel.id;
  }

  /** Write the story now (the planner's panels are stored as they arrive); resolves once written. */
  async persist(): Promise<void> {
    await this.#autosave.flush();
  }

  deletePanel(panelId: string): void {
    const i = this.#panels.findIndex((p) => p.id === panelId);
    if (i < 0) return;
    this.#structural = true;
    const gone = this.#panels[i];
    if (gone) this.#gone.set(gone.id, $state.snapshot(gone) as Panel);
    this.#panels.splice(i, 1);
    if (this.#selectedId === panelId)
      this.#selectedId = this.#panels[Math.min(i, this.#panels.length - 1)]?.id ?? null;
  }

  /** A copy of the panel's spec (no attempts, status draft) right after it, selected. */
  duplicatePanel(panelId: string): void {
    const i = this.#panels.findIndex((p) => p.id === panelId);
    const source = this.#panels[i];
    if (!source || this.#panels.length >= MAX_PANELS) return;
    const spec = $state.snapshot(source) as Panel;
    const copy: Panel = {
      ...newPanel(this.#story.id),
      cast: spec.cast,
      scene: spec.scene,
      composition: spec.composition,
      caption: spec.caption,
      dialogue: spec.dialogue,
      beat: spec.beat,
      importance: spec.importance,
      lettering: spec.lettering,
    };
    this.#panels.splice(i + 1, 0, copy);
    this.#selectedId = copy.id;
  }

  /** Move a panel to position `to` (0-based) of the board, as a drag drops it. */
  movePanelTo(panelId: string, to: number): void {
    const i = this.#panels.findIndex((p) => p.id === panelId);
    if (i < 0) return;
    const j = Math.max(0, Math.min(this.#panels.length - 1, to));
    if (i === j) return;
    const [panel] = this.#panels.splice(i, 1);
    if (panel) this.#panels.splice(j, 0, panel);
  }

  /** The character's colour index in this story (storyCastOrder: order of first appearance). */
  colourIndex(characterId: string): number {
    return this.#castOrder.get(characterId) ?? 0;
  }

  movePanel(panelId: string, by: -1 | 1): void {
    const i = this.#panels.findIndex((p) => p.id === panelId);
    const j = i + by;
    if (i < 0 || j < 0 || j >= this.#panels.length) return;
    this.#structural = true;
    const [panel] = this.#panels.splice(i, 1);
    if (panel) this.#panels.splice(j, 0, panel);
  }

  addCast(panel: Panel, characterId: string): void {
    if (!characterId || panel.cast.length >= MAX_CAST) return;
    if (panel.cast.some((c) => c.characterId === characterId)) return;
    this.#structural = true;
    const before = panel.cast.length;
    const count = before + 1;
    // Boxes nobody has touched yet move aside to make room; placed boxes stay where the artist put them.
    panel.cast.forEach((m, i) => {
      if (sameBox(m.region, defaultRegion(i, before))) m.region = defaultRegion(i, count);
    });
    panel.cast.push(newCastMember(characterId, count - 1, count));
  }

  removeCast(panel: Panel, characterId: string): void {
    this.#structural = true;
    const i = panel.cast.findIndex((c) => c.characterId === characterId);
    if (i >= 0) panel.cast.splice(i, 1);
    for (const line of panel.dialogue) if (line.speakerId === characterId) line.speakerId = null;
  }

  setRegion(panel: Panel, characterId: string, region: RegionBox): void {
    const member = panel.cast.find((c) => c.characterId === characterId);
    if (!member) return;
    this.#structural = true;
    member.region = region;
  }

  addLine(panel: Panel): void {
    this.#structural = true;
    panel.dialogue.push(newDialogueLine(panel.cast[0]?.characterId ?? null));
  }

  removeLine(panel: Panel, index: number): void {
    this.#structural = true;
    panel.dialogue.splice(index, 1);
  }

  async save(): Promise<Story | null> {
    const saved = await this.#form.run(async () => {
      this.#autosave.cancel();
      this.#waiting = false;
      // An autosave that is writing finishes first, so it cannot land after this save.
      await this.#autosave.idle();
      const tooLong = specProblem(JSON.parse(this.#specJson) as StorySpec);
      // Over-long text is refused with the field's own sentence; nothing is cut to fit.
      if (tooLong?.includes(' must be at most ')) throw new StoryLoomError('invalid-input', tooLong);
      const panels = $state.snapshot(this.#panels) as Panel[];
      const story = { ...($state.snapshot(this.#story) as Story), panelIds: panels.map((p) => p.id) };
      const wasNew = !this.#stored;
      const saved = await libraryService.saveStoryWithPanels(story, panels);
      this.#use(saved.story, saved.panels, true);
      // The stored copy is the saved state; it may differ only by trimming, which is not an undo step.
      const spec = specOf(this.#story, this.#panels);
      this.#history.replace(spec);
      this.#savedJson = JSON.stringify(spec);
      this.#saveError = null;
      if (wasNew) this.#adopted = saved.story.id;
      const n = saved.panels.length;
      this.#form.status = `Saved ${saved.story.title} (${n} ${n === 1 ? 'panel' : 'panels'}).`;
      library.changed('story');
      return saved.story;
    });
    return saved ?? null;
  }

  async remove(): Promise<boolean> {
    const removed = await this.#form.run(async () => {
      if (this.#stored) await libraryService.deleteStory(this.#story.id);
      library.changed('story');
      return true;
    });
    if (removed) this.reset();
    return removed === true;
  }

  loadImage(imageId: string): Promise<Blob | undefined> {
    return library.loadImage(imageId);
  }

  dismissError(): void {
    this.#form.dismissError();
  }

  reset(): void {
    this.#openSeq++;
    this.#adopted = null;
    this.#story = newStory();
    this.#panels = [];
    this.#selectedId = null;
    this.#characters = [];
    this.#stored = false;
    this.#loading = false;
    this.#form.reset();
    this.#missing = false;
    this.#baseline();
  }
}

export const storyEditor = new StoryEditor();
