import { libraryService } from '../services/library.service';
import { StoryLoomError, fieldLengthError, newCharacter } from '../domain';
import type { Character, TextField } from '../domain';
import { FormStatus } from './form-status.svelte';
import { library } from './library.svelte';
import { NEW_ID, router } from './router.svelte';

/** What the artist types, field by field, with the limit each one has. */
const TEXT_FIELDS: [TextField, (c: Character) => string[]][] = [
  ['characterName', (c) => [c.name]],
  ['artStyle', (c) => [c.artStyle]],
  ['species', (c) => [c.species]],
  ['ageRange', (c) => [c.ageRange]],
  ['hair', (c) => [c.hair]],
  ['eyes', (c) => [c.eyes]],
  ['skin', (c) => [c.skin]],
  ['notes', (c) => [c.notes]],
  ['wardrobeItem', (c) => c.wardrobe.map((w) => w.item)],
  ['wardrobeColour', (c) => c.wardrobe.map((w) => w.color)],
];

/** The artist's fields only: images, versions and times change through their own actions. */
const editable = (c: Character): string => {
  const { templates: _t, templateVersion: _v, createdAt: _c, updatedAt: _u, id: _i, ...rest } = c;
  return JSON.stringify(rest);
};

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);

/** The character being edited: a draft that only reaches the database through save(). */
class CharacterEditor {
  #draft = $state<Character>(newCharacter());
  // Accessories and marks are edited one per line.
  #accessories = $state('');
  #marks = $state('');
  #stored = $state(false);
  #loading = $state(false);
  #form = new FormStatus();
  #missing = $state(false);
  #openSeq = 0;
  /** Set when a new record was first stored: the address changes to its id, the draft stays. */
  #adopted: string | null = null;
  #savedJson = $state('');
  #json = $derived(editable(this.#plain()));

  /** The draft differs from what is stored (or, for a new character, from the empty form). */
  get dirty(): boolean {
    return !this.#loading && !this.#missing && this.#json !== this.#savedJson;
  }

  /** The first field that is too long, as its sentence ("A character name must be at most 80 …"). */
  get tooLong(): string | null {
    const c = this.#plain();
    for (const [field, values] of TEXT_FIELDS)
      for (const v of values(c)) {
        const e = fieldLengthError(field, v);
        if (e) return e;
      }
    return null;
  }

  leaveWarning(): string | null {
    if (!this.dirty) return null;
    const why = this.tooLong;
    return why
      ? `This character has changes that cannot be saved (${why}). Leave and lose them?`
      : 'This character has unsaved changes. Leave and lose them?';
  }

  /** While the editor is shown: ask before leaving with unsaved changes (in the app and the tab). */
  guardLeaving(): () => void {
    return router.guardPage(
      () => this.dirty,
      () => this.leaveWarning(),
    );
  }

