/**
 * The engine worker: owns the ORT sessions (one WebGPU device, WASM when there is no adapter), runs
 * attempts — manual ones and the quality gate's — through one attempt flow, and stops a job between
 * steps when asked. Every failure leaves with a code (errors.ts, carried by the wire handler).
 */
import * as Comlink from 'comlink';
import { installWireErrors } from '../src/lib/rpc/wire';
import { loseDeviceForTest, onDeviceLost, settledLoss } from '../src/lib/runtime/device';
import { createBrowserEngine } from '../src/lib/runtime/engine-browser';
import { EngineError, stepDelay, type DiffusionEngine } from '../src/lib/pipeline';
import type { EngineApi, EngineInfo, EngineInit } from './api';
import { runAttempt } from './attempt-flow';
import { markDeviceLost, toFailure } from './errors';
import { engineGateDeps } from './gate-deps';
import { runGateJob } from './gate-host';
import { configureJudge, disposeJudge } from './judge-host';

installWireErrors();
onDeviceLost(markDeviceLost);

let engine: DiffusionEngine | null = null;
let info: EngineInfo | null = null;
let init: EngineInit | null = null;
const running = new Map<number, AbortController>();
const cancelledEarly = new Set<number>();

function ready(): DiffusionEngine {
  if (!engine) throw new EngineError('engine-failed', 'The engine was not started; call init first.');
  return engine;
}

/** One job: its own abort controller (cancel(jobId) aborts it), coded failures, proxies released. */
async function job<T>(
  jobId: number,
  work: (signal: AbortSignal) => Promise<T>,
  proxies: unknown[],
): Promise<T> {
  const controller = new AbortController();
  if (cancelledEarly.delete(jobId)) controller.abort();
  running.set(jobId, controller);
  try {
    return await work(controller.signal);
  } catch (e) {
    // A lost device fails a readback before it says it is lost: let the loss settle, then code it.
    await settledLoss();
    throw toFailure(e);
  } finally {
    running.delete(jobId);
    for (const p of proxies)
      (p as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy]?.();
  }
}

/** Hold this lock until the worker dies (the page waits on it to learn of a death without an event). */
function holdForLife(name: string): Promise<void> {
  return new Promise((held) => {
    void navigator.locks.request(name, () => {
      held();
      return new Promise<never>(() => {});
    });
  });
}

const api: EngineApi = {
  async init(options: EngineInit) {
    if (options.aliveLock) await holdForLife(options.aliveLock);
    if (engine && info) return info;
    const made = await createBrowserEngine(options);
    engine = made.engine;
    engine.setStepHook(stepDelay(options.stepDelayMs ?? 0));
    info = made.info;
    init = options;
    // The judge plans on the backend that really runs (WebGPU may have fallen back to WASM).
    configureJudge({ ...options.planInput, caps: { ...options.planInput.caps, backend: made.info.backend } });
    return info;
  },

  attempt(request, onProgress) {
    const { jobId, ...attemptJob } = request;
    return job(
      jobId,
      (signal) =>
        runAttempt(engineGateDeps(ready()), attemptJob, {
          signal,
          onProgress: onProgress ? (e) => void onProgress(e) : () => undefined,
        }),
      [onProgress],
    );
  },

  gate(request, host) {
    const { jobId, ...gateJob } = request;
    return job(jobId, (signal) => runGateJob(gateJob, host, engineGateDeps(ready()), signal), [host]);
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

  loseDevice() {
    // Test hooks only: a real artist's engine never offers this.
    if (!init?.testDeviceLoss)
      throw new EngineError('invalid-input', 'Losing the GPU device on purpose is a test hook.');
    loseDeviceForTest();
  },

  crash(how) {
    // Test hooks only: a worker that dies on its own, after this call has answered.
    if (!init?.testEngineCrash)
      throw new EngineError('invalid-input', 'Crashing the engine on purpose is a test hook.');
    setTimeout(() => {
      if (how === 'close') self.close();
      else throw new Error('the engine worker crashed (test hook)');
    }, 0);
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
