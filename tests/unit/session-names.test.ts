import { describe, expect, test } from 'vitest';
import { adaptNames } from '../../src/lib/pipeline/session-names';
import type { EngineSession, EngineTensor } from '../../src/lib/pipeline/types';

const t = (n: number) => ({ n }) as unknown as EngineTensor;
function fake(inputs: string[], outputs: string[]) {
  const seen: string[][] = [];
  const session: EngineSession = {
    label: 'vae_encoder/model.onnx',
    inputs: inputs.map((name) => ({ name, type: 'float32', shape: [] })),
    outputs: outputs.map((name) => ({ name, type: 'float32', shape: [] })),
    run: async (feeds) => {
      seen.push(Object.keys(feeds));
      return Object.fromEntries(outputs.map((o) => [o, t(1)]));
    },
    dispose: async () => {},
  };
  return { session, seen };
}
const graph = (inputs: string[], outputs: string[]) => ({
  inputs: inputs.map((name) => ({ name, dtype: 'float32' as const, shape: [] })),
  outputs: outputs.map((name) => ({ name, dtype: 'float32' as const, shape: [] })),
});

describe('IO names the manifest could not confirm', () => {
  test('a one-in, one-out graph with other names is adapted to the manifest names', async () => {
    const { session, seen } = fake(['x'], ['latent_dist']);
    const adapted = adaptNames(session, graph(['sample'], ['latent_sample']));
    expect(adapted.inputs.map((m) => m.name)).toEqual(['sample']);
    expect(adapted.label).toMatch(/names adapted: x as sample, latent_dist as latent_sample/);
    const out = await adapted.run({ sample: t(0) });
    expect(seen).toEqual([['x']]);
    expect(Object.keys(out)).toEqual(['latent_sample']);
  });

  test('matching names, or several inputs, are left alone (checkSession refuses a real mismatch)', () => {
    const same = fake(['sample'], ['latent_sample']).session;
    expect(adaptNames(same, graph(['sample'], ['latent_sample']))).toBe(same);
    const many = fake(['a', 'b'], ['y']).session;
    expect(adaptNames(many, graph(['sample', 'timestep'], ['y']))).toBe(many);
  });
});
