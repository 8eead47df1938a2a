/**
 * Helper graphs of the diffusion engine: the scheduler arithmetic, guidance, the weighted
 * concatenation of conditioning chunks and the latent-to-RGB preview, as tiny ONNX graphs so
 * latents, noise predictions and encoder states never leave the GPU between model calls.
 * Per-step numbers (a, b, c, g, weights) are float32 inputs of shape [1], never constants.
 *
 * Written into public/models/helpers/ by the forge (models/forge/index.ts calls writeEngineHelpers).
 * The contracts below are the ones src/lib/pipeline/gpu-ops.ts feeds.
 */
import type { TensorSpec } from '../../src/lib/models/manifest.ts';
import { GraphBuilder } from './graph.ts';
import { encodeModel, type GraphSpec } from './onnx.ts';

const LATENT = ['batch_size', 'num_channels', 'height', 'width'];
const STATES = ['batch_size', 'sequence_length', 'hidden_size'];
const SCALAR = [1];

/**
 * Latent-to-RGB factors for the SD 2.x latent space (the community's linear fit, as used by
 * ComfyUI's `latent_rgb_factors` for SD1.5/2.x): rgb = latent · F + bias. Rows are latent channels.
 */
export const LATENT_RGB_FACTORS = [
  [0.3512, 0.2297, 0.3227],
  [0.3251, 0.3287, 0.2275],
  [-0.2259, 0.2052, 0.2138],
  [-0.4075, -0.1743, -0.2467],
];
export const LATENT_RGB_BIAS = [0.1, 0.05, 0.0];

export interface EngineHelper {
  id: string;
  file: string;
  summary: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  build(b: GraphBuilder): string;
}

const f32 = (name: string, shape: (string | number)[]): TensorSpec => ({ name, dtype: 'float32', shape });

