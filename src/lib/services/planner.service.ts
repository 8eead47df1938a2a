/**
 * The façade the UI calls to plan a story from a premise. It finds whether the active pack has its
 * planner model here (a served test pack, or every planner file verified in storage); with it, the
 * plan runs in the planner worker (the engine's sessions are released first, so the planner has the
 * GPU to itself, and the worker releases its own when the plan ends); without it, the template
 * fallback writes the same plan offline and a note says so. Either way the panels arrive one by one
 * as events, and a cancel keeps those already sent.
 */
import type { Pack } from '../models/manifest';
import { modelStorage, packFiles, readVerified, entryMatches } from '../models';
import { planPack } from '../models/plan';
import {
  PLAN_LIMITS,
  panelPlanToPanel,
  parsePlanRequest,
  planRequest,
  templateOutline,
  templatePlannedPanel,
  type Outline,
  type PanelPlan,
  type PlannedPanel,
  type PlanRequest,
  type PlanRequestInput,
  type PlanSource,
} from '../planner';
import type { Panel } from '../domain';
import { PlannerClient, type PlannerEvent } from '../rpc/planner.client';
import type { SpawnedWorker } from '../rpc/engine.client';
import type { PlannerStats } from '../../../workers/planner-api';
import { engineService } from './engine.service';
import { modelsService, type PackSnapshot, type UsablePack } from './models.service';

export type {
  Outline,
  PanelPlan,
  PlannedPanel,
  PlannerEvent,
  PackSnapshot,
  PlannerStats,
  PlanRequest,
  PlanRequestInput,
  PlanSource,
};
export { PLAN_LIMITS };
export { faultSentence, formatBytes } from './models.service';

/** Check what the artist asked for: the request, or one sentence naming the first problem. */
export const checkPlanRequest = parsePlanRequest;

/** A planned panel as a draft Panel of the story (ids, regions, trimmed text). */
export const planPanel = (planned: PlannedPanel, storyId: string): Panel =>
  panelPlanToPanel(planned, { storyId });

/** The active pack's planner, not (all) downloaded yet: what the plan form offers to download. */
export interface PlannerDownloadOffer {
  packId: string;
  title: string;
  /** Bytes of the planner's files for this machine (the variant its device runs). */
  bytes: number;
  missing: number;
  files: number;
}

/** Whether plans come from the model here, and if not, why (and whether a download would fix it). */
export type PlannerAvailability =
  | { installed: true; title: string }
  | { installed: false; reason: string; download: PlannerDownloadOffer | null };

export interface PlanOutcome {
  outline: Outline;
  outlineSource: PlanSource;
  panels: PlannedPanel[];
  /** Sentences about what came from the template and why (no planner, or a stage failed twice). */
  notes: string[];
  /** Null when the template wrote the plan (no model ran). */
  stats: PlannerStats | null;
}

export interface PlanCallOptions {
  signal?: AbortSignal;
  onEvent?: (event: PlannerEvent) => void;
  /** Re-plan the panel at `index` only. */
  replan?: { index: number; outline: Outline; previous: PanelPlan[] };
  /** The bench's baseline: the same prompts without the constraint. */
  constrained?: boolean;
  /** The bench only: a lower ceiling of new tokens per call. */
  maxNewTokens?: number;
}

export const NO_PLANNER_NOTE =
  'No planner model is installed; this plan comes from the template (the premise’s sentences, a rhythm of shots, no dialogue): edit anything before running';

function spawnPlannerWorker(): SpawnedWorker {
  const worker = new Worker(new URL('../../../workers/planner.worker.ts', import.meta.url), {
    type: 'module',
    name: 'planner',
  });
  return {
    endpoint: worker,
    terminate: () => worker.terminate(),
    onFailure: (listener) => {
      worker.onerror = (e) => listener(e.message || 'the planner worker could not start');
    },
  };
}

const hasPlanner = (pack: Pack) => pack.components.some((c) => c.role === 'planner-llm');

class PlannerService {
  #client: PlannerClient | null = null;

