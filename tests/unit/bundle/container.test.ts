import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, newCastMember, newCharacter, newPanel, newStory } from '../../../src/lib/domain';
import type { Attempt, Story } from '../../../src/lib/domain';
import { openBundle, readBundleImage, sha256Hex, writeBundle } from '../../../src/lib/bundle/container';
import type { WriteBundleInput } from '../../../src/lib/bundle/container';
import { buildZip } from './hostile/build';

const enc = (s: string) => new TextEncoder().encode(s);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]);

async function input(): Promise<WriteBundleInput> {
  const mira = {
    ...newCharacter(1, 'Mira'),
    templates: [{ imageId: 'img', width: 1, height: 1, mime: 'image/png', addedAt: 1 }],
  };
  const story: Story = newStory(1, 'Harbour');
  const panel = { ...newPanel(story.id, 1), cast: [newCastMember(mira.id)] };
  story.panelIds = [panel.id];
  const attempt: Attempt = {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: 'a1',
    panelId: panel.id,
    storyId: story.id,
    index: 0,
    seed: 1,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 64,
      height: 64,
      numInferenceSteps: 1,
      guidanceScale: 0,
      scheduler: 'euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId: 'img',
    report: null,
    action: null,
    timings: {},
    createdAt: 2,
  };
  const sha256 = await sha256Hex(PNG);
  return {
    bundleId: '00000000-0000-4000-8000-00000000000a',
    appVersion: '0.1.0',
    exportedAt: new Date('2026-12-01T10:00:00Z'),
    scope: 'story',
    allAttempts: true,
    records: { characters: [mira], stories: [story], panels: [panel], attempts: [attempt] },
    images: new Map([
      [
        'img',
        {
          id: 'img',
          sha256,
          mime: 'image/png',
          width: 1,
          height: 1,
          bytes: PNG.length,
          blob: new Blob([PNG]),
        },
      ],
    ]),
  };
}

async function bundleBytes(): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await writeBundle(async (c) => void parts.push(c.slice()), await input());
  return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
}

describe('the .storyloom container', () => {
  it('round trip: mimetype first and stored, the manifest, one file per image; read back and checked', async () => {
    const bytes = await bundleBytes();
    expect(new TextDecoder().decode(bytes.subarray(30, 38))).toBe('mimetype');
    const opened = await openBundle(new Blob([bytes as BlobPart]), 'h.storyloom', new Set());
    expect(opened.archive.entries.map((e) => e.name.replace(/[0-9a-f]{64}/, 'SHA'))).toEqual([
      'mimetype',
      'manifest.json',
      'images/SHA.png',
    ]);
    expect(opened.records.panels).toHaveLength(1);
    expect(await readBundleImage(opened, opened.manifest.images[0]!)).toEqual(PNG);
  });

  const zipOf = (entries: { name: string; content: Uint8Array }[]) =>
    new Blob([buildZip(entries.map((e) => ({ ...e, method: 0 }))) as BlobPart]);
  const mimetype = { name: 'mimetype', content: enc('application/vnd.storyloom.bundle+zip') };

  it('refuses a zip that is not a bundle, an extra file, a newer format, control characters, a missing image', async () => {
    const ok = await bundleBytes();
    const opened = await openBundle(new Blob([ok as BlobPart]), 'h', new Set());
    const manifest = JSON.parse(new TextDecoder().decode(await opened.archive.read('manifest.json')));
    const image = opened.archive.entries[2]!;
    const imageBytes = await opened.archive.read(image.name);
    const open = (blob: Blob) => openBundle(blob, 'x.storyloom', new Set());
    await expect(open(zipOf([{ name: 'a.txt', content: enc('hi') }]))).rejects.toThrow(
      'StoryLoom cannot import “x.storyloom”: it is a zip file but not a StoryLoom bundle',
    );
    await expect(open(zipOf([{ name: 'mimetype', content: enc('text/plain') }]))).rejects.toThrow(
      /its mimetype is “text\/plain”/,
    );
    await expect(open(zipOf([mimetype]))).rejects.toThrow(/it has no manifest.json/);
    const withExtra = [
      mimetype,
      { name: 'manifest.json', content: enc(JSON.stringify(manifest)) },
      { name: image.name, content: imageBytes },
      { name: 'run.js', content: enc('x') },
    ];
    await expect(open(zipOf(withExtra))).rejects.toThrow(
      /it holds “run.js”, which its manifest does not list/,
    );
    const newer = { ...manifest, formatVersion: 2 };
    await expect(
      open(
        zipOf([
          mimetype,
          { name: 'manifest.json', content: enc(JSON.stringify(newer)) },
          { name: image.name, content: imageBytes },
        ]),
      ),
    ).rejects.toThrow(/made by a newer StoryLoom \(bundle format 2/);
    const control = structuredClone(manifest);
    control.stories[0].title = 'Har\u0007bour';
    await expect(
      open(
        zipOf([
          mimetype,
          { name: 'manifest.json', content: enc(JSON.stringify(control)) },
          { name: image.name, content: imageBytes },
        ]),
      ),
    ).rejects.toThrow(/control character U\+0007/);
    await expect(
      open(zipOf([mimetype, { name: 'manifest.json', content: enc(JSON.stringify(manifest)) }])),
    ).rejects.toThrow(/lists “images\/[0-9a-f]{64}\.png”, which is not in the file/);
    await expect(
      open(zipOf([mimetype, { name: 'manifest.json', content: enc('{"formatVersion":1,') }])),
    ).rejects.toThrow(/not valid UTF-8 JSON/);
    const proto = `{"__proto__":{"x":1},${JSON.stringify(manifest).slice(1)}`;
    await expect(
      open(
        zipOf([
          mimetype,
          { name: 'manifest.json', content: enc(proto) },
          { name: image.name, content: imageBytes },
        ]),
      ),
    ).rejects.toThrow(/__proto__/);
  });

  it('an image whose bytes do not match its name is refused when it is read', async () => {
    const ok = await bundleBytes();
    const opened = await openBundle(new Blob([ok as BlobPart]), 'h', new Set());
    const manifest = JSON.parse(new TextDecoder().decode(await opened.archive.read('manifest.json')));
    const image = opened.archive.entries[2]!;
    const forged = (await opened.archive.read(image.name)).slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff;
    const blob = zipOf([
      mimetype,
      { name: 'manifest.json', content: enc(JSON.stringify(manifest)) },
      { name: image.name, content: forged },
    ]);
    const again = await openBundle(blob, 't.storyloom', new Set());
    await expect(readBundleImage(again, again.manifest.images[0]!)).rejects.toThrow(/its SHA-256 differs/);
  });
});
