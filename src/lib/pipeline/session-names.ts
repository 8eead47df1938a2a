/**
 * Tolerance for IO names the manifest could not confirm. Some published exports were never opened
 * here (the SD VAE encoder, the TAESD decoder: their names are marked unverified in the default
 * pack). A graph with exactly one input and one output is unambiguous even when its names differ:
 * the session is adapted so that the pipeline keeps using the manifest's names. Anything else that
 * does not match is left for checkSession to refuse with a sentence.
 */
import type { Graph } from '../models/manifest';
import type { EngineSession } from './types';

export function adaptNames(session: EngineSession, graph: Pick<Graph, 'inputs' | 'outputs'>): EngineSession {
  const rename = (want: readonly { name: string }[], have: readonly { name: string }[]) => {
    const only = have[0];
    const wanted = want[0];
    if (want.length !== 1 || have.length !== 1 || !only || !wanted || only.name === wanted.name) return null;
    return { manifest: wanted.name, file: only.name };
  };
  const input = rename(graph.inputs, session.inputs);
  const output = rename(graph.outputs, session.outputs);
  if (!input && !output) return session;
  const note = [
    input && `${input.file} as ${input.manifest}`,
    output && `${output.file} as ${output.manifest}`,
  ]
    .filter(Boolean)
    .join(', ');
  return {
    label: `${session.label} (names adapted: ${note})`,
    inputs: session.inputs.map((m) => (input && m.name === input.file ? { ...m, name: input.manifest } : m)),
    outputs: session.outputs.map((m) =>
      output && m.name === output.file ? { ...m, name: output.manifest } : m,
    ),
    run: async (feeds) => {
      const renamed = input
        ? Object.fromEntries(
            Object.entries(feeds).map(([k, v]) => [k === input.manifest ? input.file : k, v]),
          )
        : feeds;
      const out = await session.run(renamed);
      return output
        ? Object.fromEntries(
            Object.entries(out).map(([k, v]) => [k === output.file ? output.manifest : k, v]),
          )
        : out;
    },
    dispose: () => session.dispose(),
  };
}