  #planner(): PlannerClient {
    this.#client ??= new PlannerClient(spawnPlannerWorker);
    return this.#client;
  }

  /** The active pack with its planner ready here, or the sentence saying why not. */
  async #usable(): Promise<{ usable: UsablePack } | { reason: string; download?: PlannerDownloadOffer }> {
    let usable: UsablePack;
    try {
      usable = await modelsService.usablePack('plan');
    } catch (e) {
      return { reason: e instanceof Error ? e.message : String(e) };
    }
    const { pack, planInput, servedFromOrigin } = usable;
    if (!hasPlanner(pack)) return { reason: `${pack.title} has no planner model.` };
    if (servedFromOrigin) return { usable };
    // The install brings drawing and judging; the planner's files are checked on their own.
    const files = packFiles(pack, planPack(pack, { ...planInput, features: ['plan'] }));
    const verified = await readVerified(modelStorage(), pack.id);
    const missing = files.filter((f) => !entryMatches(verified.files[f.label], f)).length;
    if (missing)
      return {
        reason: `The planner of ${pack.title} is not downloaded yet (${missing} of ${files.length} files): download it in the plan form for a better plan, written by the model from your premise and cast.`,
        download: {
          packId: pack.id,
          title: pack.title,
          bytes: await modelsService.plannerBytes(pack.id),
          missing,
          files: files.length,
        },
      };
    return { usable };
  }

  async availability(): Promise<PlannerAvailability> {
    const found = await this.#usable();
    return 'usable' in found
      ? { installed: true, title: found.usable.pack.title }
      : { installed: false, reason: found.reason, download: found.download ?? null };
  }

  // The planner's first download, for the plan form (the Models page installs everything else).
  onDownloadChange(packId: string, listener: (s: PackSnapshot) => void): Promise<() => void> {
    return modelsService.onPlannerChange(packId, listener);
  }
  scanDownload(packId: string): Promise<PackSnapshot> {
    return modelsService.scanPlanner(packId);
  }
  download(packId: string): Promise<PackSnapshot> {
    return modelsService.downloadPlanner(packId);
  }
  pauseDownload(packId: string): Promise<void> {
    return modelsService.pausePlanner(packId);
  }
  cancelDownload(packId: string): Promise<PackSnapshot> {
    return modelsService.cancelPlanner(packId);
  }
  whenOnline(listener: () => void): () => void {
    return modelsService.whenOnline(listener);
  }

  /** Plan (or re-plan one panel); panels arrive through `onEvent` as they are finished. */
  async plan(input: PlanRequestInput, options: PlanCallOptions = {}): Promise<PlanOutcome> {
    const request = planRequest(input);
    const found = await this.#usable();
    if (!('usable' in found)) return this.#template(request, options, `${NO_PLANNER_NOTE}. ${found.reason}`);
    const { pack, planInput, servedFromOrigin } = found.usable;
    // The planner has the GPU to itself while it plans.
    await engineService.release().catch(() => undefined);
    const hooks = modelsService.config.hooks;
    const out = await this.#planner().plan(
      {
        pack,
        planInput: { ...planInput, features: ['plan'] },
        allowOrigin: servedFromOrigin,
        request,
        ...(options.replan ? { replan: options.replan } : {}),
        ...(options.constrained === false ? { constrained: false } : {}),
        ...(options.maxNewTokens ? { maxNewTokens: options.maxNewTokens } : {}),
        ...(hooks.plannerPanelDelayMs ? { panelDelayMs: hooks.plannerPanelDelayMs } : {}),
      },
      { signal: options.signal, onEvent: options.onEvent },
    );
    return out;
  }

  /** The template's plan, sent as the same events (no model, instant, offline). */
  #template(request: ReturnType<typeof planRequest>, options: PlanCallOptions, note: string): PlanOutcome {
    const emit = (e: PlannerEvent) => options.onEvent?.(e);
    const outline = options.replan?.outline ?? templateOutline(request);
    if (!options.replan) emit({ type: 'outline', outline, source: 'template', note });
    const indices = options.replan ? [options.replan.index] : outline.beats.map((_, i) => i);
    const panels: PlannedPanel[] = [];
    for (const index of indices) {
      if (options.signal?.aborted) break;
      const panel = templatePlannedPanel(request, outline, index);
      panels.push(panel);
      emit({ type: 'panel', panel, note: null });
    }
    return { outline, outlineSource: 'template', panels, notes: [note], stats: null };
  }

  dispose(): void {
    this.#client?.dispose();
    this.#client = null;
  }
}

export const plannerService = new PlannerService();
