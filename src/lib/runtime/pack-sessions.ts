/**
 * Sessions for the verified files of a pack: the bridge between the model manager's storage
 * and ORT. Only verified files (listed in the verified manifest, size and hash re-checked)
 * ever reach InferenceSession.create.
 */
import type { Pack, TensorSpec } from '../models/manifest';
import { loadGraphFiles } from '../models/open';
import { planPack, type ComponentPlan, type GraphPlan, type PlanInput } from '../models/plan';
import type { ModelStorage } from '../models/storage';
import type { Backend } from '../models/variants';
import { ort } from './ort-env';
import type { GraphCheck } from '../models/check-protocol';
import { ModelSession } from './session';

export interface GraphRef {
  plan: ComponentPlan;
  graph: GraphPlan;
}

/** The graphs of a pack as the plan chose them for this machine (components it can run). */
export function packGraphs(pack: Pack, input: PlanInput): GraphRef[] {
  return planPack(pack, input).components.flatMap((plan) =>
    plan.unavailable ? [] : plan.graphs.map((graph) => ({ plan, graph })),
  );
}

/** Open a session for one planned graph of a verified pack (store only). The caller disposes it. */
export async function openPackSession(
  storage: ModelStorage,
  pack: Pack,
  ref: GraphRef,
  backend: Backend,
): Promise<ModelSession> {
  const files = await loadGraphFiles({ storage, origin: null, rehash: true }, pack, ref.plan, ref.graph);
  return ModelSession.create(files.model, backend, files.label, files.externalData);
}

/** Zero-filled inputs from the contract; free dimensions become 1. New tensors on every call. */
export function contractFeeds(inputs: TensorSpec[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of inputs) {
    const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[spec.name] = zeros(spec.dtype, size, dims);
  }
  return feeds;
}

function zeros(dtype: TensorSpec['dtype'], size: number, dims: number[]): ort.Tensor {
  switch (dtype) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(size), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(size), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(size), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(size), dims);
    case 'int8':
      return new ort.Tensor('int8', new Int8Array(size), dims);
    case 'uint8':
      return new ort.Tensor('uint8', new Uint8Array(size), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(size), dims);
  }
}

export type { GraphCheck };

// A failed WebGPU session can leave ORT's WebGPU EP unusable in this worker ("another WebGPU EP
// inference session is being created"): after one failure the remaining graphs go to WASM.
let webgpuFailure: string | null = null;

/**
 * Open every chosen graph of a verified pack in a real session and report its inputs and outputs.
 * Opening is the verdict; one run on zero inputs shaped by the contract (free dimensions = 1) is
 * reported too, but graphs whose free dimensions need real sizes may refuse it.
 */
export async function checkPack(
  storage: ModelStorage,
  pack: Pack,
  input: PlanInput,
  onGraph?: (check: GraphCheck) => void,
): Promise<GraphCheck[]> {
  const results: GraphCheck[] = [];
  let runRefused = false;
  for (const ref of packGraphs(pack, input)) {
    let session: ModelSession | null = null;
    let check: GraphCheck;
    let note = '';
    try {
      const wanted = ref.plan.device;
      const backend = wanted === 'webgpu' && webgpuFailure ? 'wasm' : wanted;
      try {
        session = await openPackSession(storage, pack, ref, backend);
      } catch (e) {
        if (backend !== 'webgpu') throw e;
        webgpuFailure = e instanceof Error ? e.message : String(e);
        session = await openPackSession(storage, pack, ref, 'wasm');
        note = ` WebGPU refused it (${webgpuFailure}); it opened on WASM.`;
      }
      if (wanted === 'webgpu' && backend === 'wasm' && !note)
        note = ' Opened on WASM after an earlier WebGPU failure.';
      let run: GraphCheck['run'] = null;
      let runNote = '';
      // A run that ORT's WebGPU EP refuses can leave it stuck for the next session: after one
      // refusal, later graphs are only opened, not run.
      if (runRefused && session.info.backend === 'webgpu')
        runNote = ' Not run (an earlier placeholder run was refused).';
      else
        try {
          const started = performance.now();
          const outputs = await session.run(contractFeeds(ref.graph.graph.inputs));
          const ms = performance.now() - started;
          const described = Object.entries(outputs).map(([name, t]) => ({
            name,
            dims: [...t.dims],
            finite: Array.from(t.data as ArrayLike<number | bigint>).every(
              (v) => typeof v === 'bigint' || Number.isFinite(v),
            ),
          }));
          for (const t of Object.values(outputs)) t.dispose();
          run = { ms, outputs: described };
          runNote = described.every((o) => o.finite)
            ? ` A run on zero inputs took ${ms.toFixed(0)} ms.`
            : ' A run on zero inputs gave non-finite values.';
        } catch (e) {
          runRefused = true;
          runNote = ` A run on placeholder inputs was refused (${firstLine(e)}); real inputs are needed.`;
        }
      check = {
        label: `${ref.plan.component.id}/${ref.graph.open.path}`,
        ok: true,
        message: `${ref.plan.component.id}/${ref.graph.open.path} opened on ${session.info.backend}.${note}${runNote}`,
        session: session.info,
        run,
      };
    } catch (e) {
      check = {
        label: `${ref.plan.component.id}/${ref.graph.open.path}`,
        ok: false,
        message: firstLine(e),
        session: session?.info ?? null,
        run: null,
      };
    } finally {
      await session?.dispose();
    }
    results.push(check);
    onGraph?.(check);
  }
  return results;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]?.slice(0, 300) ?? text;
}
