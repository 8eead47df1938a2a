import { describe, expect, it } from 'vitest';
import {
  GATE_TUNING,
  applyDiff,
  decide,
  deriveSeed,
  diffPlans,
  growBox,
  planKey,
  replayPlans,
} from '../../src/lib/gate';
import type { GenerationPlan, PolicyInput } from '../../src/lib/gate';
import { compilePanel } from '../../src/lib/prompt';
import type { CompileOptions } from '../../src/lib/prompt';
import { GateAction, SCHEMA_VERSION, newCastMember, newCharacter, newPanel } from '../../src/lib/domain';
import type { Attempt, Character, JudgeCheck, JudgeReport, Panel } from '../../src/lib/domain';

// ------------------------------------------------------------------ fixtures

function panel(): Panel {
  const p = newPanel('story-1', 1);
  p.id = 'panel-1';
  p.cast = [
    { ...newCastMember('mira', 0, 2), pose: 'jumping', expression: 'smiling' },
    { ...newCastMember('tomas', 1, 2), pose: 'sitting', expression: 'sad', facing: 'profile-left' },
  ];
  return p;
}

const plan0: GenerationPlan = {
  seed: 1234,
  mode: 'txt2img',
  compileOptions: {},
  referenceStrength: null,
  numInferenceSteps: 4,
  guidanceScale: 0,
  mask: null,
  editAttemptIndex: null,
};

function check(kind: JudgeCheck['kind'], over: Partial<JudgeCheck> = {}): JudgeCheck {
  const passed = over.passed ?? true;
  return {
    id: `${kind}-${over.characterId ?? 'panel'}`,
    kind,
    label: `${over.characterId ?? 'panel'} ${kind}`,
    characterId: null,
    score: passed ? 0.9 : 0.3,
    threshold: 0.6,
    passed,
    hard: false,
    box: null,
    detail: '',
    ...over,
  };
}

/** A full set of checks for both characters; `failing` replaces the passing ones of the same id. */
function report(failing: JudgeCheck[] = [], weightedScore?: number): JudgeReport {
  const base: JudgeCheck[] = [
    check('count'),
    ...['mira', 'tomas'].flatMap((id) =>
      (['cast', 'identity', 'pose', 'expression', 'facing', 'wardrobe'] as const).map((k) =>
        check(k, { characterId: id }),
      ),
    ),
    check('scene'),
    check('composition'),
  ];
  const checks = base.map((c) => failing.find((f) => f.id === c.id) ?? c);
  for (const f of failing) if (!checks.includes(f)) checks.push(f);
  return {
    checks,
    verdict: checks.every((c) => c.passed) ? 'pass' : 'fail',
    weightedScore: weightedScore ?? checks.filter((c) => c.passed).length / checks.length,
    judgedAt: 0,
    artistDecision: null,
  };
}

const fail = (kind: JudgeCheck['kind'], characterId: string | null, over: Partial<JudgeCheck> = {}) =>
  check(kind, { characterId, passed: false, ...over });

function attempt(
  index: number,
  seed: number,
  r: JudgeReport | null,
  action: Attempt['action'] = null,
): Attempt {
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: `a${index}`,
    panelId: 'panel-1',
    storyId: 'story-1',
    index,
    seed,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 64,
      height: 64,
      numInferenceSteps: 4,
      guidanceScale: 0,
      scheduler: 'euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId: `img${index}`,
    report: r,
    action,
    timings: {},
    createdAt: index,
  };
}

const budget = { maxAttempts: 6, maxSeconds: 300 };

/** Decide over a scripted history: each report is judged, decided, and the decision recorded. */
function play(reports: JudgeReport[], over: Partial<PolicyInput> = {}) {
  const attempts: Attempt[] = [];
  const decisions = [];
  let plan = over.initialPlan ?? plan0;
  for (const [i, r] of reports.entries()) {
    attempts.push(attempt(i, plan.seed, r));
    const d = decide({ panel: panel(), initialPlan: plan0, attempts, budget, elapsedSeconds: 0, ...over });
    (attempts[i] as Attempt).action = d.action;
    decisions.push(d);
    if (!d.next) break;
    plan = d.next;
  }
  return { attempts, decisions };
}

const only = (kind: JudgeCheck['kind'], id: string | null, over: Partial<JudgeCheck> = {}) =>
  report([fail(kind, id, over)]);

