/**
 * The one variant decision (plan.ts): which device each feature runs on, which variant of each graph
 * it opens, what is downloaded, and what a widened variant opens.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import {
  deviceFor,
  downloadBytes,
  featureBlocker,
  openedBytes,
  planPack,
  preferredDevices,
  widenedDataName,
  widenedPath,
  type PlanInput,
} from '../../src/lib/models/plan';
import { packFiles } from '../../src/lib/models/pack-files';

const F16: PlanInput = { caps: { backend: 'webgpu', features: ['shader-f16'] } };
const NO_F16: PlanInput = { caps: { backend: 'webgpu', features: [] } };
const WASM: PlanInput = { caps: { backend: 'wasm', features: ['shader-f16'] } };

const graph = (id: string, variants: unknown[]) => ({
  id,
  inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['n'] }],
  variants,
});
const file = (path: string, bytes: number) => ({ path, bytes, bytesExact: true, sha256: null });
const component = (id: string, role: string, files: unknown[], graphs: unknown[], optional = false) => ({
  id,
  role,
  title: id,
  repo: 'a/b',
  revision: 'main',
  revisionKind: 'branch',
  optional,
  files,
  graphs,
  licence: { id: 'MIT', url: 'https://example.com/l' },
  verification: { level: 'verified' },
});

const pack: Pack = validatePack({
  schemaVersion: 1,
  id: 'p',
  title: 'P',
  description: 'd',
  test: false,
  components: [
    component(
      'unet',
      'unet',
      [file('unet/config.json', 10), file('unet/model.onnx', 100)],
      [
        graph('unet', [
          { dtype: 'fp16', file: 'unet/model.onnx', requiresFeatures: ['shader-f16'], devices: ['webgpu'] },
          { dtype: 'fp32', file: 'unet/model.onnx', derive: 'widen-fp16', devices: ['webgpu'] },
        ]),
      ],
    ),
    component(
      'clip',
      'image-text-encoder',
      [file('config.json', 1), file('m_fp16.onnx', 20), file('m.onnx', 40), file('m_quantized.onnx', 10)],
      [
        graph('m', [
          { dtype: 'fp16', file: 'm_fp16.onnx', requiresFeatures: ['shader-f16'], devices: ['webgpu'] },
          { dtype: 'fp32', file: 'm.onnx', devices: ['webgpu'] },
          { dtype: 'q8', file: 'm_quantized.onnx', devices: ['wasm'] },
        ]),
      ],
    ),
    component(
      'llm',
      'planner-llm',
      [file('llm.onnx', 500)],
      [graph('model', [{ dtype: 'q4', file: 'llm.onnx' }])],
      true,
    ),
  ],
});

const variantOf = (plan: ReturnType<typeof planPack>, id: string) =>
  plan.components.find((c) => c.component.id === id)?.graphs[0]?.variant;

describe('the variant decision', () => {
  test('fp16 with shader-f16; widened fp32 on WebGPU without it; the CPU variant on WASM', () => {
    expect(variantOf(planPack(pack, F16), 'unet')?.dtype).toBe('fp16');
    expect(variantOf(planPack(pack, NO_F16), 'unet')).toMatchObject({ dtype: 'fp32', derive: 'widen-fp16' });
    expect(variantOf(planPack(pack, WASM), 'unet')).toBeUndefined();
    expect(variantOf(planPack(pack, F16), 'clip')?.dtype).toBe('fp16');
    expect(variantOf(planPack(pack, NO_F16), 'clip')?.dtype).toBe('fp32');
    // A WASM machine never counts GPU features, whatever the probe listed.
    expect(variantOf(planPack(pack, WASM), 'clip')?.dtype).toBe('q8');
  });

  test('a widened variant downloads its fp16 source and opens the widened copy with named-at-install data', () => {
    const unet = planPack(pack, NO_F16).components.find((c) => c.component.id === 'unet')!;
    expect(unet.download).toEqual(['unet/config.json', 'unet/model.onnx']);
    expect(unet.graphs[0]?.open).toEqual({ path: 'unet/model.widened.onnx', dataFiles: 'named-at-install' });
    expect(widenedPath('unet/model.onnx')).toBe('unet/model.widened.onnx');
    expect(widenedDataName('unet/model.onnx', 2)).toBe('model.widened.onnx_data_2');
    // Widening doubles the weights the session holds.
    expect(openedBytes(unet)).toBe(200);
    const prepared = packFiles(pack, planPack(pack, NO_F16)).filter((f) => f.prepare);
    expect(prepared.map((f) => f.label)).toEqual(['unet/unet/model.onnx']);
  });

  test('what a machine downloads: only the chosen variants, features on demand', () => {
    expect(downloadBytes(planPack(pack, F16))).toBe(110 + 21 + 500);
    expect(downloadBytes(planPack(pack, { ...F16, features: ['draw', 'judge'] }))).toBe(110 + 21);
    expect(downloadBytes(planPack(pack, { ...WASM, features: ['judge'] }))).toBe(11);
    const labels = packFiles(pack, planPack(pack, NO_F16)).map((f) => f.label);
    expect(labels).not.toContain('clip/m_fp16.onnx');
    expect(labels).not.toContain('clip/m_quantized.onnx');
  });

  test('a component that cannot run says why, and drawing is blocked with that sentence', () => {
    const plan = planPack(pack, WASM);
    const unet = plan.components.find((c) => c.component.id === 'unet')!;
    expect(unet.unavailable).toMatch(/cannot run on the CPU \(WASM\).*WebGPU only/);
    expect(unet.download).toEqual([]);
    expect(featureBlocker(pack, plan, 'draw')).toMatch(/no text-encoder|cannot run/);
  });

  test('devices: drawing on the backend, the judge where asked, never WebGPU without an adapter', () => {
    expect(deviceFor('draw', F16)).toBe('webgpu');
    expect(deviceFor('judge', { ...F16, devices: { judge: 'wasm' } })).toBe('wasm');
    expect(deviceFor('judge', { ...WASM, devices: { judge: 'webgpu' } })).toBe('wasm');
    const judgeOnWasm = planPack(pack, { ...F16, devices: { judge: 'wasm' } });
    expect(variantOf(judgeOnWasm, 'clip')?.dtype).toBe('q8');
    expect(variantOf(judgeOnWasm, 'unet')?.dtype).toBe('fp16');
  });

  test('optional components are marked on their files', () => {
    const files = packFiles(pack, planPack(pack, F16));
    expect(files.find((f) => f.componentId === 'llm')?.optional).toBe(true);
    expect(files.find((f) => f.componentId === 'clip')?.optional).toBe(false);
    expect(files.find((f) => f.componentId === 'llm')?.feature).toBe('plan');
  });
});

describe('the default pack on each kind of machine', () => {
  const def = validatePack(
    JSON.parse(readFileSync(join(import.meta.dirname, '../../models/default-pack.json'), 'utf8')),
  );
  const chosen = (input: PlanInput) =>
    Object.fromEntries(
      planPack(def, { ...input, devices: preferredDevices(input.caps) }).components.map((c) => [
        c.component.id,
        c.unavailable
          ? 'unavailable'
          : c.graphs.map((g) => `${g.variant.dtype}${g.variant.derive ? '*' : ''}@${c.device}`).join(' '),
      ]),
    );

  test('WebGPU with shader-f16: fp16 everywhere it is published, the judge on the GPU', () => {
    const c = chosen(F16);
    expect(c.unet).toBe('fp16@webgpu');
    expect(c['image-text-encoder']).toBe('fp16@webgpu fp16@webgpu');
    expect(c['vlm-judge']).toBe('fp16@webgpu fp16@webgpu q4@webgpu q4@webgpu');
    expect(c['planner-llm']).toBe('q4f16@webgpu');
  });

  test('WebGPU without shader-f16: SD widened at install, the judge on the CPU in 8 bits', () => {
    const c = chosen(NO_F16);
    expect(c.unet).toBe('fp32*@webgpu');
    expect(c['text-encoder']).toBe('fp32*@webgpu');
    expect(c['vae-decoder']).toBe('fp32*@webgpu');
    expect(c['image-text-encoder']).toBe('q8@wasm q8@wasm');
    expect(c.detector).toBe('q8@wasm');
    expect(c['planner-llm']).toBe('q4@webgpu');
  });

  test('WASM only: no drawing (the widened UNet does not fit the wasm heap beside anything), the judge runs', () => {
    const plan = planPack(def, WASM);
    expect(featureBlocker(def, plan, 'draw')).toMatch(/cannot run on the CPU \(WASM\)/);
    expect(featureBlocker(def, plan, 'judge')).toBeNull();
  });
});
