import { describe, expect, it } from 'vitest';
import { attemptId, planKey, runGate, runQueue } from '../../src/lib/gate';
import type {
  GateEvent,
  GatePorts,
  GenerationPlan,
  QueueHost,
  QueueOutcome,
  RunGateOptions,
} from '../../src/lib/gate';
import { Attempt, newCastMember, newPanel } from '../../src/lib/domain';
import type { JudgeCheck, JudgeReport, Panel } from '../../src/lib/domain';

// ------------------------------------------------------------------ fixtures

function panel(id = 'panel-1'): Panel {
  const p = newPanel('story-1', 1);
  p.id = id;
  p.cast = [{ ...newCastMember('mira', 0, 1), expression: 'smiling' }];
  return p;
}

const plan0: GenerationPlan = {
  seed: 7,
  mode: 'txt2img',
  compileOptions: {},
  referenceStrength: null,
  numInferenceSteps: 4,
  guidanceScale: 0,
  mask: null,
  editAttemptIndex: null,
};

function report(failing: Partial<JudgeCheck> | null, weightedScore = failing ? 0.4 : 0.95): JudgeReport {
  const passing: JudgeCheck = {
    id: 'identity-mira',
    kind: 'identity',
    label: 'Mira identity',
    characterId: 'mira',
    score: 0.9,
    threshold: 0.6,
    passed: true,
    hard: true,
    box: null,
    detail: '',
  };
  const checks = [passing, { ...passing, id: 'scene', kind: 'scene' as const, characterId: null }];
  if (failing) checks.push({ ...passing, id: 'failing', score: 0.2, passed: false, ...failing });
  return { checks, verdict: failing ? 'fail' : 'pass', weightedScore, judgedAt: 0, artistDecision: null };
}

const drift = (score?: number) => report({ kind: 'identity', characterId: 'mira' }, score);

interface Image {
  plan: GenerationPlan;
  n: number;
}

/**
 * Fake ports: generate takes `generateMs` on a fake clock, judge answers from a script indexed by
 * the attempt number, persist keeps committed attempts in a map like the store does.
 */
function fakes(
  script: (n: number, plan: GenerationPlan) => JudgeReport,
  over: Partial<GatePorts<Image>> = {},
) {
  let clock = 0;
  let n = 0;
  const generated: GenerationPlan[] = [];
  const store = new Map<string, Attempt>();
  const persistCalls: Attempt[] = [];
  const ports: GatePorts<Image> = {
    now: () => clock,
    async generate(plan, signal) {
      signal.throwIfAborted();
      generated.push(plan);
      clock += 10_000;
      return {
        attemptDraft: {
          chunks: [],
          parameters: {
            mode: plan.mode,
            width: 64,
            height: 64,
            numInferenceSteps: plan.numInferenceSteps,
            guidanceScale: plan.guidanceScale,
            scheduler: 'euler',
            strength: plan.referenceStrength,
            packId: 'tiny',
            baseIndex: null,
          },
        },
        image: { plan, n: n++ },
      };
    },
    async judge(image, _plan, signal) {
      signal.throwIfAborted();
      clock += 1_000;
      return script(image.n, image.plan);
    },
    async persist(attempt) {
      // Attempts are validated like the store does before they are written.
      const parsed = Attempt.parse(JSON.parse(JSON.stringify(attempt)));
      persistCalls.push(parsed);
      store.set(parsed.id, parsed);
    },
    ...over,
  };
  return {
    ports,
    generated,
    store,
    persistCalls,
    stored: () => [...store.values()].sort((a, b) => a.index - b.index),
  };
}

const budget = { maxAttempts: 6, maxSeconds: 300 };

function options(ports: GatePorts<Image>, over: Partial<RunGateOptions<Image>> = {}): RunGateOptions<Image> {
  return { panel: panel(), initialPlan: plan0, ports, budget, ...over };
}

// --------------------------------------------------------------------- tests