// --------------------------------------------------------------------- tests

describe('gate policy', () => {
  it('accepts a passing attempt with no diff', () => {
    const { decisions } = play([report()]);
    const d = decisions[0]!;
    expect(d.action.kind).toBe('accept');
    expect(d.action.diff).toEqual([]);
    expect(d.action.reason).toMatch(/checks passed/);
    expect(d.next).toBeNull();
    expect(d.best.index).toBe(0);
  });

  it('repaints a localised expression failure with a grown, clamped mask and a stronger transient chunk', () => {
    const box = { x: 0.02, y: 0.1, w: 0.2, h: 0.2 };
    const { decisions } = play([only('expression', 'mira', { box })]);
    const d = decisions[0]!;
    expect(d.action.kind).toBe('local-edit');
    expect(d.next).toMatchObject({
      mode: 'edit',
      seed: plan0.seed,
      editAttemptIndex: 0,
      // grown by 0.05 on each side; x clamped at 0
      mask: { x: 0, y: 0.05, w: 0.27, h: 0.3 },
      compileOptions: { characterWeights: { mira: { transient: 1.3 } }, frontLoad: { mira: ['smiling'] } },
    });
    expect(d.action.diff).toEqual([
      { path: '/compileOptions/characterWeights/mira/transient', from: null, to: 1.3 },
      { path: '/compileOptions/frontLoad/mira', from: null, to: ['smiling'] },
      { path: '/editAttemptIndex', from: null, to: 0 },
      { path: '/mask', from: null, to: { x: 0, y: 0.05, w: 0.27, h: 0.3 } },
      { path: '/mode', from: 'txt2img', to: 'edit' },
    ]);
    expect(applyDiff(plan0, d.action.diff)).toEqual(d.next);
    expect(d.action.reason).toMatch(/expression/);
  });

  it('grows boxes and clamps them to the panel', () => {
    expect(growBox({ x: 0.9, y: 0.95, w: 0.1, h: 0.05 })).toEqual({ x: 0.85, y: 0.9, w: 0.15, h: 0.1 });
    expect(growBox({ x: 0, y: 0, w: 1, h: 1 })).toEqual({ x: 0, y: 0, w: 1, h: 1 });
  });

  it('repairs a wardrobe failure in the identity chunk', () => {
    const d = play([only('wardrobe', 'tomas', { box: { x: 0.5, y: 0.5, w: 0.1, h: 0.1 } })]).decisions[0]!;
    expect(d.action.kind).toBe('local-edit');
    expect(d.next?.compileOptions.characterWeights?.['tomas']).toEqual({ identity: 1.3 });
    expect(d.next?.compileOptions.frontLoad).toBeUndefined();
  });

  it('does not repaint a box that covers most of the panel, nor without a box, nor without the capability', () => {
    const big = play([only('pose', 'mira', { box: { x: 0, y: 0, w: 0.9, h: 0.9 } })]).decisions[0]!;
    expect(big.action.kind).toBe('prompt-tune');
    const unboxed = play([only('pose', 'mira')]).decisions[0]!;
    expect(unboxed.action.kind).toBe('prompt-tune');
    expect(unboxed.next?.compileOptions.frontLoad).toEqual({
      mira: ['jumping in the air, feet off the ground'],
    });
    const noEdit = play([only('expression', 'mira', { box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 } })], {
      capabilities: { localEdit: false },
    }).decisions[0]!;
    expect(noEdit.action.kind).toBe('prompt-tune');
    expect(noEdit.next?.mode).toBe('txt2img');
  });

  it('tunes the prompt on identity drift: reweight and negatives, then reference guidance, then steps', () => {
    const drift = (score: number) => report([fail('identity', 'mira')], score);
    const { decisions } = play([drift(0.5), drift(0.6), drift(0.7), drift(0.8)]);
    const [first, second, third, fourth] = decisions;
    expect(first!.action.kind).toBe('prompt-tune');
    expect(first!.next).toMatchObject({
      seed: plan0.seed,
      mode: 'txt2img',
      compileOptions: {
        characterWeights: { mira: { identity: 1.25 } },
        extraNegatives: ['off-model', 'inconsistent character design'],
      },
    });
    expect(second!.action.kind).toBe('prompt-tune');
    expect(second!.next).toMatchObject({ mode: 'img2img', referenceStrength: 0.35 });
    expect(second!.next?.compileOptions.characterWeights?.['mira']?.identity).toBe(1.563);
    expect(second!.action.diff).toContainEqual({ path: '/referenceStrength', from: null, to: 0.35 });
    expect(third!.action.kind).toBe('prompt-tune');
    expect(third!.next).toMatchObject({ referenceStrength: 0.5, numInferenceSteps: 5, guidanceScale: 0 });
    // three tunes is the most; the next failure draws a new seed and keeps the tuning
    expect(fourth!.action.kind).toBe('reseed');
    expect(fourth!.next?.seed).toBe(deriveSeed(plan0.seed, 4));
    expect(fourth!.next?.compileOptions).toEqual(third!.next?.compileOptions);
  });

  it('tunes for a missing character by strengthening both of its chunks', () => {
    const d = play([only('cast', 'tomas', { hard: true })]).decisions[0]!;
    expect(d.action.kind).toBe('prompt-tune');
    expect(d.next?.compileOptions.characterWeights?.['tomas']).toEqual({ identity: 1.25, transient: 1.25 });
  });

  it('reseeds when the failures are diffuse', () => {
    const diffuse = report([
      fail('identity', 'mira'),
      fail('pose', 'tomas'),
      fail('scene', null, { id: 'scene-panel' }),
      fail('composition', null, { id: 'composition-panel' }),
      fail('expression', 'tomas'),
      fail('facing', 'mira'),
      fail('wardrobe', 'mira'),
      fail('identity', 'tomas'),
    ]);
    const d = play([diffuse]).decisions[0]!;
    expect(d.action.kind).toBe('reseed');
    expect(d.action.reason).toMatch(/diffuse/);
    expect(d.next).toEqual({ ...plan0, seed: deriveSeed(plan0.seed, 1) });
    expect(d.action.diff).toEqual([{ path: '/seed', from: plan0.seed, to: deriveSeed(plan0.seed, 1) }]);
  });

  it('draws again when only the VLM caption and placement checks failed, even made hard', () => {
    const box = { x: 0.1, y: 0.1, w: 0.3, h: 0.6 };
    const r = report([
      fail('caption', 'mira', { id: 'caption#pose@mira', hard: true, box }),
      fail('placement', 'mira', { id: 'placement@mira', hard: true, box }),
    ]);
    const d = play([r]).decisions[0]!;
    expect(d.action.kind).toBe('reseed');
    // advisory signals never earn a tune (at a later rung one would add steps and guidance)
    expect(d.action.reason).toMatch(/^2 checks failed across the panel .*too diffuse to repair/);
    expect(d.next).toEqual({ ...plan0, seed: deriveSeed(plan0.seed, 1) });
  });

  it('does not call a targeted failure diffuse because the advisory VLM checks failed beside it', () => {
    const vlm = (['caption', 'placement', 'checklist'] as const).flatMap((kind) =>
      ['mira', 'tomas', null].map((id) => fail(kind, id, { id: `${kind}@${id ?? 'panel'}` })),
    );
    const targeted = (['identity', 'pose', 'expression', 'facing'] as const).map((k) => fail(k, 'mira'));
    // Counted with the VLM checks, 12 of 24 aspects fail (diffuse); without them, 4 of 15 do.
    const d = play([report([...targeted, ...vlm])]).decisions[0]!;
    expect(d.action.kind).toBe('prompt-tune');
    expect(d.action.reason).not.toMatch(/diffuse/);
  });

  it('reseeds when the last tuning did not raise the score', () => {
    const { decisions } = play([
      report([fail('identity', 'mira')], 0.5),
      report([fail('identity', 'mira')], 0.4),
    ]);
    expect(decisions.map((d) => d.action.kind)).toEqual(['prompt-tune', 'reseed']);
    expect(decisions[1]!.action.reason).toMatch(/did not raise the score/);
  });

  it('edits at most twice in a row, then escalates to a whole-image tune', () => {
    const local = () => only('expression', 'mira', { box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 } });
    const { decisions } = play([local(), local(), local()]);
    expect(decisions.map((d) => d.action.kind)).toEqual(['local-edit', 'local-edit', 'prompt-tune']);
    expect(decisions[1]!.next?.editAttemptIndex).toBe(1);
    expect(decisions[1]!.next?.compileOptions.characterWeights?.['mira']?.transient).toBe(1.69);
    expect(decisions[2]!.next).toMatchObject({ mode: 'txt2img', mask: null, editAttemptIndex: null });
  });

  it('gives up once the attempt budget is spent, keeping the best attempt', () => {
    const scores = [0.3, 0.7, 0.5];
    const reports = scores.map((s) => report([fail('identity', 'mira')], s));
    const { decisions, attempts } = play(reports, { budget: { maxAttempts: 3, maxSeconds: 300 } });
    const last = decisions[decisions.length - 1]!;
    expect(attempts).toHaveLength(3);
    expect(last.action.kind).toBe('give-up');
    expect(last.action.reason).toMatch(/budget of 3/);
    expect(last.best.index).toBe(1);
    expect(last.next).toBeNull();
  });

  it('gives up once the seconds budget is spent', () => {
    const d = play([only('identity', 'mira')], { elapsedSeconds: 301 }).decisions[0]!;
    expect(d.action.kind).toBe('give-up');
    expect(d.action.reason).toMatch(/300 s/);
  });

  it("follows the artist's decision over the judge's", () => {
    const rejected = { ...report(), artistDecision: { decision: 'reject' as const, at: 5 } };
    expect(play([rejected]).decisions[0]!.action.kind).not.toBe('accept');
    const overridden = {
      ...only('identity', 'mira'),
      artistDecision: { decision: 'override' as const, at: 5 },
    };
    expect(play([overridden]).decisions[0]!.action.kind).toBe('accept');
  });

  it('never proposes a plan that was already tried, over a long run of mixed failures', () => {
    const box = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
    const cycle = [
      only('expression', 'mira', { box }),
      only('identity', 'tomas'),
      only('caption', null),
      only('pose', 'tomas', { box }),
      only('copy-paste', null),
      only('scene', null),
    ];
    const reports = Array.from({ length: 40 }, (_, i) => cycle[(i * 7) % cycle.length]!);
    const { attempts, decisions } = play(reports, { budget: { maxAttempts: 40, maxSeconds: 3600 } });
    expect(attempts).toHaveLength(40);
    const plans = replayPlans(plan0, attempts.slice(0, -1));
    expect(new Set(plans.map(planKey)).size).toBe(plans.length);
    expect(new Set(decisions.map((d) => d.action.kind))).toEqual(
      new Set(['local-edit', 'prompt-tune', 'reseed', 'give-up']),
    );
  });

  it('is deterministic: the same history gives the same decisions', () => {
    const reports = [only('identity', 'mira'), only('caption', null), only('pose', 'tomas')];
    expect(play(reports).decisions).toEqual(play(reports).decisions);
  });
});

