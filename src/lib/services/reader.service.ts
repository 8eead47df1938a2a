/**
 * What the reader reads and writes: a story with its panels, the names of its cast, and for each
 * panel the picture it shows (its accepted attempt's, else its latest attempt's) with the judge's
 * report on it; and the lettering and page settings the artist changes in the reader.
 */
import type { Attempt, JudgeReport, Panel, Story } from '../domain';
import * as store from '../store';
import type { LetteringPatch } from '../store';
import { libraryService } from './library.service';

export interface ReaderPicture {
  imageId: string;
  width: number;
  height: number;
  /** False when the panel has no accepted attempt yet and its latest attempt is shown. */
  accepted: boolean;
  report: JudgeReport | null;
}

export interface ReaderSource {
  story: Story;
  panels: Panel[];
  /** Character id → name, for every character of the story's cast. */
  names: Record<string, string>;
  pictures: Record<string, ReaderPicture | null>;
}

function shownAttempt(panel: Panel, attempts: Attempt[]): Attempt | undefined {
  const withImage = attempts.filter((a) => a.imageId);
  return (
    withImage.find((a) => a.id === panel.acceptedAttemptId) ??
    withImage.reduce<Attempt | undefined>((last, a) => (!last || a.index > last.index ? a : last), undefined)
  );
}

class ReaderService {
  async load(storyId: string): Promise<ReaderSource | undefined> {
    const db = await libraryService.db();
    const found = await store.getStoryWithPanels(db, storyId);
    if (!found) return undefined;
    const names: Record<string, string> = {};
    const pictures: Record<string, ReaderPicture | null> = {};
    for (const panel of found.panels) {
      for (const m of panel.cast) {
        if (names[m.characterId] !== undefined) continue;
        names[m.characterId] = (await store.getCharacter(db, m.characterId))?.name ?? 'Someone';
      }
      const attempt = shownAttempt(panel, await store.listAttemptsForPanel(db, panel.id));
      const image = attempt?.imageId ? await store.getImage(db, attempt.imageId) : undefined;
      pictures[panel.id] =
        attempt && image
          ? {
              imageId: image.id,
              width: image.width,
              height: image.height,
              accepted: attempt.id === panel.acceptedAttemptId,
              report: attempt.report,
            }
          : null;
    }
    return { story: found.story, panels: found.panels, names, pictures };
  }

  async image(imageId: string): Promise<Blob | null> {
    return (await store.getImage(await libraryService.db(), imageId))?.blob ?? null;
  }

  async saveLettering(panelId: string, patch: LetteringPatch): Promise<Panel> {
    const panel = await store.updatePanelLettering(await libraryService.db(), panelId, patch);
    libraryService.changed('panel', panelId);
    return panel;
  }

  async saveLayout(storyId: string, layout: Story['layout']): Promise<Story> {
    return store.updateStoryLayout(await libraryService.db(), storyId, layout);
  }
}

export const readerService = new ReaderService();
