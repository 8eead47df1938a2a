/**
 * The one attempt flow (workers/attempt-flow.ts) on fakes: a manual attempt is drawn, judged and
 * built with the gate's own code — one id scheme, one meaning of the timings — and an edit repaints
 * the attempt the artist chose, with the characters under its mask.
 */
import { describe, expect, it } from 'vitest';
import { attemptId, type GenerationPlan } from '../../src/lib/gate';
import { newCastMember, newCharacter, newPanel, type JudgeReport } from '../../src/lib/domain';
import type { Pack } from '../../src/lib/models/manifest';
import { runAttempt } from '../../workers/attempt-flow';
import type { AttemptJob } from '../../workers/attempt-api';
import type { DrawnImage, GateDeps } from '../../workers/gate-deps';

const mira = Object.assign(newCharacter(1, 'Mira'), { id: 'mira', verified: true, hair: 'red' });
const tomas = Object.assign(newCharacter(1, 'Tomas'), { id: 'tomas', verified: true, hair: 'black' });
const panel = Object.assign(newPanel('story-1', 1), { id: 'panel-1' });
panel.cast = [
  { ...newCastMember('mira', 0, 2), region: { x: 0, y: 0, w: 0.4, h: 1 } },
  { ...newCastMember('tomas', 1, 2), region: { x: 0.6, y: 0, w: 0.4, h: 1 } },
];

const report: JudgeReport = {
  checks: [],
  verdict: 'pass',
  weightedScore: 0.9,
  judgedAt: 1,
  artistDecision: null,
};
const facts = {
  backend: 'wasm' as const,
  encoderRuns: 3,
  encoderHits: 0,
  ortRuns: 9,
  readbacks: { latent: 0, kept: 0, preview: 0, image: 1, other: 0 },
  guided: null,
  edit: null,
};

function fakes(options: { judge?: 'ok' | 'broken' } = {}) {
  let clock = 0;
  const calls: { kind: string; request: Record<string, unknown> }[] = [];
  const drawn = (): DrawnImage => ({
    image: new Blob(['png']),
    rgba: new Uint8ClampedArray(16),
    width: 2,
    height: 2,
    scheduler: 'EulerDiscreteScheduler',
    timings: { totalMs: 40, loadMs: 5, ortMs: 30 },
    facts,
  });
  const deps: GateDeps = {
    async generate(request) {
      calls.push({ kind: 'generate', request: request as unknown as Record<string, unknown> });
      clock += 100;
      return drawn();
    },
    async edit(request) {
      calls.push({ kind: 'edit', request: request as unknown as Record<string, unknown> });
      clock += 60;
      return drawn();
    },
    async judge() {
      clock += 25;
      if (options.judge === 'broken') throw new Error('the judge model is missing');
      return { report, judgeMs: 25, loadMs: 0, device: 'wasm' };
    },
    decode: async () => ({ rgba: new Uint8ClampedArray(16).fill(7), width: 2, height: 2 }),
    now: () => clock,
  };
  return { deps, calls };
}

const plan = (over: Partial<GenerationPlan> = {}): GenerationPlan => ({
  seed: 42,
  mode: 'txt2img',
  compileOptions: {},
  referenceStrength: null,
  numInferenceSteps: 9,
  guidanceScale: 0,
  mask: null,
  editAttemptIndex: null,
  ...over,
});

function job(over: Partial<AttemptJob> = {}): AttemptJob {
  return {
    pack: { id: 'tiny' } as Pack,
    overrides: [],
    story: { id: 'story-1', style: 'gouache' },
    characters: [mira, tomas],
    width: 64,
    height: 64,
    maxSteps: 4,
    editStrength: 0.6,
    preview: 'none',
    panel,
    plan: plan(),
    index: 3,
    figures: [],
    base: null,
    brush: null,
    judge: {} as AttemptJob['judge'],
    ...over,
  };
}

const signal = () => new AbortController().signal;