describe('generation plan', () => {
  it('diffs survive JSON and the GateAction schema, and replay to the same plan', () => {
    const next: GenerationPlan = {
      ...plan0,
      mode: 'img2img',
      referenceStrength: 0.35,
      compileOptions: { characterWeights: { 'a/b~c': { identity: 1.25 } }, extraNegatives: ['off-model'] },
    };
    const diff = diffPlans(plan0, next);
    expect(diff.map((e) => e.path)).toContain('/compileOptions/characterWeights/a~1b~0c/identity');
    const stored = GateAction.parse(JSON.parse(JSON.stringify({ kind: 'prompt-tune', reason: 'r', diff })));
    expect(applyDiff(plan0, stored.diff)).toEqual(next);
    // Undoing removes the overrides; the empty objects left behind compile like absent ones.
    const undone = applyDiff(next, diffPlans(next, plan0));
    expect(undone.compileOptions.extraNegatives).toBeUndefined();
    expect(planKey(undone)).toBe(planKey(plan0));
    expect(planKey(undone)).not.toBe(planKey(next));
  });

  it('rejects diffs that reach outside the plan', () => {
    expect(() => applyDiff(plan0, [{ path: '/panel/status', from: null, to: 'accepted' }])).toThrow(
      /generation plan/,
    );
  });

  it('derives distinct, reproducible seeds', () => {
    const seeds = Array.from({ length: 200 }, (_, i) => deriveSeed(42, i));
    expect(new Set(seeds).size).toBe(200);
    expect(deriveSeed(42, 3)).toBe(deriveSeed(42, 3));
    expect(deriveSeed(42, 3, 1)).not.toBe(deriveSeed(42, 3));
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff)).toBe(true);
  });

  it("refuses to replay a history whose seeds don't match the initial plan", () => {
    const a = attempt(0, 999, report(), null);
    expect(() => replayPlans(plan0, [a])).toThrow(/seed 999/);
    expect(() =>
      decide({ panel: panel(), initialPlan: plan0, attempts: [a], budget, elapsedSeconds: 0 }),
    ).toThrow(/seed 999/);
  });

  it('has knobs the prompt compiler accepts, and front-loading reaches the transient chunk', () => {
    const d = play([only('expression', 'mira', { box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 } })]).decisions[0]!;
    // Pins ConditioningKnobs to CompileOptions: this line stops compiling if they drift apart.
    const options: CompileOptions = d.next!.compileOptions;
    const character = (id: string, name: string): Character => ({
      ...newCharacter(1, name),
      id,
      verified: true,
    });
    const cast = new Map([
      ['mira', character('mira', 'Mira')],
      ['tomas', character('tomas', 'Tomas')],
    ]);
    const compiled = compilePanel(panel(), { style: '' }, cast, options);
    const transient = compiled.chunks.find((c) => c.kind === 'transient' && c.characterId === 'mira');
    expect(transient?.text.startsWith('smiling, Mira')).toBe(true);
    expect(transient?.weight).toBe(GATE_TUNING.localBoost);
  });
});

