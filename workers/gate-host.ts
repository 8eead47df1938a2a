/**
 * The quality gate inside the engine worker: a queue of panels, each run through `runGate`
 * (generate → judge → decide → act) with ports made of the engine, the judge and the main
 * thread's host. The engine and judge come in as `GateDeps`, so unit tests drive the same code
 * with fakes.
 *
 * Attempt numbering: the gate counts its attempts 0, 1, 2, … per run; a panel that already had
 * attempts (manual ones, an earlier run) gets the gate's attempts from `base` on. Stored ids are
 * `attemptId(panelId, base + i)` and image ids derive from them, so committing an attempt twice
 * (a resumed run re-deciding its last attempt) overwrites instead of duplicating.
 */
import { attemptId, runQueue, type GatePorts, type GenerationPlan, type QueueItem } from '../src/lib/gate';
import { compilePanel, type CompiledChunk } from '../src/lib/prompt';
import { StoryLoomError, type Attempt, type Character, type Panel } from '../src/lib/domain';
import type { MaskedEditRequest, PlainChunk, TextToImageRequest } from '../src/lib/pipeline';
import type { JudgeOutput, JudgeSpec } from './judge-api';
import type { GenerateExtras, RegionSpec } from './consistency-api';
import type { GateHost, GatePanelContext, GatePanelResult, GateRunJob, GateRunOutput } from './gate-api';

export interface Pixels {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface DrawnImage extends Pixels {
  image: Blob | null;
  scheduler?: string;
  timings: Record<string, number>;
}

type Progress = { status: 'load'; component: string } | { status: 'step'; step: number; total: number };
type JudgeStage = { status: 'judge'; stage: string };
interface CallOptions<P> {
  signal: AbortSignal;
  onProgress: (e: P) => void;
}

/** The engine and the judge as the gate uses them (the worker passes the real ones). */
export interface GateDeps {
  generate(request: TextToImageRequest & GenerateExtras, options: CallOptions<Progress>): Promise<DrawnImage>;
  edit(request: MaskedEditRequest, options: CallOptions<Progress>): Promise<DrawnImage>;
  judge(image: Pixels, spec: JudgeSpec, options: CallOptions<JudgeStage>): Promise<JudgeOutput>;
  decode(blob: Blob): Promise<Pixels>;
  now(): number;
}

/** The gate's image: pixels for the judge and a later edit, the PNG for the database. */
interface GateImage extends Pixels {
  blob: Blob;
}

/** Errors after which the device is gone: the service respawns the worker and retries the attempt. */
export const isDeviceLost = (e: unknown): boolean =>
  /device (was |is |has been )?lost|lost the (gpu )?device|GPUDevice.*(lost|destroyed)|DXGI_ERROR_DEVICE_REMOVED/i.test(
    e instanceof Error ? e.message : String(e),
  );

export class GateFatalError extends Error {
  readonly code = 'device-lost';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError:device-lost';
  }
}

const plain = (c: PlainChunk) => ({
  kind: c.kind,
  characterId: c.characterId,
  text: c.text,
  weight: c.weight,
});

const overlaps = (a: RegionSpec['box'], b: RegionSpec['box']) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** Regional guidance for two or more characters: the job's chunks are the scene, each region its character's. */
export function regionsFor(
  panel: Panel,
  chunks: readonly CompiledChunk[],
): Pick<GenerateExtras, 'regions'> & {
  chunks: CompiledChunk[];
} {
  const scene = chunks.filter((c) => c.kind === 'scene');
  if (panel.cast.length < 2) return { chunks: [...chunks], regions: null };
  return {
    chunks: scene,
    regions: panel.cast.map((m) => ({
      characterId: m.characterId,
      box: { ...m.region },
      chunks: [...chunks.filter((c) => c.characterId === m.characterId), ...scene],
    })),
  };
}

/** A local edit repaints with the characters whose region meets the mask, and the scene. */
export function editChunks(
  panel: Panel,
  chunks: readonly CompiledChunk[],
  mask: RegionSpec['box'],
): CompiledChunk[] {
  const inside = new Set(panel.cast.filter((m) => overlaps(m.region, mask)).map((m) => m.characterId));
  const picked = chunks.filter(
    (c) => c.kind === 'scene' || (c.characterId !== null && inside.has(c.characterId)),
  );
  return picked.length ? picked : [...chunks];
}