describe('gate loop', () => {
  it('accepts at once, persisting one attempt with its decision and reporting progress', async () => {
    const f = fakes(() => report(null));
    const events: GateEvent[] = [];
    const result = await runGate(options(f.ports, { onEvent: (e) => events.push(e) }));
    expect(result.status).toBe('accepted');
    expect(result.attempts).toHaveLength(1);
    expect(result.best?.id).toBe(attemptId('panel-1', 0));
    expect(f.persistCalls).toHaveLength(1);
    expect(f.persistCalls[0]).toMatchObject({
      index: 0,
      seed: 7,
      action: { kind: 'accept' },
      // One id scheme: the attempt's image is named after the attempt.
      imageId: `${attemptId('panel-1', 0)}:image`,
    });
    expect(f.persistCalls[0]?.timings).toMatchObject({ generateMs: 10_000, judgeMs: 1_000, totalMs: 11_000 });
    expect(events.map((e) => e.status)).toEqual(['attempt', 'judge']);
    expect(events[1]).toMatchObject({ status: 'judge', index: 2, total: 2, verdict: 'pass' });
  });

  it('runs the ladder: local edit, then prompt tune, then accept', async () => {
    const box = { x: 0.4, y: 0.1, w: 0.2, h: 0.2 };
    const f = fakes((n) =>
      n === 0 ? report({ kind: 'expression', box }) : n === 1 ? drift() : report(null),
    );
    const result = await runGate(options(f.ports));
    expect(result.status).toBe('accepted');
    expect(result.attempts.map((a) => a.action?.kind)).toEqual(['local-edit', 'prompt-tune', 'accept']);
    expect(f.generated[1]).toMatchObject({
      mode: 'edit',
      editAttemptIndex: 0,
      mask: { x: 0.35, y: 0.05, w: 0.3, h: 0.3 },
    });
    expect(f.generated[2]).toMatchObject({ mode: 'txt2img', mask: null });
    expect(f.generated[2]?.compileOptions.characterWeights?.['mira']?.identity).toBe(1.25);
  });

  it('gives up after the attempt budget with the highest-scoring attempt', async () => {
    const scores = [0.2, 0.3, 0.8, 0.25];
    const f = fakes((n) => drift(scores[n]));
    const result = await runGate(options(f.ports, { budget: { maxAttempts: 4, maxSeconds: 3600 } }));
    expect(result.status).toBe('needs-review');
    expect(f.generated).toHaveLength(4);
    expect(result.best?.index).toBe(2);
    expect(result.attempts[3]?.action).toMatchObject({ kind: 'give-up', diff: [] });
    expect(result.attempts[3]?.action?.reason).toMatch(/Attempt 2 scored best/);
  });

  it('gives up on the seconds budget, measured on the injected clock', async () => {
    const f = fakes(() => drift());
    // each attempt takes 11 s on the fake clock; 30 s allow three
    const result = await runGate(options(f.ports, { budget: { maxAttempts: 50, maxSeconds: 30 } }));
    expect(result.status).toBe('needs-review');
    expect(result.attempts).toHaveLength(3);
    expect(result.attempts[2]?.action?.reason).toMatch(/30 s/);
  });

  it('stops on abort during generate and persists nothing half-done', async () => {
    const controller = new AbortController();
    const f = fakes(() => drift());
    const generate = f.ports.generate;
    f.ports.generate = async (plan, signal) => {
      if (f.generated.length === 2) controller.abort();
      return generate(plan, signal);
    };
    const result = await runGate(options(f.ports, { signal: controller.signal }));
    expect(result.status).toBe('cancelled');
    expect(f.persistCalls.map((a) => a.index)).toEqual([0, 1]);
    expect(result.attempts).toHaveLength(2);
  });

  it('drops an attempt whose judging was aborted, even when the judge ignores the signal', async () => {
    const controller = new AbortController();
    const f = fakes(() => drift());
    const judge = f.ports.judge;
    f.ports.judge = async (image, plan, signal) => {
      const r = await judge(image, plan, signal);
      if (image.n === 1) controller.abort();
      return r;
    };
    const result = await runGate(options(f.ports, { signal: controller.signal }));
    expect(result.status).toBe('cancelled');
    expect(f.generated).toHaveLength(2);
    expect(f.persistCalls.map((a) => a.index)).toEqual([0]);
  });

  it('resumes after N persisted attempts at index N, with the same plans and nothing duplicated', async () => {
    const scores = [0.3, 0.35, 0.5, 0.45, 0.6, 0.2];
    const script = (n: number) =>
      n % 2 === 0
        ? drift(scores[n])
        : report({ kind: 'pose', box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 } }, scores[n]);

    const whole = fakes(script);
    const reference = await runGate(options(whole.ports));

    const controller = new AbortController();
    const first = fakes(script);
    const generate = first.ports.generate;
    first.ports.generate = async (plan, signal) => {
      if (first.generated.length === 3) controller.abort();
      return generate(plan, signal);
    };
    const cut = await runGate(options(first.ports, { signal: controller.signal }));
    expect(cut.status).toBe('cancelled');
    const persisted = first.stored();
    expect(persisted).toHaveLength(3);

    // After a reload: a fresh judge that continues the script from attempt 3.
    const second = fakes((n) => script(n + 3));
    const resumed = await runGate(options(second.ports, { persisted }));
    expect(second.persistCalls.map((a) => a.index)).toEqual([3, 4, 5]);
    expect(second.generated.map(planKey)).toEqual(whole.generated.slice(3).map(planKey));
    expect(resumed.status).toBe(reference.status);
    expect(resumed.attempts.map((a) => a.id)).toEqual(reference.attempts.map((a) => a.id));
    expect(resumed.attempts.map((a) => a.action)).toEqual(reference.attempts.map((a) => a.action));
    expect(resumed.best?.index).toBe(reference.best?.index);
  });

  it('does not run again for a panel whose gate already ended', async () => {
    const f = fakes(() => report(null));
    const done = await runGate(options(f.ports));
    const again = fakes(() => report(null));
    const result = await runGate(options(again.ports, { persisted: done.attempts }));
    expect(result.status).toBe('accepted');
    expect(again.generated).toHaveLength(0);
    expect(again.persistCalls).toHaveLength(0);
  });

  it('completes a persisted attempt that has no decision by updating it in place', async () => {
    const f = fakes(() => drift());
    const cut = await runGate(options(f.ports, { budget: { maxAttempts: 1, maxSeconds: 300 } }));
    const undecided = { ...cut.attempts[0]!, action: null };
    const again = fakes((n) => (n === 0 ? report(null) : drift()));
    const result = await runGate(options(again.ports, { persisted: [undecided] }));
    expect(again.persistCalls[0]).toMatchObject({
      id: undecided.id,
      index: 0,
      action: { kind: 'prompt-tune' },
    });
    expect(again.persistCalls.map((a) => a.index)).toEqual([0, 1]);
    expect(result.status).toBe('accepted');
    expect(result.attempts).toHaveLength(2);
  });

  it('continues a panel that gave up when the artist raises the budget', async () => {
    const f = fakes(() => drift());
    const first = await runGate(options(f.ports, { budget: { maxAttempts: 2, maxSeconds: 300 } }));
    expect(first.status).toBe('needs-review');
    const again = fakes(() => report(null));
    const result = await runGate(options(again.ports, { persisted: first.attempts }));
    expect(result.status).toBe('accepted');
    expect(again.persistCalls.map((a) => a.index)).toEqual([1, 2]);
    expect(result.attempts[1]?.action?.kind).not.toBe('give-up');
  });

  it('never asks the generator for the same plan twice', async () => {
    const box = { x: 0.3, y: 0.3, w: 0.1, h: 0.1 };
    const kinds: Partial<JudgeCheck>[] = [
      { kind: 'expression', box },
      { kind: 'identity' },
      { kind: 'caption', characterId: null },
      { kind: 'copy-paste', characterId: null },
      { kind: 'cast' },
    ];
    const f = fakes((n) => report(kinds[(n * 3) % kinds.length]!, 0.5 - n * 0.01));
    const result = await runGate(options(f.ports, { budget: { maxAttempts: 30, maxSeconds: 3600 } }));
    expect(result.status).toBe('needs-review');
    expect(f.generated).toHaveLength(30);
    expect(new Set(f.generated.map(planKey)).size).toBe(30);
  });

  it('skips a tune that would change nothing (weights at their cap) and draws a new seed instead', async () => {
    const capped: GenerationPlan = {
      ...plan0,
      compileOptions: {
        characterWeights: { mira: { identity: 2 } },
        extraNegatives: ['off-model', 'inconsistent character design'],
      },
    };
    const f = fakes((n) => drift(0.3 + n * 0.05));
    await runGate(
      options(f.ports, {
        initialPlan: capped,
        budget: { maxAttempts: 3, maxSeconds: 3600 },
        capabilities: { referenceGuided: false },
      }),
    );
    expect(f.generated).toHaveLength(3);
    expect(new Set(f.generated.map(planKey)).size).toBe(3);
    expect(new Set(f.generated.map((p) => p.seed)).size).toBe(3);
  });

  it('rejects a persisted history with a gap', async () => {
    const f = fakes(() => drift());
    const done = await runGate(options(f.ports, { budget: { maxAttempts: 3, maxSeconds: 300 } }));
    const gap = [done.attempts[0]!, done.attempts[2]!];
    await expect(runGate(options(fakes(() => drift()).ports, { persisted: gap }))).rejects.toThrow(
      /without gaps/,
    );
  });
});

