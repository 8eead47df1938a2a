/**
 * Messages between the models service and the runtime's pack-check worker (plain data only).
 * The types live here, not in runtime/, so the service can use them without importing the runtime.
 */
import type { Pack } from './manifest';
import type { PlanInput } from './plan';
import type { Backend } from './variants';

export interface RuntimeInfo {
  ortVersion: string;
  wasmUrl: string;
  numThreads: number;
  /** transformers.js drives the very same ORT env (one copy of the runtime). */
  sharedWithTransformers: boolean;
}

export interface TensorInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface SessionInfo {
  label: string;
  backend: Backend;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  createMs: number;
}

export interface GraphCheck {
  label: string;
  ok: boolean;
  message: string;
  session: SessionInfo | null;
  run: { ms: number; outputs: { name: string; dims: number[]; finite: boolean }[] } | null;
}

export interface CheckRequest {
  id: number;
  pack: Pack;
  /** The page's plan input: the check opens exactly the graphs the plan chose. */
  planInput: PlanInput;
  storage: 'opfs' | 'cache';
}

export type CheckReply =
  | { id: number; type: 'runtime'; runtime: RuntimeInfo }
  | { id: number; type: 'graph'; check: GraphCheck }
  | { id: number; type: 'done'; checks: GraphCheck[] }
  | { id: number; type: 'error'; message: string };
