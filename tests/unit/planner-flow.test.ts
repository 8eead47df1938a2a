/**
 * The plan flow over a fake language-model port (pure logic; the real model runs in the e2e): two
 * stages in order, one fresh schema per call, every answer validated again, a panel that fails twice
 * filled from the template and flagged with a sentence, a constraint that throws counted as a failed
 * try, a cancel that stops at once and keeps what was sent, and a re-plan of one panel.
 */
import { describe, expect, it } from 'vitest';
import type { PlannerEvent } from '../../workers/planner-api';
import { runPlanFlow, type LlmCall, type PlannerLlmPort } from '../../workers/planner-flow';

const REQUEST = {
  premise: 'Mira finds a map. Bo wants to sail. A storm comes. They reach the lighthouse.',
  cast: [
    { id: 'mira', name: 'Mira' },
    { id: 'bo', name: 'Bo' },
  ],
  panelCount: 3,
  style: 'ink',
  direction: 'ltr' as const,
};

const OUTLINE = {
  title: 'The map',
  beats: [
    { summary: 'Mira finds a map', cast: ['mira'], importance: 1 },
    { summary: 'Bo wants to sail', cast: ['mira', 'bo'], importance: 2 },
    { summary: 'The lighthouse', cast: ['bo'], importance: 3 },
  ],
};

const panel = (cast: string[], caption: string) => ({
  cast: cast.map((id) => ({
    characterId: id,
    pose: 'standing',
    expression: 'neutral',
    facing: 'front',
    gaze: 'at-viewer',
    action: 'looks',
  })),
  scene: { location: 'attic', timeOfDay: 'dawn', weather: '', lighting: '', mood: '' },
  composition: { shotSize: 'medium', cameraAngle: 'eye-level' },
  caption,
  dialogue: [],
});

/** Answers from a script, one per call; records what each call asked for. */
function port(answers: (string | Error)[]) {
  const calls: { user: string; call: LlmCall }[] = [];
  const llm: PlannerLlmPort = {
    async complete(messages, call) {
      calls.push({ user: messages.at(-1)?.content ?? '', call });
      call.onToken();
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return { text: next, tokens: 10, ms: 5 };
    },
  };
  return { llm, calls };
}

describe('runPlanFlow', () => {
  it('outline, then one validated call per panel, each with its own schema', async () => {
    const { llm, calls } = port([
      JSON.stringify(OUTLINE),
      JSON.stringify(panel(['mira'], 'one')),
      JSON.stringify(panel(['mira', 'bo'], 'two')),
      JSON.stringify(panel(['bo'], 'three')),
    ]);
    const events: PlannerEvent[] = [];
    const out = await runPlanFlow(
      { request: REQUEST },
      llm,
      (e) => events.push(e),
      new AbortController().signal,
    );
    expect(out.outlineSource).toBe('model');
    expect(out.panels.map((p) => [p.index, p.source, p.plan.caption])).toEqual([
      [0, 'model', 'one'],
      [1, 'model', 'two'],
      [2, 'model', 'three'],
    ]);
    expect(out.tokens).toBe(40);
    expect(calls).toHaveLength(4);
    // Every call is constrained, and each panel's schema is its own (the beat's cast).
    expect(calls.every((c) => c.call.schema !== null)).toBe(true);
    expect(new Set(calls.map((c) => JSON.stringify(c.call.schema))).size).toBe(4);
    expect(events.filter((e) => e.type === 'panel')).toHaveLength(3);
    expect(events.find((e) => e.type === 'outline')).toMatchObject({ source: 'model', note: null });
  });

  it('a panel that fails twice (bad JSON, an invented character) comes from the template, flagged', async () => {
    const { llm, calls } = port([
      JSON.stringify(OUTLINE),
      JSON.stringify(panel(['mira'], 'one')),
      '{"cast": [',
      JSON.stringify(panel(['zed'], 'two')),
      new Error('The constraint reached a dead end.'),
      JSON.stringify(panel(['bo'], 'three')),
    ]);
    const events: PlannerEvent[] = [];
    const out = await runPlanFlow(
      { request: REQUEST },
      llm,
      (e) => events.push(e),
      new AbortController().signal,
    );
    expect(calls).toHaveLength(6);
    expect(out.panels.map((p) => p.source)).toEqual(['model', 'template', 'model']);
    expect(out.notes).toHaveLength(1);
    expect(out.notes[0]).toMatch(/^Panel 2 did not validate twice \(.+\); it comes from the template\.$/);
    const flagged = events.find((e) => e.type === 'panel' && e.panel.index === 1);
    expect(flagged).toMatchObject({ note: out.notes[0] });
    // The template keeps the beat's cast: nobody invented.
    expect(
      out.panels[1]?.plan.cast.map((m) => m.characterId).every((id) => ['mira', 'bo'].includes(id)),
    ).toBe(true);
  });

  it('a cancel stops before the next call and keeps the panels already sent', async () => {
    const controller = new AbortController();
    const { llm, calls } = port([JSON.stringify(OUTLINE), JSON.stringify(panel(['mira'], 'one'))]);
    const sent: number[] = [];
    const run = runPlanFlow(
      { request: REQUEST },
      llm,
      (e) => {
        if (e.type === 'panel') {
          sent.push(e.panel.index);
          controller.abort();
        }
      },
      controller.signal,
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(sent).toEqual([0]);
    expect(calls).toHaveLength(2);
  });

  it('re-plans one panel from the outline and the panels before it', async () => {
    const { llm, calls } = port([JSON.stringify(panel(['mira', 'bo'], 'again'))]);
    const out = await runPlanFlow(
      {
        request: REQUEST,
        replan: { index: 1, outline: OUTLINE, previous: [panel(['mira'], 'one') as never] },
      },
      llm,
      () => undefined,
      new AbortController().signal,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]?.user).toContain('panel 2');
    expect(out.panels).toHaveLength(1);
    expect(out.panels[0]).toMatchObject({ index: 1, source: 'model' });
  });

  it('the unconstrained baseline sends no schema', async () => {
    const { llm, calls } = port([JSON.stringify(OUTLINE), ...[1, 2, 3].map(() => '{}'), '{}', '{}', '{}']);
    await runPlanFlow(
      { request: REQUEST, constrained: false, maxNewTokens: 32 },
      llm,
      () => undefined,
      new AbortController().signal,
    ).catch(() => undefined);
    expect(calls.every((c) => c.call.schema === null && c.call.maxNewTokens === 32)).toBe(true);
  });
});
