/**
 * ORT sessions made from stored bytes. Runs are serialised per runtime (one promise chain),
 * as ORT's WebGPU and WASM backends are not re-entrant. Every session has dispose().
 */
import type { Backend } from '../models/variants';
import { configureRuntime, ort } from './ort-env';

import type { SessionInfo, TensorInfo } from '../models/check-protocol';

export type { SessionInfo, TensorInfo };

let chain: Promise<unknown> = Promise.resolve();

/** Queue work behind every earlier run of this runtime. */
export function serial<T>(work: () => Promise<T>): Promise<T> {
  const run = chain.then(work, work);
  chain = run.catch(() => undefined);
  return run;
}

function describe(list: readonly ort.InferenceSession.ValueMetadata[]): TensorInfo[] {
  return list.map((m) =>
    m.isTensor
      ? {
          name: m.name,
          type: m.type,
          shape: [...m.shape].map((d) => (typeof d === 'number' ? d : String(d))),
        }
      : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

export class ModelSession {
  readonly info: SessionInfo;
  #session: ort.InferenceSession | null;

  private constructor(session: ort.InferenceSession, info: SessionInfo) {
    this.#session = session;
    this.info = info;
  }

  /** Create from the bytes of a verified file; throws a sentence naming the file when ORT refuses it. */
  static async create(
    bytes: Uint8Array,
    backend: Backend,
    label: string,
    externalData: { path: string; data: Uint8Array }[] = [],
  ): Promise<ModelSession> {
    configureRuntime();
    const started = performance.now();
    const session = await serial(() =>
      ort.InferenceSession.create(bytes, {
        executionProviders: [backend],
        graphOptimizationLevel: 'all',
        ...(externalData.length ? { externalData } : {}),
      }),
    ).catch((e: unknown) => {
      throw new Error(
        `${label} could not be opened by ONNX Runtime on ${backend}: ${String((e as Error)?.message ?? e)}`,
        {
          cause: e,
        },
      );
    });
    return new ModelSession(session, {
      label,
      backend,
      inputs: describe(session.inputMetadata),
      outputs: describe(session.outputMetadata),
      createMs: performance.now() - started,
    });
  }

  /** One run, queued behind any other run of this runtime. Make new tensors per run. */
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    const session = this.#session;
    if (!session) return Promise.reject(new Error(`${this.info.label}: the session was disposed`));
    return serial(() => session.run(feeds) as Promise<Record<string, ort.Tensor>>);
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    if (session) await serial(() => session.release());
  }
}