export async function runGateJob(
  job: GateRunJob,
  host: GateHost,
  deps: GateDeps,
  outerSignal: AbortSignal,
): Promise<GateRunOutput> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (outerSignal.aborted) stop();
  else outerSignal.addEventListener('abort', stop, { once: true });
  const signal = controller.signal;
  const characters = new Map<string, Character>(job.characters.map((c) => [c.id, c]));
  let fatal: unknown = null;
  let pausedMs = 0;
  // Paused time is not spent on the panel: the seconds budget and the timings leave it out.
  const now = () => deps.now() - pausedMs;
  const barrier = async () => {
    pausedMs += Math.max(0, (await host.barrier()) || 0);
  };
  const started = now();
  let workMs = 0;
  const results: GatePanelResult[] = [];

  try {
    for (const item of job.items) {
      const panel = item.panel;
      if (fatal) break;
      if (signal.aborted) {
        results.push(
          await done(host, {
            panelId: panel.id,
            status: 'cancelled',
            bestAttemptId: null,
            attempts: 0,
            error: null,
          }),
        );
        continue;
      }
      let context: GatePanelContext;
      try {
        await barrier();
        context = await host.prepare(panel.id);
      } catch (e) {
        if (signal.aborted) {
          results.push(
            await done(host, {
              panelId: panel.id,
              status: 'cancelled',
              bestAttemptId: null,
              attempts: 0,
              error: null,
            }),
          );
          continue;
        }
        const error = e instanceof Error ? e.message : String(e);
        results.push(
          await done(host, { panelId: panel.id, status: 'failed', bestAttemptId: null, attempts: 0, error }),
        );
        continue;
      }
      const { base } = context;
      const stored = (local: number) => attemptId(panel.id, base + local);
      host.event({ type: 'panel', panelId: panel.id, base, resumed: context.persisted.length });

      // Pixels of this panel's attempts (by gate index), for the judge and for a local edit's base.
      const pixels = new Map<number, Pixels>();
      let current = 0;
      const toLocal = (a: Attempt): Attempt => ({ ...a, index: a.index - base });
      const persisted = context.persisted.map(toLocal);

      const baseImage = async (local: number): Promise<Pixels> => {
        const kept = pixels.get(local);
        if (kept) return kept;
        const imageId = persisted.find((a) => a.index === local)?.imageId;
        const blob = imageId ? await host.image(imageId) : null;
        if (!blob)
          throw new StoryLoomError(
            'not-found',
            `The picture of attempt ${base + local + 1} is no longer stored, so it cannot be edited.`,
          );
        const decoded = await deps.decode(blob);
        pixels.set(local, decoded);
        return decoded;
      };

      const onEngine = (e: Progress) => {
        if (e.status === 'load')
          host.event({ type: 'load', panelId: panel.id, attempt: base + current, component: e.component });
        else
          host.event({
            type: 'step',
            panelId: panel.id,
            attempt: base + current,
            step: e.step,
            total: e.total,
          });
      };

      const draw = async (plan: GenerationPlan): Promise<{ drawn: DrawnImage; chunks: PlainChunk[] }> => {
        const compiled = compilePanel(panel, job.story, characters, plan.compileOptions);
        const common = {
          pack: job.pack,
          overrides: job.overrides,
          negative: compiled.negative,
          seed: plan.seed,
          numInferenceSteps: Math.min(plan.numInferenceSteps, job.maxSteps),
          guidanceScale: plan.guidanceScale,
        };
        if (plan.mode === 'edit' && plan.mask && plan.editAttemptIndex !== null) {
          const chunks = editChunks(panel, compiled.chunks, plan.mask);
          const drawn = await deps.edit(
            {
              ...common,
              base: await baseImage(plan.editAttemptIndex),
              mask: { box: { ...plan.mask } },
              chunks,
              strength: job.editStrength,
              preview: 'none',
            },
            { signal, onProgress: onEngine },
          );
          return { drawn, chunks: [...chunks, compiled.negative] };
        }
        const { chunks, regions } = regionsFor(panel, compiled.chunks);
        const reference =
          plan.mode === 'img2img' && plan.referenceStrength
            ? { strength: plan.referenceStrength, timeOfDay: panel.scene.timeOfDay, figures: context.figures }
            : null;
        const drawn = await deps.generate(
          { ...common, chunks, width: job.width, height: job.height, preview: 'none', regions, reference },
          { signal, onProgress: onEngine },
        );
        return { drawn, chunks: [...compiled.chunks, compiled.negative] };
      };

      const ports: GatePorts<GateImage> = {
        now,
        generate: async (plan, portSignal) => {
          await barrier();
          portSignal.throwIfAborted();
          let r: DrawnImage;
          let chunks: PlainChunk[];
          try {
            ({ drawn: r, chunks } = await draw(plan));
          } catch (e) {
            if (isDeviceLost(e)) {
              fatal = e;
              stop();
            }
            throw e;
          }
          workMs += r.timings['totalMs'] ?? 0;
          if (!r.image)
            throw new StoryLoomError('invalid-input', 'This browser could not encode the picture as PNG.');
          pixels.set(current, { rgba: r.rgba, width: r.width, height: r.height });
          return {
            attemptDraft: {
              chunks: chunks.map(plain),
              parameters: {
                mode: plan.mode,
                width: r.width,
                height: r.height,
                numInferenceSteps: Math.min(plan.numInferenceSteps, job.maxSteps),
                guidanceScale: plan.guidanceScale,
                scheduler: r.scheduler ?? 'EulerDiscreteScheduler',
                strength:
                  plan.mode === 'edit'
                    ? job.editStrength
                    : plan.mode === 'img2img'
                      ? plan.referenceStrength
                      : null,
                packId: job.pack.id,
              },
              imageId: `${stored(current)}:image`,
              timings: r.timings,
            },
            image: { blob: r.image, rgba: r.rgba, width: r.width, height: r.height },
          };
        },
        judge: async (image, _plan, portSignal) => {
          try {
            const out = await deps.judge(
              { rgba: image.rgba, width: image.width, height: image.height },
              context.judge,
              {
                signal: portSignal,
                onProgress: (e) =>
                  host.event({ type: 'judging', panelId: panel.id, attempt: base + current, stage: e.stage }),
              },
            );
            workMs += out.judgeMs;
            return out.report;
          } catch (e) {
            if (isDeviceLost(e)) {
              fatal = e;
              stop();
            }
            throw e;
          }
        },
        persist: async (attempt, image) => {
          const index = base + attempt.index;
          await host.persist({ ...attempt, index, id: attemptId(panel.id, index) }, image?.blob ?? null);
        },
      };

      const queueItem: QueueItem = { panel, initialPlan: item.initialPlan, persisted };
      const [outcome] = await runQueue([queueItem], {
        ports,
        budget: job.budget,
        capabilities: job.capabilities,
        signal,
        onEvent: (e) => {
          current = e.attempt;
          if (e.status === 'attempt')
            host.event({
              type: 'attempt',
              panelId: panel.id,
              attempt: base + e.attempt,
              max: base + e.max,
              mode: e.plan.mode,
            });
          else
            host.event({
              type: 'judged',
              panelId: panel.id,
              attempt: base + e.attempt,
              verdict: e.verdict,
              weightedScore: e.weightedScore,
              action: e.action,
            });
        },
      });
      if (fatal || !outcome) break;
      const best = outcome.best ? stored(outcome.best.index) : null;
      results.push(
        await done(host, {
          panelId: panel.id,
          status: outcome.status,
          bestAttemptId: best,
          attempts: outcome.attempts.length,
          error: outcome.error,
        }),
      );
    }
  } finally {
    outerSignal.removeEventListener('abort', stop);
  }
  if (fatal) {
    const message = fatal instanceof Error ? fatal.message : String(fatal);
    throw new GateFatalError(
      `The GPU device was lost (${message}); the run stopped before the next attempt.`,
      {
        cause: fatal,
      },
    );
  }
  return { runId: job.runId, results, wallMs: now() - started, workMs };
}

async function done(host: GateHost, result: GatePanelResult): Promise<GatePanelResult> {
  await host.panelDone(result);
  return result;
}
