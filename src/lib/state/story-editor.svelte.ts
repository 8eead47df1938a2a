import { libraryService } from '../services/library.service';
import type { LibraryRow } from '../services/api';
import { MAX_CAST, defaultRegion, newCastMember, newPanel, newStory, storyCastOrder } from '../domain';
import type { Panel, RegionBox, Story } from '../domain';
import { FormStatus } from './form-status.svelte';
import { library } from './library.svelte';
import { NEW_ID } from './router.svelte';

/** Story.panelIds holds at most this many (schema). */
const MAX_PANELS = 200;

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
  #adopted: string | null = null;

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

  select(panelId: string): void {
    this.#selectedId = panelId;
  }

  addPanel(): void {
    const panel = newPanel(this.#story.id);
    const at = this.selectedIndex;
    if (at >= 0) this.#panels.splice(at + 1, 0, panel);
    else this.#panels.push(panel);
    this.#selectedId = panel.id;
  }

  deletePanel(panelId: string): void {
    const i = this.#panels.findIndex((p) => p.id === panelId);
    if (i < 0) return;
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
    const [panel] = this.#panels.splice(i, 1);
    if (panel) this.#panels.splice(j, 0, panel);
  }

  addCast(panel: Panel, characterId: string): void {
    if (!characterId || panel.cast.length >= MAX_CAST) return;
    if (panel.cast.some((c) => c.characterId === characterId)) return;
    const before = panel.cast.length;
    const count = before + 1;
    // Boxes nobody has touched yet move aside to make room; placed boxes stay where the artist put them.
    panel.cast.forEach((m, i) => {
      if (sameBox(m.region, defaultRegion(i, before))) m.region = defaultRegion(i, count);
    });
    panel.cast.push(newCastMember(characterId, count - 1, count));
  }

  removeCast(panel: Panel, characterId: string): void {
    const i = panel.cast.findIndex((c) => c.characterId === characterId);
    if (i >= 0) panel.cast.splice(i, 1);
    for (const line of panel.dialogue) if (line.speakerId === characterId) line.speakerId = null;
  }

  setRegion(panel: Panel, characterId: string, region: RegionBox): void {
    const member = panel.cast.find((c) => c.characterId === characterId);
    if (member) member.region = region;
  }

  addLine(panel: Panel): void {
    panel.dialogue.push({ speakerId: panel.cast[0]?.characterId ?? null, text: '' });
  }

  removeLine(panel: Panel, index: number): void {
    panel.dialogue.splice(index, 1);
  }

  async save(): Promise<Story | null> {
    const saved = await this.#form.run(async () => {
      const panels = $state.snapshot(this.#panels) as Panel[];
      const story = { ...($state.snapshot(this.#story) as Story), panelIds: panels.map((p) => p.id) };
      const wasNew = !this.#stored;
      const saved = await libraryService.saveStoryWithPanels(story, panels);
      this.#use(saved.story, saved.panels, true);
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
  }
}

export const storyEditor = new StoryEditor();
