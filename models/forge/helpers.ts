/**
 * Model-independent helper graphs the engine runs between model calls, so
 * latents can stay on the GPU: one Euler step and a latent scale.
 * Their contracts are exported for the engine and the tests.
 */
import type { TensorSpec } from '../../src/lib/models/manifest.ts';
import { GraphBuilder } from './graph.ts';
import type { GraphSpec } from './onnx.ts';

const LATENT = ['batch_size', 'num_channels', 'height', 'width'];

export interface HelperGraph {
  id: string;
  /** Path under public/models/helpers/. */
  file: string;
  summary: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export const HELPER_GRAPHS: readonly HelperGraph[] = [
  {
    id: 'euler_step',
    file: 'euler_step.onnx',
    summary: 'Euler step for epsilon prediction: prev_sample = sample + (sigma_next - sigma) * model_output',
    inputs: [
      { name: 'sample', dtype: 'float32', shape: LATENT },
      { name: 'model_output', dtype: 'float32', shape: LATENT },
      { name: 'sigma', dtype: 'float32', shape: [1] },
      { name: 'sigma_next', dtype: 'float32', shape: [1] },
    ],
    outputs: [{ name: 'prev_sample', dtype: 'float32', shape: LATENT }],
  },
  {
    id: 'latent_scale',
    file: 'latent_scale.onnx',
    summary: 'scaled = latent * scale (VAE scaling factor, its inverse, or 1/sqrt(sigma^2 + 1))',
    inputs: [
      { name: 'latent', dtype: 'float32', shape: LATENT },
      { name: 'scale', dtype: 'float32', shape: [1] },
    ],
    outputs: [{ name: 'scaled', dtype: 'float32', shape: LATENT }],
  },
];

function begin(h: HelperGraph): GraphBuilder {
  const b = new GraphBuilder(h.id, 1);
  for (const t of h.inputs) b.input(t.name, t.dtype, t.shape);
  return b;
}

function end(b: GraphBuilder, h: HelperGraph, out: string): GraphSpec {
  const spec = h.outputs[0];
  if (!spec) throw new Error(`forge: helper ${h.id} has no output`);
  b.output(spec.name, spec.dtype, spec.shape, out);
  return b.build(h.summary);
}

export function helperGraph(h: HelperGraph): GraphSpec {
  const b = begin(h);
  if (h.id === 'euler_step') {
    const dt = b.op('Sub', ['sigma_next', 'sigma']);
    return end(b, h, b.add('sample', b.mul('model_output', dt)));
  }
  if (h.id === 'latent_scale') return end(b, h, b.mul('latent', 'scale'));
  throw new Error(`forge: unknown helper ${h.id}`);
}
