/**
 * The gate in the worker (workers/gate-host.ts) with a fake engine, judge and host: the queue,
 * the attempt numbering from a panel's base, what each mode asks the engine for, resumption
 * after a crash without losing or duplicating attempts, device loss, and pauses off the clock.
 */
import { describe, expect, it } from 'vitest';
import { attemptId, decide } from '../../src/lib/gate';
import type { GenerationPlan } from '../../src/lib/gate';
import { newCastMember, newCharacter, newPanel } from '../../src/lib/domain';
import type { Attempt, Character, JudgeCheck, JudgeReport, Panel } from '../../src/lib/domain';
import { runGateJob } from '../../workers/gate-host';
import { editChunks, regionsFor } from '../../workers/attempt-flow';
import { isDeviceLost } from '../../workers/errors';
import type { GateDeps } from '../../workers/gate-deps';
import type { GateHost, GatePanelResult, GateRunEvent, GateRunJob } from '../../workers/gate-api';
import type { JudgeSpec } from '../../workers/judge-api';
import type { Pack } from '../../src/lib/models/manifest';
import { compilePanel } from '../../src/lib/prompt';

// ------------------------------------------------------------------ fixtures

function character(id: string, name: string): Character {
  const c = newCharacter(1, name);
  c.id = id;
  c.verified = true;
  c.hair = 'red';
  return c;
}
const mira = character('mira', 'Mira');
const tomas = character('tomas', 'Tomas');

function panel(id: string, cast: string[] = ['mira']): Panel {
  const p = newPanel('story-1', 1);
  p.id = id;
  p.cast = cast.map((c, i) => ({ ...newCastMember(c, i, cast.length), expression: 'smiling' }));
  p.scene.location = 'harbour';
  return p;
}

const plan0 = (seed: number): GenerationPlan => ({
  seed,
  mode: 'txt2img',
  compileOptions: {},
  referenceStrength: null,
  numInferenceSteps: 2,
  guidanceScale: 0,
  mask: null,
  editAttemptIndex: null,
});

const PASS: JudgeCheck = {
  id: 'identity@mira',
  kind: 'identity',
  label: 'Mira identity',
  characterId: 'mira',
  score: 0.9,
  threshold: 0.78,
  passed: true,
  hard: true,
  box: { x: 0.2, y: 0.2, w: 0.3, h: 0.5 },
  detail: '',
};

function report(failing: Partial<JudgeCheck> | null): JudgeReport {
  const checks: JudgeCheck[] = [PASS, { ...PASS, id: 'scene', kind: 'scene', characterId: null, box: null }];
  if (failing) checks.push({ ...PASS, id: 'failing', score: 0.1, passed: false, ...failing });
  return {
    checks,
    verdict: failing ? 'fail' : 'pass',
    weightedScore: failing ? 0.4 : 0.95,
    judgedAt: 1_700_000_000_000,
    artistDecision: null,
  };
}
const drift = report({ kind: 'identity', characterId: 'mira' });
const frown = report({
  id: 'expression@mira',
  kind: 'expression',
  characterId: 'mira',
  label: 'Mira expression',
});

const pack = { id: 'tiny', title: 'Tiny' } as unknown as Pack;
const spec = {} as JudgeSpec;

function job(items: Panel[], over: Partial<GateRunJob> = {}): GateRunJob {
  return {
    runId: 'run-1',
    pack,
    overrides: [],
    width: 64,
    height: 64,
    maxSteps: 4,
    story: { id: 'story-1', style: 'picture book' },
    characters: [mira, tomas],
    items: items.map((p, i) => ({ panel: p, initialPlan: plan0(100 + i) })),
    budget: { maxAttempts: 4, maxSeconds: 300 },
    capabilities: { localEdit: true, referenceGuided: true },
    editStrength: 0.75,
    ...over,
  };
}

