/**
 * What is resident when, for the real default pack, from its manifest's sizes (memory.ts): the
 * drawing and judging models stay loaded together during a run; without shader-f16 the judge moves
 * to the CPU so that the widened drawing models keep the GPU; planning has its device to itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { validatePack } from '../../src/lib/models/manifest';
import { memoryReport, WASM_HEAP_BYTES, type StageMemory } from '../../src/lib/models/memory';
import { preferredDevices, type PlanCaps } from '../../src/lib/models/plan';

const pack = validatePack(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../models/default-pack.json'), 'utf8')),
);
const GB = 1e9;
const report = (caps: PlanCaps) => memoryReport(pack, { caps, devices: preferredDevices(caps) });
const stage = (r: ReturnType<typeof report>, s: StageMemory['stage']) => r.stages.find((x) => x.stage === s)!;

describe('resident model bytes of the default pack', () => {
  test('WebGPU with shader-f16: fp16 draw and judge models share the GPU (about 3.6 GB), nothing in the heap', () => {
    const r = report({ backend: 'webgpu', features: ['shader-f16'] });
    const draw = stage(r, 'draw');
    expect(draw.gpuBytes).toBeGreaterThan(2.4 * GB);
    expect(draw.gpuBytes).toBeLessThan(2.8 * GB);
    expect(draw.peakGpuBytes).toBe(draw.gpuBytes + stage(r, 'judge').gpuBytes);
    expect(draw.peakGpuBytes).toBeLessThan(4 * GB);
    expect(draw.peakHeapBytes).toBe(0);
    expect(stage(r, 'plan').peakGpuBytes).toBe(stage(r, 'plan').gpuBytes);
    expect(r.problems).toEqual([]);
  });

  test('WebGPU without shader-f16: the widened draw models take the GPU (twice the fp16 bytes), the judge the heap', () => {
    const f16 = stage(report({ backend: 'webgpu', features: ['shader-f16'] }), 'draw');
    const r = report({ backend: 'webgpu', features: [] });
    const draw = stage(r, 'draw');
    const judge = stage(r, 'judge');
    // The TAESD preview decoder is published in fp32 already: everything else doubles.
    expect(draw.gpuBytes).toBeGreaterThan(1.95 * f16.gpuBytes);
    expect(judge.gpuBytes).toBe(0);
    expect(judge.components.every((c) => c.device === 'wasm')).toBe(true);
    expect(draw.peakGpuBytes).toBe(draw.gpuBytes);
    expect(draw.peakHeapBytes).toBe(judge.heapBytes);
    expect(judge.heapBytes).toBeLessThan(WASM_HEAP_BYTES / 2);
    // The largest session to open is the widened UNet: its data files pass through memory at once.
    expect(draw.openingBytes).toBeGreaterThan(3.4 * GB);
    expect(r.problems).toEqual([]);
  });

  test('WASM only: nothing draws; the judge and the planner fit the heap', () => {
    const r = report({ backend: 'wasm', features: [] });
    expect(stage(r, 'draw').components.map((c) => c.id)).toEqual(['preview-decoder']);
    expect(stage(r, 'judge').heapBytes).toBeLessThan(WASM_HEAP_BYTES / 2);
    expect(stage(r, 'plan').peakHeapBytes).toBeLessThan(WASM_HEAP_BYTES / 2);
    expect(r.problems).toEqual([]);
  });
});
