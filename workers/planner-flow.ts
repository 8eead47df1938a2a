/**
 * One plan, in two stages, over a language-model port: the outline (one beat per panel), then one
 * call per panel given the outline and the panels before it. Every answer is validated again by the
 * planner's zod schemas (the constraint shapes the tokens; the validator is the judge). A stage that
 * fails twice is filled from the template and flagged, with a sentence saying why; a cancel stops at
 * once and keeps what was sent. No model, worker or DOM here: the worker passes the port in.
 */
import {
  outlineJsonSchema,
  outlineMessages,
  panelMessages,
  panelPlanJsonSchema,
  planRequest,
  templateOutline,
  templatePlannedPanel,
  validateOutline,
  validatePanelPlan,
  type ChatMessage,
  type JsonSchema,
  type Outline,
  type PanelPlan,
  type PlannedPanel,
  type PlanSource,
} from '../src/lib/planner';
import type { PlannerEvent, PlannerJob } from './planner-api';

export interface LlmCall {
  /** The JSON schema to constrain this call to; null = free text (the bench's baseline). */
  schema: JsonSchema | null;
  maxNewTokens: number;
  signal: AbortSignal;
  onToken: () => void;
}

export interface PlannerLlmPort {
  complete(messages: ChatMessage[], call: LlmCall): Promise<{ text: string; tokens: number; ms: number }>;
}

export interface FlowResult {
  outline: Outline;
  outlineSource: PlanSource;
  panels: PlannedPanel[];
  notes: string[];
  tokens: number;
  generateMs: number;
}

/** Tries per stage before the template fills in. */
export const TRIES = 2;

/**
 * New tokens a call may write. A constrained answer stops at the end of its JSON (the processor
 * then allows only end-of-sequence), so this is a ceiling for a model that fills every string to
 * its bound with one character per token, not what a real answer costs.
 */
export const outlineTokens = (panelCount: number): number => 96 + panelCount * 192;
export const PANEL_TOKENS = 1536;

const aborted = (signal: AbortSignal) => {
  if (signal.aborted) throw new DOMException('Planning was cancelled.', 'AbortError');
};

const isAbort = (e: unknown) => (e as { name?: unknown } | null)?.name === 'AbortError';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener('abort', stop);
      resolve();
    }
    function stop() {
      clearTimeout(timer);
      reject(new DOMException('Planning was cancelled.', 'AbortError'));
    }
    signal.addEventListener('abort', stop, { once: true });
  });

export async function runPlanFlow(
  job: Pick<PlannerJob, 'request' | 'replan' | 'constrained' | 'panelDelayMs' | 'maxNewTokens'>,
  llm: PlannerLlmPort,
  emit: (event: PlannerEvent) => void,
  signal: AbortSignal,
): Promise<FlowResult> {
  const request = planRequest(job.request);
  const constrained = job.constrained !== false;
  const notes: string[] = [];
  let tokens = 0;
  let generateMs = 0;

  /** One stage, tried twice; the validated value, or the reasons it failed. */
  const attempt = async <T>(
    stage: 'outline' | 'panel',
    index: number,
    messages: ChatMessage[],
    schema: JsonSchema,
    maxNewTokens: number,
    validate: (text: string) => { ok: true; value: T } | { ok: false; error: string },
  ): Promise<{ value: T } | { errors: string[] }> => {
    const errors: string[] = [];
    for (let t = 0; t < TRIES; t++) {
      aborted(signal);
      let count = 0;
      try {
        const out = await llm.complete(messages, {
          schema: constrained ? schema : null,
          maxNewTokens: Math.min(maxNewTokens, job.maxNewTokens ?? maxNewTokens),
          signal,
          onToken: () => emit({ type: 'token', stage, index, tokens: ++count }),
        });
        tokens += out.tokens;
        generateMs += out.ms;
        const checked = validate(out.text);
        if (checked.ok) return { value: checked.value };
        errors.push(checked.error);
      } catch (e) {
        // A dead end of the constraint, or a failed run: counts as a failed try. A cancel does not.
        if (isAbort(e) || signal.aborted) throw e;
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    return { errors };
  };

  let outline: Outline;
  let outlineSource: PlanSource = 'model';
  const indices: number[] = [];
  const previous: PanelPlan[] = [];
  if (job.replan) {
    outline = job.replan.outline;
    previous.push(...job.replan.previous);
    indices.push(job.replan.index);
  } else {
    const got = await attempt(
      'outline',
      0,
      outlineMessages(request),
      outlineJsonSchema(request),
      outlineTokens(request.panelCount),
      (text) => validateOutline(text, request),
    );
    let note: string | null = null;
    if ('value' in got) outline = got.value;
    else {
      outline = templateOutline(request);
      outlineSource = 'template';
      note = `The planner's outline did not validate twice (${got.errors.at(-1)}); the outline comes from the template.`;
      notes.push(note);
    }
    emit({ type: 'outline', outline, source: outlineSource, note });
    indices.push(...outline.beats.map((_, i) => i));
  }

  const panels: PlannedPanel[] = [];
  for (const index of indices) {
    await sleep(job.panelDelayMs ?? 0, signal);
    const beat = outline.beats[index];
    if (!beat)
      throw new RangeError(`Panel ${index + 1} is not in an outline of ${outline.beats.length} panels.`);
    const got = await attempt(
      'panel',
      index,
      panelMessages(request, outline, index, previous),
      panelPlanJsonSchema(request, beat),
      PANEL_TOKENS,
      (text) => validatePanelPlan(text, request, beat),
    );
    let planned: PlannedPanel;
    let note: string | null = null;
    if ('value' in got) planned = { index, beat, plan: got.value, source: 'model' };
    else {
      planned = templatePlannedPanel(request, outline, index);
      note = `Panel ${index + 1} did not validate twice (${got.errors.at(-1)}); it comes from the template.`;
      notes.push(note);
    }
    previous.push(planned.plan);
    panels.push(planned);
    emit({ type: 'panel', panel: planned, note });
    emit({ type: 'progress', progress: { status: 'run', done: panels.length, total: indices.length } });
  }
  return { outline, outlineSource, panels, notes, tokens, generateMs };
}
