/**
 * A story's stored attempts, checked whole (the invariant every crash, device-loss and two-tab test
 * holds the studio to): each attempt has its image, each panel's attempts are numbered 0..n-1 with no
 * repeat, no id twice; with `ownedImages`, also no image that is neither an attempt's nor a character's.
 */
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';
import { readStores } from './profile';

export interface StoredAttempt {
  id: string;
  panelId: string;
  storyId: string;
  index: number;
  imageId: string | null;
  seed: number;
}

export async function wholeAttempts(
  page: Page,
  storyId: string,
  options: { ownedImages?: boolean } = {},
): Promise<StoredAttempt[]> {
  const d = await readStores(page, ['attempts', 'images', 'characters'] as const);
  const all = d.attempts as unknown as StoredAttempt[];
  const attempts = all.filter((a) => a.storyId === storyId);
  const images = new Set(d.images.map((i) => String(i.id)));
  for (const a of attempts)
    expect(a.imageId && images.has(a.imageId), `attempt ${a.id} has its image`).toBe(true);
  if (options.ownedImages) {
    const characterImages = d.characters.flatMap((c) =>
      (c.templates as { imageId: string }[]).map((t) => t.imageId),
    );
    const owned = new Set([...all.map((a) => a.imageId), ...characterImages]);
    for (const id of images)
      expect(owned.has(id), `image ${id} belongs to an attempt or a character`).toBe(true);
  }
  expect(new Set(attempts.map((a) => a.id)).size).toBe(attempts.length);
  const byPanel = new Map<string, number[]>();
  for (const a of attempts) byPanel.set(a.panelId, [...(byPanel.get(a.panelId) ?? []), a.index]);
  for (const [panelId, indexes] of byPanel)
    expect(
      indexes.sort((x, y) => x - y),
      `panel ${panelId}: 0..n-1, no repeat`,
    ).toEqual(indexes.map((_, i) => i));
  return attempts;
}
