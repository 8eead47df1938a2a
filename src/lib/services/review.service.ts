/**
 * What the review queue reads: a story (or every story of the library, in the library's order)
 * with its panels and the attempts of the panels that wait for the artist. Decisions are not made
 * here: they go through the judge's façade like the story editor's Accept / Reject.
 */
import { libraryStoryOrder, waitsForArtist, type Attempt, type ReviewSource } from '../domain';
import * as store from '../store';
import { libraryService } from './library.service';

class ReviewService {
  /** One story (`storyId`) or the whole library (null); a story that is gone gives nothing. */
  async load(storyId: string | null): Promise<ReviewSource[]> {
    const db = await libraryService.db();
    const ids = storyId ? [storyId] : (await store.listStories(db)).map((s) => s.id);
    const sources: ReviewSource[] = [];
    for (const id of ids) {
      const found = await store.getStoryWithPanels(db, id);
      if (!found) continue;
      const attempts: Record<string, Attempt[]> = {};
      // Only a waiting panel can need review: the others' attempts are not read.
      for (const p of found.panels)
        if (waitsForArtist(p.status)) attempts[p.id] = await store.listAttemptsForPanel(db, p.id);
      sources.push({ story: found.story, panels: found.panels, attempts });
    }
    return libraryStoryOrder(sources);
  }
}

export const reviewService = new ReviewService();
