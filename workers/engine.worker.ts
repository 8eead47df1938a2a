/**
 * The engine worker: owns the ORT sessions (one WebGPU device, WASM when there is no adapter),
 * runs generations one at a time and stops a job between steps when asked.
 */
import * as Comlink from 'comlink';
import { createBrowserEngine } from '../src/lib/runtime/engine-browser';
import { EngineError, stepDelay, type DiffusionEngine } from '../src/lib/pipeline';
import type { EngineApi, EngineInfo, EngineInit, GenerateJob, GenerateOutput } from './api';
import { configureJudge, disposeJudge, judgeImage } from './judge-host';
import { runEdit, runGenerate } from './consistency-host';
import { runGateJob } from './gate-host';
import { engineGateDeps } from './gate-deps';

let engine: DiffusionEngine | null = null;
let info: EngineInfo | null = null;
const running = new Map<number, AbortController>();
const cancelledEarly = new Set<number>();

const api: EngineApi = {
  async init(options: EngineInit) {
    if (engine && info) return info;
    const made = await createBrowserEngine(options);
    // The judge plans on the backend that really runs (WebGPU may have fallen back to WASM).
    configureJudge({ ...options.planInput, caps: { ...options.planInput.caps, backend: made.info.backend } });
    engine = made.engine;
    engine.setStepHook(stepDelay(options.stepDelayMs ?? 0));
    info = made.info;
    return info;
  },

  async generate(job: GenerateJob, onProgress): Promise<GenerateOutput> {
    if (!engine) throw new EngineError('engine-failed', 'The engine was not started; call init first.');
    const controller = new AbortController();
    if (cancelledEarly.delete(job.jobId)) controller.abort();
    running.set(job.jobId, controller);
    try {
      const { jobId: _jobId, judge, ...request } = job;
      const r = await runGenerate(engine, request, {
        signal: controller.signal,
        onProgress: onProgress ? (e) => void onProgress(e) : undefined,
      });
      if (!r.image) throw new EngineError('engine-failed', 'This browser could not encode the image as PNG.');
      // The picture is judged here, before it leaves the worker.
      const { judged, judgeError } = judge
        ? await judgeImage({ data: r.rgba, width: r.width, height: r.height }, judge, {
            signal: controller.signal,
            onProgress: onProgress ? (e) => void onProgress(e) : undefined,
          }).then(
            (out) => ({ judged: out, judgeError: null }),
            (e: unknown) => {
              // A cancel stops the job; a broken judge model must not lose the picture.
              if (controller.signal.aborted) throw e;
              return { judged: null, judgeError: e instanceof Error ? e.message : String(e) };
            },
          )
        : { judged: null, judgeError: null };
      return {
        image: r.image,
        width: r.width,
        height: r.height,
        seed: r.seed,
        scheduler: r.scheduler,
        timesteps: r.timesteps,
        backend: r.backend,
        encoderRuns: r.encoderRuns,
        encoderHits: r.encoderHits,
        ortRuns: r.ortRuns,
        readbacks: r.readbacks,
        timings: r.timings,
        judged,
        judgeError,
        guided: r.guided ?? null,
      };
    } catch (e) {
      // comlink carries an error's name and message only: the code rides in the name.
      const code = (e as { code?: string }).code ?? 'engine-failed';
      const message = e instanceof Error ? e.message : String(e);
      throw Object.assign(new Error(message), { name: `EngineError:${code}` });
    } finally {
      running.delete(job.jobId);
      (onProgress as unknown as { [Comlink.releaseProxy]?: () => void } | undefined)?.[
        Comlink.releaseProxy
      ]?.();
    }
  },

  async edit(job, onProgress) {
    if (!engine) throw new EngineError('engine-failed', 'The engine was not started; call init first.');
    const controller = new AbortController();
    if (cancelledEarly.delete(job.jobId)) controller.abort();
    running.set(job.jobId, controller);
    try {
      return await runEdit(engine, job, {
        signal: controller.signal,
        onProgress: onProgress ? (e) => void onProgress(e) : undefined,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'engine-failed';
      const message = e instanceof Error ? e.message : String(e);
      throw Object.assign(new Error(message), { name: `EngineError:${code}` });
    } finally {
      running.delete(job.jobId);
      (onProgress as unknown as { [Comlink.releaseProxy]?: () => void } | undefined)?.[
        Comlink.releaseProxy
      ]?.();
    }
  },

  async gate(job, host) {
    if (!engine) throw new EngineError('engine-failed', 'The engine was not started; call init first.');
    const controller = new AbortController();
    if (cancelledEarly.delete(job.jobId)) controller.abort();
    running.set(job.jobId, controller);
    try {
      const { jobId: _jobId, ...rest } = job;
      return await runGateJob(rest, host, engineGateDeps(engine), controller.signal);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'engine-failed';
      const message = e instanceof Error ? e.message : String(e);
      throw Object.assign(new Error(message), { name: `EngineError:${code}` });
    } finally {
      running.delete(job.jobId);
      (host as unknown as { [Comlink.releaseProxy]?: () => void })[Comlink.releaseProxy]?.();
    }
  },

  cancel(jobId: number) {
    const controller = running.get(jobId);
    if (controller) controller.abort();
    else cancelledEarly.add(jobId);
  },

  stats() {
    return engine?.stats() ?? null;
  },

  async release() {
    await disposeJudge();
    await engine?.release();
  },

  async dispose() {
    const e = engine;
    engine = null;
    info = null;
    for (const c of running.values()) c.abort();
    await disposeJudge();
    await e?.dispose();
  },
};

Comlink.expose(api);