export const ENGINE_HELPERS: readonly EngineHelper[] = [
  {
    id: 'engine_scale',
    file: 'engine_scale.onnx',
    summary: 'y = s * x on latents (UNet input scaling, VAE scaling factor)',
    inputs: [f32('x', LATENT), f32('s', SCALAR)],
    outputs: [f32('y', LATENT)],
    build: (b) => b.mul('x', 's'),
  },
  {
    id: 'engine_affine2',
    file: 'engine_affine2.onnx',
    summary: 'y = a * x + b * m (deterministic scheduler step, predicted x0)',
    inputs: [f32('x', LATENT), f32('m', LATENT), f32('a', SCALAR), f32('b', SCALAR)],
    outputs: [f32('y', LATENT)],
    build: (b) => b.add(b.mul('x', 'a'), b.mul('m', 'b')),
  },
  {
    id: 'engine_affine3',
    file: 'engine_affine3.onnx',
    summary: 'y = a * x + b * m + c * z (stochastic scheduler step)',
    inputs: [
      f32('x', LATENT),
      f32('m', LATENT),
      f32('z', LATENT),
      f32('a', SCALAR),
      f32('b', SCALAR),
      f32('c', SCALAR),
    ],
    outputs: [f32('y', LATENT)],
    build: (b) => b.add(b.add(b.mul('x', 'a'), b.mul('m', 'b')), b.mul('z', 'c')),
  },
  {
    id: 'engine_cfg',
    file: 'engine_cfg.onnx',
    summary: 'y = u + g * (c - u) (classifier-free guidance)',
    inputs: [f32('u', LATENT), f32('c', LATENT), f32('g', SCALAR)],
    outputs: [f32('y', LATENT)],
    build: (b) => b.add('u', b.mul(b.op('Sub', ['c', 'u']), 'g')),
  },
  {
    id: 'engine_concat',
    file: 'engine_concat.onnx',
    summary: 'y = concat(wa * a, wb * b) along the sequence axis (conditioning chunks)',
    inputs: [f32('a', STATES), f32('b', STATES), f32('wa', SCALAR), f32('wb', SCALAR)],
    outputs: [f32('y', ['batch_size', 'total_length', 'hidden_size'])],
    build: (b) => b.op('Concat', [b.mul('a', 'wa'), b.mul('b', 'wb')], { axis: 1 }),
  },
  {
    id: 'engine_weight',
    file: 'engine_weight.onnx',
    summary: 'y = w * x on encoder states (a single weighted chunk)',
    inputs: [f32('x', STATES), f32('w', SCALAR)],
    outputs: [f32('y', STATES)],
    build: (b) => b.mul('x', 'w'),
  },
  {
    id: 'engine_pin',
    file: 'engine_pin.onnx',
    summary:
      'y = m * x + (1 - m) * (sa * o + sb * z): keep latents outside the edit mask on the original, re-noised to the current level',
    inputs: [
      f32('x', LATENT),
      f32('m', ['mask_batch', 1, 'height', 'width']),
      f32('o', LATENT),
      f32('z', LATENT),
      f32('sa', SCALAR),
      f32('sb', SCALAR),
    ],
    outputs: [f32('y', LATENT)],
    build: (b) => {
      const pinned = b.add(b.mul('o', 'sa'), b.mul('z', 'sb'));
      return b.add(pinned, b.mul('m', b.op('Sub', ['x', pinned])));
    },
  },
  {
    id: 'engine_region_sum',
    file: 'engine_region_sum.onnx',
    summary: 'y = sum over the batch of x * w: blend per-region noise predictions with soft masks',
    inputs: [
      f32('x', ['regions', 'num_channels', 'height', 'width']),
      f32('w', ['regions', 1, 'height', 'width']),
    ],
    outputs: [f32('y', [1, 'num_channels', 'height', 'width'])],
    build: (b) => b.sum(b.mul('x', 'w'), [0], true),
  },
  {
    id: 'engine_expand',
    file: 'engine_expand.onnx',
    summary: 'y = x repeated along the batch axis to `shape` (one latent fed to a batch of regions)',
    inputs: [f32('x', LATENT), { name: 'shape', dtype: 'int64', shape: [4] }],
    outputs: [f32('y', ['regions', 'num_channels', 'height', 'width'])],
    build: (b) => b.op('Expand', ['x', 'shape']),
  },
  {
    id: 'engine_cat_states',
    file: 'engine_cat_states.onnx',
    summary: 'y = concat(a, b) along the batch axis (encoder states of a batch of regions)',
    inputs: [
      f32('a', ['batch_a', 'sequence_length', 'hidden_size']),
      f32('b', ['batch_b', 'sequence_length', 'hidden_size']),
    ],
    outputs: [f32('y', ['batch_size', 'sequence_length', 'hidden_size'])],
    build: (b) => b.op('Concat', ['a', 'b'], { axis: 0 }),
  },
  {
    id: 'engine_cat_latents',
    file: 'engine_cat_latents.onnx',
    summary: 'y = concat(a, b) along the batch axis (noise predictions of regions run one by one)',
    inputs: [
      f32('a', ['batch_a', 'num_channels', 'height', 'width']),
      f32('b', ['batch_b', 'num_channels', 'height', 'width']),
    ],
    outputs: [f32('y', ['batch_size', 'num_channels', 'height', 'width'])],
    build: (b) => b.op('Concat', ['a', 'b'], { axis: 0 }),
  },
  {
    id: 'engine_latent_rgb',
    file: 'engine_latent_rgb.onnx',
    summary: 'rgb = 1x1 conv of the latents with the SD latent-to-RGB factors (a cheap live preview)',
    inputs: [f32('latent', LATENT)],
    outputs: [f32('rgb', ['batch_size', 3, 'height', 'width'])],
    build: (b) => {
      const w = b.floats(
        [3, 4, 1, 1],
        [0, 1, 2].flatMap((o) => LATENT_RGB_FACTORS.map((row) => row[o] ?? 0)),
      );
      const bias = b.floats([3], LATENT_RGB_BIAS);
      return b.op('Conv', ['latent', w, bias], { kernel_shape: [1, 1] });
    },
  },
];

export function engineHelperGraph(h: EngineHelper): GraphSpec {
  const b = new GraphBuilder(h.id, 1);
  for (const t of h.inputs) b.input(t.name, t.dtype, t.shape);
  const out = h.build(b);
  const spec = h.outputs[0];
  if (!spec) throw new Error(`forge: engine helper ${h.id} has no output`);
  b.output(spec.name, spec.dtype, spec.shape, out);
  return b.build(h.summary);
}

/** Called by the forge with its atomic writer; paths are relative to public/. */
export async function writeEngineHelpers(
  emit: (path: string, data: Uint8Array) => Promise<void>,
): Promise<void> {
  for (const h of ENGINE_HELPERS)
    await emit(`models/helpers/${h.file}`, encodeModel(engineHelperGraph(h), h.summary));
}
