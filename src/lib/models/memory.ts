/**
 * What is resident when, from the manifest's sizes and the plan. Three stages use models: draw
 * (text encoder, UNet, VAE decoder and encoder, preview decoder), judge (detector, CLIP, VLM) and
 * plan (the LLM). During a run the draw and judge sessions stay loaded together (panels alternate
 * between them); planning is rare, so it gets its device to itself: the other stages' sessions on
 * that device are released first (issue 15).
 *
 * Where the bytes live: on WebGPU the weights sit in GPU buffers. A session's files pass through
 * memory while it opens — a single-file model is copied into the wasm heap and freed after
 * creation (onnxruntime-web's wasm-core-impl `createSession`), external-data files are held as JS
 * buffers and uploaded tensor by tensor straight into GPU buffers (webgpu/external_data_loader.cc).
 * On WASM the weights live in the one 4 GB wasm heap that every session of a worker shares.
 */
import type { Device, Feature, Pack } from './manifest';
import { openedBytes, planPack, type ComponentPlan, type PlanInput } from './plan';

export type Stage = 'draw' | 'judge' | 'plan';

const STAGE_OF: Record<Feature, Stage> = {
  draw: 'draw',
  edit: 'draw',
  preview: 'draw',
  judge: 'judge',
  plan: 'plan',
};

/** onnxruntime-web's wasm32 heap: every session of one worker shares it. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

export interface StageMemory {
  stage: Stage;
  /** The stage's own sessions, by device. */
  gpuBytes: number;
  heapBytes: number;
  /** Resident while this stage runs (its own plus what stays loaded beside it), by device. */
  peakGpuBytes: number;
  peakHeapBytes: number;
  /** The largest amount of one session's files held in memory while it opens. */
  openingBytes: number;
  components: { id: string; device: Device; bytes: number }[];
}

export interface MemoryReport {
  stages: StageMemory[];
  /** Sentences for stages that cannot fit (e.g. the wasm heap). */
  problems: string[];
}

function sum(list: ComponentPlan[], device: Device): number {
  return list.filter((c) => c.device === device).reduce((s, c) => s + openedBytes(c), 0);
}

export function memoryReport(pack: Pack, input: Omit<PlanInput, 'features'>): MemoryReport {
  const plan = planPack(pack, { ...input, features: ['draw', 'edit', 'preview', 'judge', 'plan'] });
  const usable = plan.components.filter((c) => !c.unavailable);
  const by = (stage: Stage) => usable.filter((c) => STAGE_OF[c.feature] === stage);
  const problems: string[] = [];
  const stages = (['draw', 'judge', 'plan'] as const).map((stage): StageMemory => {
    const own = by(stage);
    // Draw and judge stay resident together; planning has its device to itself.
    const beside = stage === 'plan' ? [] : by(stage === 'draw' ? 'judge' : 'draw');
    const all = [...own, ...beside];
    const report: StageMemory = {
      stage,
      gpuBytes: sum(own, 'webgpu'),
      heapBytes: sum(own, 'wasm'),
      peakGpuBytes: sum(all, 'webgpu'),
      peakHeapBytes: sum(all, 'wasm'),
      openingBytes: Math.max(0, ...own.map((c) => openedBytes(c))),
      components: own.map((c) => ({ id: c.component.id, device: c.device, bytes: openedBytes(c) })),
    };
    if (report.peakHeapBytes > WASM_HEAP_BYTES)
      problems.push(
        `The ${stage} stage needs ${(report.peakHeapBytes / 1024 ** 3).toFixed(1)} GiB of the 4 GiB wasm heap.`,
      );
    return report;
  });
  return { stages, problems };
}
