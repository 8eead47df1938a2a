import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_IMAGE, StoryLoomError } from '../../src/lib/domain';
import { createLibraryService } from '../../src/lib/services/library.service';
import type { LibraryServiceImpl, LibraryServiceOptions } from '../../src/lib/services/library.service';
import { character, file, freshName, pngBytes, storyWithPanels, testService } from './helpers';

const services: LibraryServiceImpl[] = [];
function service(options: LibraryServiceOptions = {}) {
  const s = testService(options);
  services.push(s);
  return s;
}
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as StoryLoomError,
  );

describe('library list', () => {
  it('listRecent reads the newest first and stops at the limit', async () => {
    const s = service();
    for (const name of ['Ada', 'Bo', 'Cy', 'Di']) await s.saveCharacter(character(name));
    expect((await s.listRecent('character', 3)).map((r) => r.title)).toEqual(['Di', 'Cy', 'Bo']);
    expect(await s.listRecent('character', 0)).toEqual([]);
    await s.saveCharacter({
      ...(await s.getCharacter((await s.listRecent('character', 4))[3]!.id))!,
      notes: 'touched',
    });
    expect((await s.listRecent('character', 1)).map((r) => r.title)).toEqual(['Ada']);
    expect(await s.count('character')).toBe(4);
  });

  it('rows are compact and carry thumbnails: first template for characters, cover for stories', async () => {
    const s = service();
    const mira = await s.saveCharacter(
      character('Mira', {
        artStyle: 'ink',
        hair: 'silver bob',
        verified: true,
        templates: [{ imageId: 'img-1', width: 64, height: 64, mime: 'image/png', addedAt: 1 }],
      }),
    );
    const { story, panels } = storyWithPanels('The Lantern', [[], [], []], {
      premise: 'Fog.\n  Then light.',
      coverImageId: 'cover',
    });
    await s.saveStoryWithPanels(story, panels);
    expect(await s.listAll('character')).toEqual([
      {
        kind: 'character',
        id: mira.id,
        title: 'Mira',
        subtitle: 'ink · silver bob',
        updatedAt: mira.updatedAt,
        thumbImageId: 'img-1',
        verified: true,
      },
    ]);
    expect((await s.listRecent('story', 5))[0]).toMatchObject({
      subtitle: 'Fog. Then light.',
      thumbImageId: 'cover',
      panelCount: 3,
    });
  });

  it('listAll stays in sync with saves and deletes made through the service', async () => {
    const s = service();
    const a = await s.saveCharacter(character('Ada'));
    expect((await s.listAll('character')).map((r) => r.title)).toEqual(['Ada']);
    const b = await s.saveCharacter(character('Bo'));
    await s.saveCharacter({ ...a, name: 'Ada Lovelace' });
    expect((await s.listAll('character')).map((r) => r.title)).toEqual(['Ada Lovelace', 'Bo']);
    await s.deleteCharacter(b.id);
    expect((await s.listAll('character')).map((r) => r.title)).toEqual(['Ada Lovelace']);
  });
});

describe('search', () => {
  async function seeded() {
    const s = service();
    const mira = await s.saveCharacter(
      character('Mira', { artStyle: 'Ink and Watercolour', hair: 'silver bob' }),
    );
    await s.saveCharacter(character('Juno', { species: 'Heron-folk', notes: 'Speaks in riddles.' }));
    await s.saveCharacter(character('Tomás', { hair: 'black curls' }));
    const lantern = storyWithPanels('The Lantern', [[mira.id]], {
      premise: 'Mira follows a light.',
      style: 'noir',
    });
    const market = storyWithPanels('Night Market', [[]], {
      premise: 'Stalls at dusk.',
      style: 'Watercolour',
    });
    await s.saveStoryWithPanels(lantern.story, lantern.panels);
    await s.saveStoryWithPanels(market.story, market.panels);
    return s;
  }

  it('is case-insensitive substring over name and the text fields', async () => {
    const s = await seeded();
    const titles = async (q: string, kind: 'character' | 'story' = 'character') =>
      (await s.search(q, kind)).map((r) => r.title);
    expect(await titles('MIR')).toEqual(['Mira']);
    expect(await titles('watercolour')).toEqual(['Mira']); // art style
    expect(await titles('BOB')).toEqual(['Mira']); // hair
    expect(await titles('heron')).toEqual(['Juno']); // species
    expect(await titles('riddles')).toEqual(['Juno']); // notes
    expect(await titles('tomás')).toEqual(['Tomás']);
    expect(await titles('nobody')).toEqual([]);
    expect(await titles('lantern', 'story')).toEqual(['The Lantern']);
    expect(await titles('follows', 'story')).toEqual(['The Lantern']); // premise
    expect(await titles('watercolour', 'story')).toEqual(['Night Market']); // style
  });

  it('needs every word, returns newest first, and honours the limit', async () => {
    const s = await seeded();
    expect((await s.search('silver mira', 'character')).map((r) => r.title)).toEqual(['Mira']);
    expect((await s.search('silver juno', 'character')).map((r) => r.title)).toEqual([]);
    expect((await s.search('', 'character')).map((r) => r.title)).toEqual(['Tomás', 'Juno', 'Mira']);
    expect((await s.search('', 'character', 2)).map((r) => r.title)).toEqual(['Tomás', 'Juno']);
  });
});

