/**
 * The planner worker: for each plan it loads the pack's planner-llm component (the dtype and device
 * the plan chose), warms it (the constraint's tokenizer tables and one short generation, so the first
 * panel does not pay for shader compilation), runs the two-stage flow (planner-flow.ts) with a fresh
 * structured-output processor per generation, streams tokens and panels back, and releases the model
 * when the plan ends — done, failed or cancelled — so the GPU is the engine's again.
 */
import * as Comlink from 'comlink';
import { installWireErrors } from '../src/lib/rpc/wire';
import { loadPlannerLlm, type PlannerLlm } from '../src/lib/runtime/planner-llm';
import { planConstraint, warmupPlanConstraint } from '../src/lib/runtime/planner-constraint';
import type { PlannerApi, PlannerErrorCode, PlannerEvent, PlannerJob } from './planner-api';
import { runPlanFlow, type PlannerLlmPort } from './planner-flow';

installWireErrors();

class PlannerFailure extends Error {
  readonly code: PlannerErrorCode;
  constructor(code: PlannerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

const running = new Map<number, AbortController>();
const cancelledEarly = new Set<number>();

function toFailure(e: unknown): PlannerFailure {
  if (e instanceof PlannerFailure) return e;
  if ((e as { name?: unknown } | null)?.name === 'AbortError')
    return new PlannerFailure('cancelled', 'Planning was cancelled; the panels already planned are kept.', {
      cause: e,
    });
  const code = (e as { code?: unknown } | null)?.code;
  const known: PlannerErrorCode[] = ['invalid-input', 'not-found', 'cancelled', 'stopped'];
  const message = e instanceof Error ? e.message : String(e);
  return new PlannerFailure(
    typeof code === 'string' && (known as string[]).includes(code)
      ? (code as PlannerErrorCode)
      : 'planner-failed',
    message,
    { cause: e },
  );
}

function port(llm: PlannerLlm): PlannerLlmPort {
  return {
    complete: (messages, call) =>
      llm.complete(messages, {
        maxNewTokens: call.maxNewTokens,
        signal: call.signal,
        onToken: call.onToken,
        // The processor keeps the grammar's state: one per generation.
        ...(call.schema ? { logitsProcessor: planConstraint(llm.tokenizer, call.schema) } : {}),
      }),
  };
}

const api: PlannerApi = {
  async plan(job: PlannerJob, onEvent) {
    const controller = new AbortController();
    if (cancelledEarly.delete(job.jobId)) controller.abort();
    running.set(job.jobId, controller);
    const emit = (event: PlannerEvent) => void onEvent?.(event);
    let llm: PlannerLlm | null = null;
    try {
      emit({ type: 'progress', progress: { status: 'load', component: 'the planner', index: 0, total: 1 } });
      const started = performance.now();
      llm = await loadPlannerLlm(job.pack, { planInput: job.planInput, allowOrigin: job.allowOrigin });
      if (job.constrained !== false) warmupPlanConstraint(llm.tokenizer);
      await llm.complete([{ role: 'user', content: 'Hello' }], { maxNewTokens: 1 });
      const loadMs = performance.now() - started;
      emit({ type: 'progress', progress: { status: 'load', component: 'the planner', index: 1, total: 1 } });
      const out = await runPlanFlow(job, port(llm), emit, controller.signal);
      const fromTemplate = out.panels.filter((p) => p.source === 'template').length;
      return {
        outline: out.outline,
        outlineSource: out.outlineSource,
        panels: out.panels,
        notes: out.notes,
        stats: {
          device: llm.device,
          dtype: llm.dtype,
          loadMs,
          tokens: out.tokens,
          generateMs: out.generateMs,
          panelsFromModel: out.panels.length - fromTemplate,
          panelsFromTemplate: fromTemplate,
        },
      };
    } catch (e) {
      throw toFailure(e);
    } finally {
      running.delete(job.jobId);
      (onEvent as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy]?.();
      await llm?.dispose().catch(() => undefined);
    }
  },

  cancel(jobId: number) {
    const controller = running.get(jobId);
    if (controller) controller.abort();
    else cancelledEarly.add(jobId);
  },
};

Comlink.expose(api);