describe('the attempt flow', () => {
  it('draws with regional guidance, judges, and builds the record like the gate does', async () => {
    const f = fakes();
    const out = await runAttempt(f.deps, job(), { signal: signal(), onProgress: () => {} });
    expect(out.attempt).toMatchObject({
      id: attemptId('panel-1', 3),
      imageId: `${attemptId('panel-1', 3)}:image`,
      index: 3,
      seed: 42,
      report,
      action: null,
      parameters: { mode: 'txt2img', numInferenceSteps: 4, strength: null, baseIndex: null, packId: 'tiny' },
    });
    // One meaning of the timings: the wall times of drawing and judging, and their sum.
    expect(out.attempt.timings).toMatchObject({
      generateMs: 100,
      judgeMs: 25,
      totalMs: 125,
      loadMs: 5,
      ortMs: 30,
    });
    expect(out.judgeError).toBeNull();
    // Two characters: each region carries its own character's chunks, the job's chunks are the scene.
    const regions = f.calls[0]!.request['regions'] as {
      characterId: string;
      chunks: { characterId: string | null }[];
    }[];
    expect(regions.map((r) => r.characterId)).toEqual(['mira', 'tomas']);
    for (const r of regions)
      expect(r.chunks.every((c) => c.characterId === null || c.characterId === r.characterId)).toBe(true);
    expect(out.facts).toMatchObject({ encoderRuns: 3, judgeDevice: 'wasm' });
  });

  it('an edit repaints the chosen attempt with the characters under its mask, and records which one', async () => {
    const f = fakes();
    const brush = { width: 2, height: 2, data: new Uint8Array([0, 255, 0, 0]) };
    const out = await runAttempt(
      f.deps,
      job({
        plan: plan({ mode: 'edit', mask: { x: 0.7, y: 0.1, w: 0.2, h: 0.3 }, editAttemptIndex: 1 }),
        base: new Blob(['attempt 1']),
        brush,
      }),
      { signal: signal(), onProgress: () => {} },
    );
    const request = f.calls[0]!.request as {
      mask: { brush: unknown; box: unknown };
      chunks: { characterId: string | null }[];
      strength: number;
      base: { rgba: Uint8ClampedArray };
    };
    expect(f.calls[0]!.kind).toBe('edit');
    expect(request.mask.brush).toEqual(brush);
    expect(request.strength).toBe(0.6);
    expect(request.base.rgba[0]).toBe(7);
    // Only Tomas stands under the mask: Mira's chunks are not drawn into his region.
    expect(new Set(request.chunks.map((c) => c.characterId))).toEqual(new Set([null, 'tomas']));
    expect(out.attempt.parameters).toMatchObject({ mode: 'edit', strength: 0.6, baseIndex: 1 });
    expect(out.attempt.report).toEqual(report);
  });

  it('a broken judge keeps the picture: the attempt has no report and says why', async () => {
    const f = fakes({ judge: 'broken' });
    const out = await runAttempt(f.deps, job(), { signal: signal(), onProgress: () => {} });
    expect(out.attempt.report).toBeNull();
    expect(out.judgeError).toMatch(/judge model is missing/);
  });

  it('with the judge off the attempt is not judged; a cancel during the judge loses the attempt', async () => {
    const f = fakes();
    const off = await runAttempt(f.deps, job({ judge: null }), { signal: signal(), onProgress: () => {} });
    expect(off.attempt.report).toBeNull();
    expect(off.attempt.timings['judgeMs']).toBe(0);
    const controller = new AbortController();
    f.deps.judge = async () => {
      controller.abort();
      throw new DOMException('aborted', 'AbortError');
    };
    await expect(
      runAttempt(f.deps, job(), { signal: controller.signal, onProgress: () => {} }),
    ).rejects.toThrow(/aborted/);
  });
});

describe('the attempt flow on a scene-only panel (no cast)', () => {
  const scene = Object.assign(newPanel('story-1', 1), { id: 'panel-2', cast: [] });
  scene.scene.location = 'a foggy harbour';

  it('draws text-to-image from the scene chunk alone and judges it', async () => {
    const f = fakes();
    const out = await runAttempt(f.deps, job({ panel: scene, characters: [] }), {
      signal: signal(),
      onProgress: () => {},
    });
    expect(f.calls.map((c) => c.kind)).toEqual(['generate']);
    const request = f.calls[0]!.request as {
      chunks: { kind: string; text: string }[];
      negative: { text: string };
      regions: unknown;
      reference: unknown;
    };
    expect(request.chunks.map((c) => c.kind)).toEqual(['scene']);
    expect(request.chunks[0]!.text).toContain('a foggy harbour');
    expect(request.chunks[0]!.text).toContain('gouache');
    expect(request.negative.text).toContain('people');
    expect(request.regions).toBeNull();
    expect(request.reference).toBeNull();
    expect(out.attempt).toMatchObject({ panelId: 'panel-2', report, parameters: { mode: 'txt2img' } });
    expect(out.attempt.chunks.map((c) => c.kind)).toEqual(['scene', 'negative']);
  });

  it('a brush edit of it repaints with the scene chunk', async () => {
    const f = fakes();
    await runAttempt(
      f.deps,
      job({
        panel: scene,
        characters: [],
        plan: plan({ mode: 'edit', mask: { x: 0.1, y: 0.1, w: 0.3, h: 0.3 }, editAttemptIndex: 0 }),
        base: new Blob(['png']),
      }),
      { signal: signal(), onProgress: () => {} },
    );
    const request = f.calls[0]!.request as { chunks: { kind: string }[] };
    expect(f.calls[0]!.kind).toBe('edit');
    expect(request.chunks.map((c) => c.kind)).toEqual(['scene']);
  });
});
