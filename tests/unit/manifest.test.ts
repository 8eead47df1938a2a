import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isStoryLoomError } from '../../src/lib/domain/errors.ts';
import { fileUrl, loadPack, localFileUrl, validatePack } from '../../src/lib/models/manifest.ts';

const root = join(import.meta.dirname, '../..');
const raw = async (name: string) => JSON.parse(await readFile(join(root, 'models', `${name}.json`), 'utf8'));

function sentence(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!isStoryLoomError(e)) throw e;
    expect(e.code).toBe('invalid-input');
    return e.message;
  }
  throw new Error('expected validatePack to throw');
}

describe('pack manifests', () => {
  test.each(['default-pack', 'tiny-pack', 'bench-pack'])('%s validates', async (name) => {
    const pack = validatePack(await raw(name));
    expect(pack.components.length).toBeGreaterThan(0);
  });

  test('the default pack names every role and is not a test pack; the tiny pack is', async () => {
    const def = validatePack(await raw('default-pack'));
    const tiny = validatePack(await raw('tiny-pack'));
    expect(def.test).toBe(false);
    expect(new Set(def.components.map((c) => c.role)).size).toBe(9);
    expect(tiny.test).toBe(true);
    expect(tiny.description).toMatch(/noise/);
  });

  test('every tiny twin has the layout and the contract of its real component', async () => {
    const def = validatePack(await raw('default-pack'));
    const tiny = validatePack(await raw('tiny-pack'));
    // A graph file is named <session><dtype suffix>.onnx (transformers.js): the twins are fp32,
    // the real component may publish only q4 or fp16 files of the same session.
    const session = (path: string) =>
      path.replace(/(_fp16|_q4f16|_q4|_quantized|_int8|_uint8|_bnb4)?\.onnx$/, '');
    for (const twin of tiny.components) {
      const real = def.components.find((c) => c.id === twin.id);
      expect(real?.role, twin.id).toBe(twin.role);
      const realPaths = new Set(real?.files.map((f) => f.path));
      const realSessions = new Set(real?.graphs.flatMap((g) => g.variants.map((v) => session(v.file))));
      const twinGraphFiles = new Set(twin.graphs.flatMap((g) => g.variants.map((v) => v.file)));
      for (const f of twin.files)
        if (twinGraphFiles.has(f.path))
          expect(realSessions.has(session(f.path)), `${twin.id}/${f.path} (session)`).toBe(true);
        else expect(realPaths.has(f.path), `${twin.id}/${f.path}`).toBe(true);
      for (const g of twin.graphs) {
        const rg = real?.graphs.find((x) => x.id === g.id);
        expect(rg?.inputs, `${twin.id}/${g.id} inputs`).toEqual(g.inputs);
        expect(rg?.outputs, `${twin.id}/${g.id} outputs`).toEqual(g.outputs);
      }
      expect(twin.tokenizer?.maxLength).toBe(real?.tokenizer?.maxLength);
      // Same padding token: "!" (id 0) or the end-of-text token.
      const pads = (c: typeof twin | undefined) => (c?.tokenizer ? c.tokenizer.padTokenId === 0 : undefined);
      expect(pads(twin), `${twin.id} pads like ${real?.id}`).toBe(pads(real));
      if (twin.tokenizer?.padTokenId) expect(twin.tokenizer.padTokenId).toBe(twin.tokenizer.eosTokenId);
      expect(twin.scheduler && { ...twin.scheduler, width: 0, height: 0 }).toEqual(
        real?.scheduler && { ...real.scheduler, width: 0, height: 0 },
      );
      expect(twin.latent).toEqual(real?.latent);
    }
  });

  test('the download URL is the Hub resolve URL of the repo, revision and path', async () => {
    const pack = validatePack(await raw('default-pack'));
    const unet = pack.components.find((c) => c.role === 'unet');
    if (!unet) throw new Error('no unet');
    expect(fileUrl(unet, { path: 'unet/model.onnx' })).toBe(
      'https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1/unet/model.onnx',
    );
    const tiny = validatePack(await raw('tiny-pack'));
    const clip = tiny.components.find((c) => c.id === 'image-text-encoder');
    if (!clip) throw new Error('no clip');
    expect(fileUrl(clip, { path: 'onnx/text_model.onnx' })).toBe(
      'https://huggingface.co/storyloom/tiny-clip-vit-base-patch32/resolve/main/onnx/text_model.onnx',
    );
    expect(localFileUrl(tiny, clip, { path: 'onnx/text_model.onnx' })).toBe(
      '/models/tiny/image-text-encoder/onnx/text_model.onnx',
    );
    expect(() => localFileUrl(pack, unet, { path: 'unet/model.onnx' })).toThrow(/no local folder/);
  });

  test('the tiny pack records exact sizes and hashes', async () => {
    const tiny = validatePack(await raw('tiny-pack'));
    for (const c of tiny.components)
      for (const f of c.files) {
        expect(f.bytesExact).toBe(true);
        expect(f.sha256, `${c.id}/${f.path}`).toMatch(/^[0-9a-f]{64}$/);
      }
  });
});

describe('bad manifests give a sentence', () => {
  const base = async () =>
    (await raw('tiny-pack')) as Record<string, unknown> & { components: Record<string, unknown>[] };

  test('not an object', () => {
    expect(sentence(() => validatePack('nope'))).toMatch(/^This model pack is not valid: the pack: /);
  });

  test('a missing field names its path', async () => {
    const json = await base();
    delete json.components[0]?.repo;
    expect(sentence(() => validatePack(json))).toMatch(/components\.0\.repo/);
  });

  test('a commit revision must be 40 hex digits', async () => {
    const json = await base();
    Object.assign(json.components[0] ?? {}, { revision: 'abc', revisionKind: 'commit' });
    expect(sentence(() => validatePack(json))).toMatch(/a commit is 40 hex digits/);
  });

  test('a variant must point at a listed file', async () => {
    const json = await base();
    const c = json.components[0] as { files: unknown[] };
    c.files = [{ path: 'other.onnx', bytes: 1, bytesExact: true, sha256: null }];
    expect(sentence(() => validatePack(json))).toMatch(
      /text_encoder\/model\.onnx is not among the files of text-encoder/,
    );
  });

  test('paths stay inside the repository', async () => {
    const json = await base();
    const c = json.components[0] as { files: { path: string }[] };
    (c.files[0] as { path: string }).path = '../secret.onnx';
    expect(sentence(() => validatePack(json))).toMatch(/relative to the repository root/);
  });

  test('a test pack must say that it draws noise, and ids are unique', async () => {
    const json = await base();
    json.description = 'Tiny twins.';
    json.components.push({ ...(json.components[1] ?? {}) });
    const message = sentence(() => validatePack(json));
    expect(message).toMatch(/duplicate id unet/);
    expect(message).toMatch(/draws noise/);
  });

  test('a tokenizer must come from a component with tokenizer.json', async () => {
    const json = await base();
    (json.components[0] as { tokenizer: { from: string } }).tokenizer.from = 'unet';
    expect(sentence(() => validatePack(json))).toMatch(/no component "unet" with a tokenizer\.json/);
  });

  test('loadPack reports a missing pack and validates a fetched one', async () => {
    const json = await raw('tiny-pack');
    const ok = (async () => new Response(JSON.stringify(json))) as typeof fetch;
    expect((await loadPack('/models/tiny-pack.json', ok)).id).toBe('tiny');
    const missing = (async () => new Response('', { status: 404 })) as typeof fetch;
    await expect(loadPack('/x.json', missing)).rejects.toThrow(
      'The model pack at /x.json was not found (HTTP 404).',
    );
  });
});