describe('gate policy on a scene-only panel (no cast)', () => {
  const sceneOnly = (): Panel => ({ ...panel(), cast: [] });
  /** What the judge reports for a panel without characters: count, scene, composition. */
  const sceneReport = (failing: JudgeCheck[] = []): JudgeReport => {
    const checks = [check('count'), check('scene'), check('composition')].map(
      (c) => failing.find((f) => f.id === c.id) ?? c,
    );
    for (const f of failing) if (!checks.includes(f)) checks.push(f);
    return {
      checks,
      verdict: checks.every((c) => !c.hard || c.passed) ? 'pass' : 'fail',
      weightedScore: checks.filter((c) => c.passed).length / checks.length,
      judgedAt: 0,
      artistDecision: null,
    };
  };

  it('accepts a passing scene-only attempt', () => {
    const { decisions } = play([sceneReport()], { panel: sceneOnly() });
    expect(decisions[0]!.action.kind).toBe('accept');
  });

  it('repairs a failing scene with the scene chunk, then new seeds; never a local edit', () => {
    const failing = () => sceneReport([fail('scene', null, { hard: true })]);
    const { decisions } = play(Array.from({ length: 6 }, failing), {
      panel: sceneOnly(),
      budget: { maxAttempts: 6, maxSeconds: 300 },
    });
    const kinds = decisions.map((d) => d.action.kind);
    expect(kinds[0]).toBe('prompt-tune');
    expect(decisions[0]!.next?.compileOptions.weights?.scene).toBe(GATE_TUNING.sceneBoost);
    expect(kinds).toContain('reseed');
    expect(kinds).not.toContain('local-edit');
    for (const d of decisions) {
      expect(d.next?.mode ?? 'txt2img').toBe('txt2img');
      expect(d.next?.mask ?? null).toBeNull();
    }
  });

  it('never repaints a character box for it, even from a report that still names a character', () => {
    const box = { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
    for (const kind of ['expression', 'pose', 'facing', 'wardrobe'] as const) {
      const stale = sceneReport([fail(kind, 'mira', { box, hard: true })]);
      // The same report on a panel with Mira is repaired locally: the guard is the empty cast.
      expect(play([stale]).decisions[0]!.action.kind, kind).toBe('local-edit');
      const d = play([stale], { panel: sceneOnly() }).decisions[0]!;
      expect(d.action.kind, kind).not.toBe('local-edit');
      expect(d.next?.mode, kind).not.toBe('edit');
    }
  });

  it('does not turn to reference guidance: there are no templates to follow', () => {
    const stale = () => sceneReport([fail('identity', 'mira', { hard: true })]);
    const { decisions } = play([stale(), stale(), stale(), stale()], {
      panel: sceneOnly(),
      budget: { maxAttempts: 6, maxSeconds: 300 },
    });
    for (const d of decisions) {
      expect(d.next?.mode ?? 'txt2img').not.toBe('img2img');
      expect(d.next?.referenceStrength ?? null).toBeNull();
    }
  });
});