describe('addTemplateImage', () => {
  it('stores the image and appends the template in one go, bumping templateVersion', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const updated = await s.addTemplateImage(mira.id, file(await pngBytes(64, 80), 'mira.png', 'image/png'));
    expect(updated.templates).toHaveLength(1);
    expect(updated.templates[0]).toMatchObject({ width: 64, height: 80, mime: 'image/png' });
    expect(updated.templateVersion).toBe(mira.templateVersion + 1);
    expect(await s.getCharacter(mira.id)).toEqual(updated);

    const image = await s.getImage(updated.templates[0]!.imageId);
    expect(image).toMatchObject({ mime: 'image/png', width: 64, height: 80 });
    // fake-indexeddb on Node 20 keeps Blobs through structuredClone; the browser round trip is e2e's.
    expect(image?.blob).toBeInstanceOf(Blob);
    expect(new Uint8Array(await image!.blob.arrayBuffer())).toEqual(await pngBytes(64, 80));
    expect((await s.listAll('character'))[0]?.thumbImageId).toBe(image?.id);

    const removed = await s.removeTemplateImage(mira.id, image!.id);
    expect(removed.templates).toEqual([]);
    expect(removed.templateVersion).toBe(updated.templateVersion + 1);
    expect(await s.getImage(image!.id)).toBeUndefined();
    expect((await errorOf(s.removeTemplateImage(mira.id, image!.id)))?.code).toBe('not-found');
  });

  it('trusts the bytes, not the name: a text file renamed .png is refused', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const fake = file(new TextEncoder().encode('just some notes'), 'notes.png', 'image/png');
    const error = await errorOf(s.addTemplateImage(mira.id, fake));
    expect(error?.code).toBe('unsupported-file');
    expect(error?.message).toBe(
      '“notes.png” is not an image StoryLoom can use: choose a PNG, JPEG or WebP file.',
    );
    const text = file(new TextEncoder().encode('x'), 'notes.txt', 'text/plain');
    expect((await errorOf(s.addTemplateImage(mira.id, text)))?.message).toBe(
      '“notes.txt” is not an image StoryLoom can use: choose a PNG, JPEG or WebP file.',
    );
    expect((await s.getCharacter(mira.id))?.templates).toEqual([]);
  });

  it('refuses files over 10 MB with the size in the sentence', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const png = await pngBytes(64, 64);
    const big = new Uint8Array(Math.round(14.2 * 1024 * 1024));
    big.set(png);
    const error = await errorOf(s.addTemplateImage(mira.id, file(big, 'huge.png', 'image/png')));
    expect(error?.code).toBe('file-too-large');
    expect(error?.message).toBe('“huge.png” is 14.2 MB; reference images may be at most 10 MB.');
    expect(REFERENCE_IMAGE.maxBytes).toBe(10 * 1024 * 1024);
  });

  it('refuses sides outside 32..4096 pixels', async () => {
    const s = service();
    const mira = await s.saveCharacter(character('Mira'));
    const error = await errorOf(
      s.addTemplateImage(mira.id, file(await pngBytes(16, 64), 'tiny.png', 'image/png')),
    );
    expect(error?.code).toBe('unsupported-file');
    expect(error?.message).toBe(
      '“tiny.png” is 16 × 64 pixels; reference images must be 32 to 4096 pixels on each side.',
    );
  });

  it('uses the decoder when there is one, and refuses what it cannot decode', async () => {
    const s = service({
      decodeImage: async () => {
        throw new Error('decode failed');
      },
    });
    const mira = await s.saveCharacter(character('Mira'));
    const error = await errorOf(
      s.addTemplateImage(mira.id, file(await pngBytes(64, 64), 'broken.png', 'image/png')),
    );
    expect(error?.code).toBe('unsupported-file');
    expect(error?.message).toMatch(/“broken.png” looks like a PNG but could not be decoded/);
  });

  it('writes nothing when the character does not exist', async () => {
    const s = service();
    const error = await errorOf(
      s.addTemplateImage('ghost', file(await pngBytes(64, 64), 'a.png', 'image/png')),
    );
    expect(error?.code).toBe('not-found');
    expect(await s.count('character')).toBe(0);
  });
});

describe('storage', () => {
  it('estimate is zeros without navigator.storage; persistence is false', async () => {
    const s = service({ storage: null });
    expect(await s.estimate()).toEqual({ usage: 0, quota: 0, persisted: false });
    expect(await s.requestPersistence()).toBe(false);
  });

  it('estimate and persist use navigator.storage when present', async () => {
    const s = service({
      storage: {
        estimate: async () => ({ usage: 1200, quota: 5000 }),
        persisted: async () => true,
        persist: async () => true,
      },
    });
    expect(await s.estimate()).toEqual({ usage: 1200, quota: 5000, persisted: true });
    expect(await s.requestPersistence()).toBe(true);
  });
});

describe('the exported singleton and the factory', () => {
  it('open is idempotent and a closed service reopens on the next call', async () => {
    const s = createLibraryService({ dbName: freshName('reopen'), storage: null });
    services.push(s);
    await Promise.all([s.open(), s.open()]);
    await s.saveCharacter(character('Mira'));
    s.close();
    expect(await s.count('character')).toBe(1);
  });
});
