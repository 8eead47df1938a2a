/**
 * The default pack states facts about real models: every one of them names its source or says
 * why it is unverified (Component.evidence), hashes come only from the repository itself, and
 * the variant layout matches what the devices can run.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  evidenceFor,
  evidenceGaps,
  evidenceLeaves,
  evidenceStrays,
  isUnverified,
  parseKey,
  UNVERIFIED,
} from '../../src/lib/models/evidence.ts';
import { validatePack, type Component, type Pack } from '../../src/lib/models/manifest.ts';

let pack: Pack;
beforeAll(async () => {
  const root = join(import.meta.dirname, '../..');
  pack = validatePack(JSON.parse(await readFile(join(root, 'models/default-pack.json'), 'utf8')));
});

const byId = (id: string): Component => {
  const c = pack.components.find((x) => x.id === id);
  if (!c) throw new Error(`no component ${id}`);
  return c;
};

const SD = ['text-encoder', 'unet', 'vae-decoder', 'vae-encoder'];

describe('evidence keys', () => {
  const component = {
    id: 'c',
    role: 'unet',
    title: 'C',
    repo: 'a/b',
    revision: 'main',
    revisionKind: 'branch',
    optional: false,
    files: [{ path: 'onnx/model.onnx', bytes: 1, bytesExact: false, sha256: null }],
    graphs: [
      {
        id: 'm',
        inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: ['n'] }],
        variants: [
          {
            dtype: 'fp32',
            file: 'onnx/model.onnx',
            dataFiles: [],
            requiresFeatures: [],
            devices: ['webgpu', 'wasm'],
          },
        ],
      },
    ],
    licence: { id: 'MIT', url: 'https://example.com/l' },
    verification: { level: 'inferred', sources: [], notes: '' },
    evidence: {},
  } satisfies Component;

  test('a selector may hold dots and slashes', () => {
    expect(parseKey('files[onnx/model.onnx].bytes')).toEqual(['files', '[onnx/model.onnx]', 'bytes']);
    expect(parseKey('graphs[unet].inputs[past_key_values.0.key]')).toEqual([
      'graphs',
      '[unet]',
      'inputs',
      '[past_key_values.0.key]',
    ]);
  });

  test('every fact of a component is a leaf; a key covers the fields below it; the most specific speaks', () => {
    expect(evidenceLeaves(component)).toContain('graphs[m].variants[fp32].devices');
    expect(evidenceGaps(component)).toHaveLength(evidenceLeaves(component).length);
    const covered: Component = {
      ...component,
      evidence: {
        repo: 'r',
        revision: 'r',
        revisionKind: 'r',
        optional: 'o',
        files: 'the tree page',
        'files[onnx/model.onnx].sha256': 'unverified: no pointer',
        graphs: 'g',
        licence: 'l',
      },
    };
    expect(evidenceGaps(covered)).toEqual([]);
    expect(evidenceFor(covered, 'files[onnx/model.onnx].sha256')?.value).toBe('unverified: no pointer');
    expect(evidenceFor(covered, 'files[onnx/model.onnx].bytes')?.key).toBe('files');
    // "files[onnx/model" is no prefix of a field at a step boundary.
    const strays = { 'files[onnx/model': 'x', 'files[onnx/model].bytes': 'y', 'scheduler.type': 'z' };
    expect(evidenceStrays({ ...covered, evidence: strays })).toEqual(Object.keys(strays));
  });
});

describe('the default pack', () => {
  test('every field of every component is covered by evidence, and no key is a stray', () => {
    for (const c of pack.components) {
      expect(evidenceGaps(c), `${c.id}: fields without evidence`).toEqual([]);
      expect(evidenceStrays(c), `${c.id}: evidence keys that match no field`).toEqual([]);
    }
  });

  test('every "unverified:" value says why, and every source says where', () => {
    for (const c of pack.components)
      for (const [key, value] of Object.entries(c.evidence)) {
        if (isUnverified(value)) {
          const why = value.trim().slice(UNVERIFIED.length).trim();
          expect(why.length, `${c.id} ${key}: give the reason`).toBeGreaterThanOrEqual(40);
          expect(why.split(/\s+/).length, `${c.id} ${key}: a sentence`).toBeGreaterThanOrEqual(8);
        } else expect(value.trim().length, `${c.id} ${key}`).toBeGreaterThanOrEqual(12);
      }
  });

  test('revisions that are commits are 40 hex digits; branches say why in their evidence', () => {
    for (const c of pack.components) {
      if (c.revisionKind === 'commit') expect(c.revision, c.id).toMatch(/^[0-9a-f]{40}$/);
      else expect(isUnverified(evidenceFor(c, 'revision')?.value ?? ''), `${c.id} revision`).toBe(true);
    }
    expect(byId('unet').revision).toBe('ace89b7d2cd849f9a73914cdbb8a3ea60c853dd1');
    expect(byId('preview-decoder')).toMatchObject({
      repo: 'deinferno/taesd-onnx',
      revision: 'f99d5f3d1962fe37e321c31bb86214a87a0cde4b',
    });
  });

  test('no sha256 in a field that the evidence attributes to a mirror, and no mirror hash in a field', () => {
    const fieldHashes = new Set(pack.components.flatMap((c) => c.files.flatMap((f) => f.sha256 ?? [])));
    for (const c of pack.components) {
      for (const f of c.files) {
        const said = evidenceFor(c, `files[${f.path}].sha256`)?.value ?? '';
        if (f.sha256) {
          expect(said, `${c.id}/${f.path}`).not.toMatch(/mirror/i);
          expect(said, `${c.id}/${f.path}: the evidence names the hash it recorded`).toContain(f.sha256);
          // A hash is only recorded against a pinned commit.
          expect(c.revisionKind, `${c.id}/${f.path}`).toBe('commit');
        }
        if (f.bytesExact)
          expect(c.revisionKind, `${c.id}/${f.path}: exact sizes need a commit`).toBe('commit');
      }
      for (const value of Object.values(c.evidence))
        if (/mirror/i.test(value))
          for (const hash of value.match(/[0-9a-f]{64}/g) ?? [])
            expect(fieldHashes.has(hash), `${c.id}: mirror hash ${hash} in a field`).toBe(false);
    }
  });

  test('every variant file is one of the files, and every listed ONNX file is some variant', () => {
    for (const c of pack.components) {
      const paths = new Set(c.files.map((f) => f.path));
      const variantFiles = new Set(
        c.graphs.flatMap((g) => g.variants.flatMap((v) => [v.file, ...v.dataFiles])),
      );
      for (const p of variantFiles) expect(paths.has(p), `${c.id}: ${p}`).toBe(true);
      for (const p of paths) if (p.endsWith('.onnx')) expect(variantFiles.has(p), `${c.id}: ${p}`).toBe(true);
    }
  });

  test('the SD components run on WebGPU only: fp16 with shader-f16, else the fp16 file widened to fp32', () => {
    for (const id of SD) {
      const c = byId(id);
      expect(c.optional, id).toBe(false);
      for (const g of c.graphs) {
        expect(
          g.variants.some((v) => v.devices.includes('wasm')),
          `${id}/${g.id} has a wasm variant`,
        ).toBe(false);
        const [fp16, fp32] = g.variants;
        expect(fp16).toMatchObject({ dtype: 'fp16', requiresFeatures: ['shader-f16'], devices: ['webgpu'] });
        expect(fp32).toMatchObject({
          dtype: 'fp32',
          derive: 'widen-fp16',
          file: fp16?.file,
          devices: ['webgpu'],
        });
      }
    }
  });

  test('CLIP and OWL-ViT have fp16, fp32 and a q8 (_quantized) variant for WASM, and only files that exist', () => {
    for (const id of ['image-text-encoder', 'detector']) {
      const c = byId(id);
      for (const g of c.graphs) {
        expect(g.variants.map((v) => [v.dtype, v.devices])).toEqual([
          ['fp16', ['webgpu']],
          ['fp32', ['webgpu']],
          ['q8', ['wasm']],
        ]);
        expect(g.variants[2]?.file).toMatch(/_quantized\.onnx$/);
      }
      expect(
        c.files.some((f) => /_(int8|uint8|q4|q4f16|bnb4)\.onnx$/.test(f.path)),
        id,
      ).toBe(false);
    }
  });

  test('Florence-2 and Qwen2.5 follow the WebGPU example: fp16 or fp32 embeddings and vision, q4 language model', () => {
    const vlm = byId('vlm-judge');
    const dtypes = Object.fromEntries(vlm.graphs.map((g) => [g.id, g.variants.map((v) => v.dtype)]));
    expect(dtypes).toEqual({
      embed_tokens: ['fp16', 'fp32'],
      vision_encoder: ['fp16', 'fp32'],
      encoder_model: ['q4'],
      decoder_model_merged: ['q4'],
    });
    expect(vlm.verification.notes).toMatch(/NO free-form or yes\/no visual question answering/);
    expect(vlm.verification.notes).toMatch(/<CAPTION_TO_PHRASE_GROUNDING>/);
    expect(vlm.verification.notes).toMatch(
      /<OPEN_VOCABULARY_DETECTION>.*throw|throw.*<OPEN_VOCABULARY_DETECTION>/s,
    );
    const llm = byId('planner-llm');
    expect(llm.graphs[0]?.variants.map((v) => [v.dtype, v.requiresFeatures, v.devices])).toEqual([
      ['q4f16', ['shader-f16'], ['webgpu']],
      ['q4', [], ['webgpu', 'wasm']],
    ]);
    expect(llm.files.map((f) => f.path).filter((p) => p.endsWith('.onnx'))).toEqual([
      'onnx/model_q4f16.onnx',
      'onnx/model_q4.onnx',
    ]);
  });

  test('SD-Turbo keeps its non-commercial licence note', () => {
    for (const id of SD) expect(byId(id).licence.note, id).toMatch(/non-commercial/i);
  });
});