describe('gate queue', () => {
  it('records a panel whose generate throws and goes on with the next', async () => {
    const f = fakes(() => report(null));
    const generate = f.ports.generate;
    f.ports.generate = async (plan, signal) => {
      if (plan.seed === 13) throw new Error('GPU device lost');
      return generate(plan, signal);
    };
    const items = [
      { panel: panel('p1'), initialPlan: plan0 },
      { panel: panel('p2'), initialPlan: { ...plan0, seed: 13 } },
      { panel: panel('p3'), initialPlan: { ...plan0, seed: 21 } },
    ];
    const seen: string[] = [];
    const outcomes = await runQueue(items, {
      host: host(f.ports, (o) => seen.push(o.panelId)),
      budget,
    });
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'failed', 'accepted']);
    expect(outcomes[1]?.error).toMatch(/GPU device lost/);
    expect(outcomes[1]?.attempts).toEqual([]);
    expect(outcomes[2]?.best?.panelId).toBe('p3');
    expect(seen).toEqual(['p1', 'p2', 'p3']);
  });

  it('keeps the attempts a failing panel committed before it failed', async () => {
    const f = fakes(() => drift());
    const generate = f.ports.generate;
    f.ports.generate = async (plan, signal) => {
      if (f.generated.length === 2) throw new Error('out of memory');
      return generate(plan, signal);
    };
    const [outcome] = await runQueue([{ panel: panel('p1'), initialPlan: plan0 }], {
      host: host(f.ports),
      budget,
    });
    expect(outcome?.status).toBe('failed');
    expect(outcome?.attempts.map((a) => a.index)).toEqual([0, 1]);
  });

  it('marks the remaining panels cancelled after an abort', async () => {
    const controller = new AbortController();
    const f = fakes(() => report(null));
    const outcomes = await runQueue(
      [
        { panel: panel('p1'), initialPlan: plan0 },
        { panel: panel('p2'), initialPlan: plan0 },
      ],
      { host: host(f.ports, () => controller.abort()), budget, signal: controller.signal },
    );
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'cancelled']);
    expect(f.generated).toHaveLength(1);
  });

  it('stops at once on a fatal error (a lost GPU device): the panel is not recorded, a fresh worker retries it', async () => {
    const f = fakes(() => report(null));
    const generate = f.ports.generate;
    f.ports.generate = async (plan, signal) => {
      if (plan.seed === 13)
        throw Object.assign(new Error('The GPU stopped working'), { code: 'device-lost' });
      return generate(plan, signal);
    };
    const seen: string[] = [];
    const run = runQueue(
      [
        { panel: panel('p1'), initialPlan: plan0 },
        { panel: panel('p2'), initialPlan: { ...plan0, seed: 13 } },
        { panel: panel('p3'), initialPlan: plan0 },
      ],
      {
        host: host(f.ports, (o) => seen.push(o.panelId)),
        budget,
        isFatal: (e) => (e as { code?: string }).code === 'device-lost',
      },
    );
    await expect(run).rejects.toThrow(/GPU stopped working/);
    expect(seen).toEqual(['p1']);
  });

  it('a loss known only after the failure (a readback fails before the device says it is lost) still stops the queue', async () => {
    const f = fakes(() => report(null));
    const generate = f.ports.generate;
    let lost = false;
    f.ports.generate = async (plan, signal) => {
      if (plan.seed === 13) {
        // The device goes: the pending readback fails now, GPUDevice.lost resolves a moment later.
        setTimeout(() => (lost = true), 10);
        throw new Error("Failed to execute 'mapAsync' on 'GPUBuffer': Buffer was unmapped.");
      }
      return generate(plan, signal);
    };
    const seen: string[] = [];
    const run = runQueue(
      [
        { panel: panel('p1'), initialPlan: plan0 },
        { panel: panel('p2'), initialPlan: { ...plan0, seed: 13 } },
        { panel: panel('p3'), initialPlan: plan0 },
      ],
      {
        host: host(f.ports, (o) => seen.push(o.panelId)),
        budget,
        isFatal: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(lost), 50)),
      },
    );
    await expect(run).rejects.toThrow(/mapAsync/);
    // p2 is not recorded as failed: a fresh worker retries it.
    expect(seen).toEqual(['p1']);
    // The same failure with the device alive after the wait fails only its panel.
    lost = false;
    const alive: string[] = [];
    const outcomes = await runQueue(
      [
        { panel: panel('p2'), initialPlan: { ...plan0, seed: 13 } },
        { panel: panel('p3'), initialPlan: plan0 },
      ],
      {
        host: host(f.ports, (o) => alive.push(o.panelId)),
        budget,
        isFatal: () => Promise.resolve(false),
      },
    );
    expect(outcomes.map((o) => o.status)[0]).toBe('failed');
    expect(alive).toEqual(['p2', 'p3']);
  });

  it('opens each panel only after the previous one is done, with the attempts it committed before', async () => {
    const f = fakes(() => report(null));
    const order: string[] = [];
    const earlier = { ...f, persisted: [] as Attempt[] };
    const outcomes = await runQueue(
      [
        { panel: panel('p1'), initialPlan: plan0 },
        { panel: panel('p2'), initialPlan: plan0 },
      ],
      {
        budget,
        host: {
          open: async (item) => {
            order.push(`open ${item.panel.id}`);
            return { ports: f.ports, persisted: earlier.persisted };
          },
          done: async (o) => void order.push(`done ${o.panelId}`),
        },
      },
    );
    expect(order).toEqual(['open p1', 'done p1', 'open p2', 'done p2']);
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted']);
  });
});

/** A queue host that gives every panel the same fake ports and no earlier attempts. */
function host(ports: GatePorts<Image>, onDone: (o: QueueOutcome) => void = () => {}): QueueHost<Image> {
  return {
    open: async () => ({ ports, persisted: [] }),
    done: async (o) => onDone(o),
  };
}