/** A database of attempts and images like the service's, plus what the worker asked for. */
function world(script: (panelId: string, n: number) => JudgeReport, options: { stored?: Attempt[] } = {}) {
  const attempts = new Map<string, Attempt>((options.stored ?? []).map((a) => [a.id, a]));
  const images = new Map<string, Blob>();
  const done: GatePanelResult[] = [];
  const events: GateRunEvent[] = [];
  const calls: { kind: 'generate' | 'edit'; panelId: string; seed: number; request: unknown }[] = [];
  const judged = new Map<string, number>();
  let clock = 0;
  let current = '';
  let paused = 0;
  const fail = new Map<string, () => Error>();
  let onPersist: (a: Attempt) => void = () => {};
  let onGenerate: (n: number) => void = () => {};

  const pixels = (seed: number) => new Uint8ClampedArray(64 * 64 * 4).fill(seed % 251);
  const facts = {
    backend: 'wasm' as const,
    encoderRuns: 0,
    encoderHits: 0,
    ortRuns: 1,
    readbacks: { latent: 0, kept: 0, preview: 0, image: 1, other: 0 },
    guided: null,
    edit: null,
  };
  const deps: GateDeps = {
    async generate(request, options) {
      calls.push({ kind: 'generate', panelId: current, seed: request.seed, request });
      onGenerate(calls.length);
      const error = fail.get(current);
      if (error) throw error();
      options.onProgress({ status: 'step', step: 1, total: request.numInferenceSteps, preview: null });
      options.signal.throwIfAborted();
      clock += 100;
      return {
        image: new Blob([`${request.seed}`]),
        rgba: pixels(request.seed),
        width: 64,
        height: 64,
        timings: { totalMs: 100, ortMs: 90 },
        facts,
      };
    },
    async edit(request, options) {
      calls.push({ kind: 'edit', panelId: current, seed: request.seed, request });
      options.signal.throwIfAborted();
      clock += 50;
      return {
        image: new Blob([`edit ${request.seed}`]),
        rgba: request.base.rgba,
        width: 64,
        height: 64,
        timings: { totalMs: 50 },
        facts,
      };
    },
    async judge(_image, _spec, options) {
      options.onProgress({ status: 'judge', stage: 'checks' });
      const n = judged.get(current) ?? 0;
      judged.set(current, n + 1);
      clock += 20;
      return { report: script(current, n), judgeMs: 20, loadMs: 0, device: 'wasm' };
    },
    decode: async () => ({ rgba: pixels(0), width: 64, height: 64 }),
    now: () => clock,
  };
  const host: GateHost = {
    async prepare(panelId) {
      current = panelId;
      const mine = [...attempts.values()].filter((a) => a.panelId === panelId);
      const base = mine
        .filter((a) => a.id.includes(':attempt:'))
        .reduce((m, a) => Math.min(m, a.index), mine.length);
      return { base, persisted: mine.filter((a) => a.index >= base), judge: spec, figures: [] };
    },
    image: async (id) => images.get(id) ?? null,
    async persist(attempt, image) {
      attempts.set(attempt.id, structuredClone(attempt));
      if (image && attempt.imageId) images.set(attempt.imageId, image);
      onPersist(attempt);
    },
    async panelDone(result) {
      done.push(result);
    },
    barrier: async () => {
      const ms = paused;
      paused = 0;
      clock += ms;
      return ms;
    },
    event: (e) => void events.push(e),
  };
  return {
    deps,
    host,
    attempts,
    images,
    done,
    events,
    calls,
    fail,
    pause: (ms: number) => (paused = ms),
    set onPersist(f: (a: Attempt) => void) {
      onPersist = f;
    },
    set onGenerate(f: (n: number) => void) {
      onGenerate = f;
    },
    of: (panelId: string) =>
      [...attempts.values()].filter((a) => a.panelId === panelId).sort((a, b) => a.index - b.index),
  };
}

const signal = () => new AbortController().signal;

// ------------------------------------------------------------------ tests