  get draft(): Character {
    return this.#draft;
  }
  get accessoriesText(): string {
    return this.#accessories;
  }
  set accessoriesText(v: string) {
    this.#accessories = v;
  }
  get marksText(): string {
    return this.#marks;
  }
  set marksText(v: string) {
    this.#marks = v;
  }
  /** True when the character exists in the library (it has been saved at least once). */
  get stored(): boolean {
    return this.#stored;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get busy(): boolean {
    return this.#form.busy;
  }
  /** The sentence for the last thing that went wrong with this form, or null. */
  get error(): string | null {
    return this.#form.error;
  }
  get status(): string | null {
    return this.#form.status;
  }
  get missing(): boolean {
    return this.#missing;
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
    if (id === NEW_ID) {
      this.#use(newCharacter(), false);
      return;
    }
    this.#loading = true;
    try {
      const found = await libraryService.getCharacter(id);
      if (seq !== this.#openSeq) return;
      if (found) this.#use(found, true);
      else this.#missing = true;
    } catch (e) {
      if (seq === this.#openSeq) this.#form.fail(e);
    } finally {
      if (seq === this.#openSeq) this.#loading = false;
    }
  }

  #use(c: Character, stored: boolean): void {
    this.#draft = c;
    this.#accessories = c.accessories.join('\n');
    this.#marks = c.marks.join('\n');
    this.#stored = stored;
    this.#savedJson = editable(this.#plain());
  }

  /** A plain copy of the draft in the shape of the schema. */
  #plain(): Character {
    const c = $state.snapshot(this.#draft) as Character;
    return { ...c, accessories: lines(this.#accessories), marks: lines(this.#marks) };
  }

  addWardrobeItem(): void {
    this.#draft.wardrobe.push({ item: '', color: '' });
  }
  removeWardrobeItem(index: number): void {
    this.#draft.wardrobe.splice(index, 1);
  }
  addPaletteColour(): void {
    this.#draft.palette.push('#c8553d');
  }
  removePaletteColour(index: number): void {
    this.#draft.palette.splice(index, 1);
  }

  /** Validate and write; on bad input shows the service's sentence and writes nothing. */
  async save(): Promise<Character | null> {
    const saved = await this.#form.run(async () => {
      // Over-long text is refused with the field's own sentence; nothing is cut to fit.
      const tooLong = this.tooLong;
      if (tooLong) throw new StoryLoomError('invalid-input', tooLong);
      const wasNew = !this.#stored;
      const saved = await libraryService.saveCharacter(this.#plain());
      this.#use(saved, true);
      if (wasNew) this.#adopted = saved.id;
      this.#form.status = `Saved ${saved.name}.`;
      library.changed('character');
      return saved;
    });
    return saved ?? null;
  }

  /**
   * Store reference images. A character that is not stored yet is saved first (images belong
   * to a stored character); if the first image is refused, that save is undone so nothing
   * half-made remains.
   */
  async addImages(files: File[]): Promise<void> {
    if (!files.length) return;
    await this.#form.run(async () => {
      // Until one image is stored, a character created just for it is taken back on failure.
      let undoCreate = !this.#stored && (await this.#storeDraft());
      try {
        for (const file of files) {
          const updated = await libraryService.addTemplateImage(this.#draft.id, file);
          undoCreate = false;
          // Keep the artist's unsaved edits; take only what the service changed.
          this.#draft.templates = updated.templates;
          this.#draft.templateVersion = updated.templateVersion;
          this.#draft.updatedAt = updated.updatedAt;
        }
      } catch (e) {
        if (undoCreate) await this.#undoCreate();
        throw e;
      }
      this.#form.status =
        files.length === 1 ? 'Reference image added.' : `${files.length} reference images added.`;
      library.changed('character');
    });
  }

  /** Saves a new draft so images can belong to it; true once it is stored. */
  async #storeDraft(): Promise<boolean> {
    const saved = await libraryService.saveCharacter(this.#plain());
    this.#draft.id = saved.id;
    this.#draft.templateVersion = saved.templateVersion;
    this.#draft.createdAt = saved.createdAt;
    this.#draft.updatedAt = saved.updatedAt;
    this.#stored = true;
    this.#adopted = saved.id;
    this.#savedJson = editable(this.#plain());
    return true;
  }

  async #undoCreate(): Promise<void> {
    try {
      await libraryService.deleteCharacter(this.#draft.id);
    } catch {
      // Best effort: the character itself was valid, keeping it loses nothing.
      return;
    }
    this.#stored = false;
    this.#adopted = null;
  }

  async removeImage(imageId: string): Promise<void> {
    await this.#form.run(async () => {
      const updated = await libraryService.removeTemplateImage(this.#draft.id, imageId);
      this.#draft.templates = updated.templates;
      this.#draft.templateVersion = updated.templateVersion;
      this.#draft.updatedAt = updated.updatedAt;
      this.#draft.verified = updated.verified && updated.templates.length > 0;
      this.#form.status = 'Reference image removed.';
      library.changed('character');
    });
  }

  async remove(): Promise<boolean> {
    const removed = await this.#form.run(async () => {
      if (this.#stored) await libraryService.deleteCharacter(this.#draft.id);
      library.changed('character');
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
    this.#use(newCharacter(), false);
    this.#loading = false;
    this.#form.reset();
    this.#missing = false;
  }
}

export const characterEditor = new CharacterEditor();