describe('the gate in the worker', () => {
  it('runs the queue: re-prompt, local edit and a failing panel that does not stop the others', async () => {
    const w = world((panelId, n) => {
      if (panelId === 'p1') return n === 0 ? drift : report(null);
      if (panelId === 'p3') return n === 0 ? frown : report(null);
      return report(null);
    });
    w.fail.set('p2', () => new Error('The tiny UNet refused this panel.'));
    const out = await runGateJob(job([panel('p1'), panel('p2'), panel('p3')]), w.host, w.deps, signal());

    expect(out.results.map((r) => [r.panelId, r.status])).toEqual([
      ['p1', 'accepted'],
      ['p2', 'failed'],
      ['p3', 'accepted'],
    ]);
    expect(w.done.map((r) => r.panelId)).toEqual(['p1', 'p2', 'p3']);
    expect(out.results[1]?.error).toContain('refused');

    const p1 = w.of('p1');
    expect(p1.map((a) => [a.id, a.index, a.action?.kind])).toEqual([
      [attemptId('p1', 0), 0, 'prompt-tune'],
      [attemptId('p1', 1), 1, 'accept'],
    ]);
    expect(p1[1]?.chunks.find((c) => c.kind === 'negative')?.text).toMatch(/off-model/);
    expect(out.results[0]?.bestAttemptId).toBe(attemptId('p1', 1));

    // The local edit repaints attempt 0's pixels inside the grown failing box.
    const p3 = w.of('p3');
    expect(p3.map((a) => [a.parameters.mode, a.action?.kind])).toEqual([
      ['txt2img', 'local-edit'],
      ['edit', 'accept'],
    ]);
    const edit = w.calls.find((c) => c.kind === 'edit')?.request as {
      mask: { box: { x: number; w: number } };
      strength: number;
      base: { rgba: Uint8ClampedArray };
    };
    expect(edit.mask.box.x).toBeCloseTo(0.15);
    expect(edit.strength).toBe(0.75);
    expect(edit.base.rgba[0]).toBe(102 % 251);
    expect(p3[1]?.parameters.strength).toBe(0.75);

    // Every attempt has its image under an id derived from the attempt id.
    for (const a of [...p1, ...p3]) {
      expect(a.imageId).toBe(`${a.id}:image`);
      expect(w.images.has(a.imageId as string)).toBe(true);
      expect(a.timings['generateMs']).toBeGreaterThan(0);
      expect(a.timings['judgeMs']).toBe(20);
      expect(Number.isInteger(a.index)).toBe(true);
    }
    const kinds = new Set(w.events.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['attempt', 'judged', 'judging', 'panel', 'step']);
    expect(out.workMs).toBe(120 + 120 + 120 + 70);
    expect(out.wallMs).toBeGreaterThanOrEqual(out.workMs);
  });

  it('numbers the gate attempts after the attempts a panel already had', async () => {
    const manual: Attempt = {
      schemaVersion: 1 as Attempt['schemaVersion'],
      id: 'manual-1',
      panelId: 'p1',
      storyId: 'story-1',
      index: 0,
      seed: 5,
      chunks: [],
      parameters: {
        mode: 'txt2img',
        width: 64,
        height: 64,
        numInferenceSteps: 1,
        guidanceScale: 0,
        scheduler: 'x',
        strength: null,
        packId: 'tiny',
        baseIndex: null,
      },
      imageId: null,
      report: null,
      action: null,
      timings: {},
      createdAt: 1,
    };
    const w = world((_p, n) => (n === 0 ? drift : report(null)), { stored: [manual] });
    await runGateJob(job([panel('p1')]), w.host, w.deps, signal());
    expect(w.of('p1').map((a) => [a.id, a.index])).toEqual([
      ['manual-1', 0],
      [attemptId('p1', 1), 1],
      [attemptId('p1', 2), 2],
    ]);
  });

  it('resumes after a crash mid-attempt with nothing lost and nothing duplicated', async () => {
    const script = (panelId: string, n: number) =>
      panelId === 'p1' ? ([drift, drift, report(null)][n] ?? report(null)) : report(null);
    // First tab: attempt 0 of p1 is committed, then the tab dies while attempt 1 is drawn.
    const first = world(script);
    const crash = new AbortController();
    first.onGenerate = (n) => {
      if (n === 2) crash.abort();
    };
    const cut = await runGateJob(job([panel('p1'), panel('p2')]), first.host, first.deps, crash.signal);
    expect(cut.results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(first.of('p1').map((a) => a.index)).toEqual([0]);
    const seedOfSecond = first.calls[1]?.seed;

    // Reopened: the same plans, the committed attempts; the gate continues at attempt 1.
    const second = world((p, n) => script(p, n + (p === 'p1' ? 1 : 0)), { stored: first.of('p1') });
    second.onPersist = () => undefined;
    const out = await runGateJob(job([panel('p1'), panel('p2')]), second.host, second.deps, signal());
    expect(out.results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const p1 = second.of('p1');
    expect(p1.map((a) => a.index)).toEqual([0, 1, 2]);
    expect(new Set(p1.map((a) => a.id)).size).toBe(3);
    // Attempt 1 is drawn again from the same plan: same seed as the one cut short.
    expect(second.calls[0]?.seed).toBe(seedOfSecond);
    expect(p1[0]?.action?.kind).toBe('prompt-tune');
  });

  it('a re-persisted decision overwrites the stored attempt', async () => {
    const w = world(() => drift);
    await runGateJob(
      job([panel('p1')], { budget: { maxAttempts: 2, maxSeconds: 300 } }),
      w.host,
      w.deps,
      signal(),
    );
    expect(w.of('p1').map((a) => a.action?.kind)).toEqual(['prompt-tune', 'give-up']);
    // A larger budget after a reload: the last decision is re-made and written over the same id.
    const again = world(() => report(null), { stored: w.of('p1') });
    await runGateJob(
      job([panel('p1')], { budget: { maxAttempts: 3, maxSeconds: 300 } }),
      again.host,
      again.deps,
      signal(),
    );
    const p1 = again.of('p1');
    // The tune did not raise the score, so the re-made decision is a new seed.
    expect(p1.map((a) => [a.id, a.index, a.action?.kind])).toEqual([
      [attemptId('p1', 0), 0, 'prompt-tune'],
      [attemptId('p1', 1), 1, 'reseed'],
      [attemptId('p1', 2), 2, 'accept'],
    ]);
  });

  it('stops the run when the GPU device is lost, so the service can respawn and retry', async () => {
    const w = world(() => report(null));
    // The loss is a typed fact (the code), never read from the words of a message.
    w.fail.set('p2', () => Object.assign(new Error('The GPU stopped working.'), { code: 'device-lost' }));
    const run = runGateJob(job([panel('p1'), panel('p2'), panel('p3')]), w.host, w.deps, signal());
    await expect(run).rejects.toMatchObject({ code: 'device-lost' });
    // p1 finished and was recorded; p2 and p3 are left for the retry.
    expect(w.done.map((r) => [r.panelId, r.status])).toEqual([['p1', 'accepted']]);
    await expect(
      isDeviceLost(new Error("Failed to run: the GPU device was lost ('destroyed').")),
    ).resolves.toBe(false);
    await expect(isDeviceLost(Object.assign(new Error('x'), { code: 'device-lost' }))).resolves.toBe(true);
  });

  it('a failure that is not a lost device fails only its panel; the queue goes on', async () => {
    const w = world(() => report(null));
    w.fail.set('p2', () => new Error("Failed to run: the GPU device was lost ('destroyed')."));
    const out = await runGateJob(job([panel('p1'), panel('p2'), panel('p3')]), w.host, w.deps, signal());
    expect(out.results.map((r) => [r.panelId, r.status])).toEqual([
      ['p1', 'accepted'],
      ['p2', 'failed'],
      ['p3', 'accepted'],
    ]);
  });

  it('keeps paused time out of the timings and the seconds budget', async () => {
    const w = world((_p, n) => (n === 0 ? drift : report(null)));
    w.pause(60_000);
    const out = await runGateJob(
      job([panel('p1')], { budget: { maxAttempts: 4, maxSeconds: 5 } }),
      w.host,
      w.deps,
      signal(),
    );
    expect(out.results[0]?.status).toBe('accepted');
    for (const a of w.of('p1')) expect(a.timings['totalMs']).toBeLessThan(1000);
    expect(out.wallMs).toBeLessThan(1000);
  });

  it('cancels the rest of the queue and records the panels as cancelled', async () => {
    const w = world(() => report(null));
    const controller = new AbortController();
    w.onPersist = () => controller.abort();
    const out = await runGateJob(job([panel('p1'), panel('p2')]), w.host, w.deps, controller.signal);
    expect(out.results.map((r) => r.status)).toEqual(['accepted', 'cancelled']);
    expect(w.of('p2')).toEqual([]);
  });
});

describe('conditioning of the gate modes', () => {
  it('gives two characters regional guidance and an edit the characters under its mask', () => {
    const p = panel('p1', ['mira', 'tomas']);
    const compiled = compilePanel(p, { style: '' }, new Map([mira, tomas].map((c) => [c.id, c])));
    const { chunks, regions } = regionsFor(p, compiled.chunks);
    expect(chunks.every((c) => c.kind === 'scene')).toBe(true);
    expect(regions?.map((r) => r.characterId)).toEqual(['mira', 'tomas']);
    const left = p.cast[0]?.region as { x: number; y: number; w: number; h: number };
    const picked = editChunks(p, compiled.chunks, { x: left.x, y: left.y, w: 0.01, h: 0.01 });
    expect(new Set(picked.map((c) => c.characterId ?? 'scene'))).toEqual(new Set(['mira', 'scene']));
  });
});

describe('the policy on reports like the real judge writes', () => {
  const attempt0 = (r: JudgeReport): Attempt => ({
    schemaVersion: 1 as Attempt['schemaVersion'],
    id: attemptId('p1', 0),
    panelId: 'p1',
    storyId: 'story-1',
    index: 0,
    seed: 100,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 64,
      height: 64,
      numInferenceSteps: 2,
      guidanceScale: 0,
      scheduler: 'x',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId: null,
    report: r,
    action: null,
    timings: { totalMs: 100 },
    createdAt: 1,
  });
  const decideOn = (r: JudgeReport) =>
    decide({
      panel: panel('p1'),
      initialPlan: plan0(100),
      attempts: [attempt0(r)],
      budget: { maxAttempts: 4, maxSeconds: 300 },
      elapsedSeconds: 0.1,
    }).action.kind;
  const soft = (id: string, kind: JudgeCheck['kind']): JudgeCheck => ({
    ...PASS,
    id,
    kind,
    characterId: null,
    box: null,
    passed: false,
    hard: false,
    score: 0.5,
  });

  it('repairs a hard local failure locally although a soft VLM caption check failed too', () => {
    const r = frown;
    const withVlm = {
      ...r,
      checks: [...r.checks, soft('caption#count', 'caption'), soft('composition#shot', 'composition')],
    };
    expect(decideOn(withVlm)).toBe('local-edit');
  });

  it('counts a hundred extra-figure findings as one problem, so identity drift is re-prompted', () => {
    const extras = Array.from({ length: 100 }, (_, i) => ({
      ...soft(`cast.extra#${i}`, 'cast'),
      box: PASS.box,
    }));
    expect(decideOn({ ...drift, checks: [...drift.checks, ...extras] })).toBe('prompt-tune');
  });
});
