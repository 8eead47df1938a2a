/**
 * The contracts of a pack's diffusion components, read from the manifest (names, dtypes, scaling
 * factor, tokenizer ids, scheduler settings) and checked against each session's own metadata.
 * Nothing about a model is hard-coded here; a pack that does not say what we need is refused
 * with a sentence.
 */
import type { Component, ComponentRole, Graph, Pack, TensorSpec } from '../models/manifest';
import type { SchedulerConfigJson } from '../schedulers';
import { EngineError, type EngineSession } from './types';

/** A component together with the pack that serves its files. */
export interface PackComponent {
  packId: string;
  localRoot: string | null;
  /** A pack of test twins (only such packs may be read from our own origin). */
  test: boolean;
  component: Component;
}

/** A component of `pack`, with what is needed to find its files. */
export function packComponent(pack: Pack, component: Component): PackComponent {
  return { packId: pack.id, localRoot: pack.localRoot ?? null, test: pack.test, component };
}

/** The pack's components by role; an override pack's component replaces the same role. */
export function resolveComponents(pack: Pack, overrides: Pack[] = []): Map<ComponentRole, PackComponent> {
  const out = new Map<ComponentRole, PackComponent>();
  for (const p of [pack, ...overrides]) for (const c of p.components) out.set(c.role, packComponent(p, c));
  return out;
}

const fail = (message: string): never => {
  throw new EngineError('invalid-input', message);
};

export function need(components: Map<ComponentRole, PackComponent>, role: ComponentRole): PackComponent {
  return components.get(role) ?? fail(`The model pack has no ${role} component; it cannot draw images.`);
}

function firstGraph(c: Component): Graph {
  return c.graphs[0] ?? fail(`${c.title} lists no ONNX graph.`);
}

function fixedDim(spec: TensorSpec, axis: number, what: string): number {
  const d = spec.shape[axis];
  return typeof d === 'number'
    ? d
    : fail(`${what} must have a fixed size on axis ${axis} in the pack manifest.`);
}

export interface TextEncoderContract {
  inputName: string;
  inputType: 'int32' | 'int64';
  outputName: string;
  hiddenSize: number;
  maxLength: number;
  padTokenId: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** Component id holding tokenizer.json. */
  tokenizerFrom: string;
}

export function textEncoderContract(c: Component): TextEncoderContract {
  const g = firstGraph(c);
  const input = g.inputs[0] ?? fail(`${c.title} has no inputs.`);
  const output =
    g.outputs.find((o) => o.shape.length === 3) ??
    fail(`${c.title} has no [batch, sequence, hidden] output.`);
  if (input.dtype !== 'int32' && input.dtype !== 'int64')
    fail(`${c.title} takes ${input.dtype} token ids; supported: int32, int64.`);
  const tok = c.tokenizer ?? fail(`${c.title} does not say which tokenizer it uses.`);
  return {
    inputName: input.name,
    inputType: input.dtype as 'int32' | 'int64',
    outputName: output.name,
    hiddenSize: fixedDim(output, 2, `${c.title} output ${output.name}`),
    maxLength: tok.maxLength,
    padTokenId: tok.padTokenId,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
    tokenizerFrom: tok.from,
  };
}

export interface UnetContract {
  sampleName: string;
  timestepName: string;
  timestepType: 'int64' | 'int32' | 'float32';
  /** Rank of the timestep input (0 for a scalar, 1 for [steps]). */
  timestepRank: number;
  statesName: string;
  hiddenSize: number;
  outputName: string;
  latentChannels: number;
  downscale: number;
  /** The sides the UNet takes, in pixels, are multiples of this (a multiple of `downscale`). */
  sizeMultiple: number;
  scalingFactor: number;
  scheduler: NonNullable<Component['scheduler']>;
}

export function unetContract(c: Component): UnetContract {
  const g = firstGraph(c);
  const timestep =
    g.inputs.find((i) => /timestep/i.test(i.name)) ?? fail(`${c.title} has no timestep input.`);
  const states =
    g.inputs.find((i) => i !== timestep && i.shape.length === 3) ??
    fail(`${c.title} has no [batch, sequence, hidden] encoder_hidden_states input.`);
  const sample =
    g.inputs.find((i) => i !== timestep && i.shape.length === 4) ??
    fail(`${c.title} has no 4-D sample input.`);
  const output = g.outputs[0] ?? fail(`${c.title} has no output.`);
  if (!['int64', 'int32', 'float32'].includes(timestep.dtype))
    fail(`${c.title} takes a ${timestep.dtype} timestep; supported: int64, int32, float32.`);
  if (sample.dtype !== 'float32')
    fail(`${c.title} takes ${sample.dtype} latents; this engine runs float32 graphs only.`);
  const latent = c.latent ?? fail(`${c.title} does not give its latent settings (scaling factor, channels).`);
  const scheduler = c.scheduler ?? fail(`${c.title} does not give its scheduler settings.`);
  const sizeMultiple = latent.sizeMultiple ?? latent.downscale;
  if (sizeMultiple % latent.downscale !== 0)
    fail(
      `${c.title}'s size multiple ${sizeMultiple} is not a multiple of its latent factor ${latent.downscale}.`,
    );
  return {
    sampleName: sample.name,
    timestepName: timestep.name,
    timestepType: timestep.dtype as UnetContract['timestepType'],
    timestepRank: timestep.shape.length,
    statesName: states.name,
    hiddenSize: fixedDim(states, 2, `${c.title} input ${states.name}`),
    outputName: output.name,
    latentChannels: latent.latentChannels,
    downscale: latent.downscale,
    sizeMultiple,
    scalingFactor: latent.scalingFactor,
    scheduler,
  };
}

export interface DecoderContract {
  inputName: string;
  outputName: string;
  scalingFactor: number;
}

export function decoderContract(c: Component): DecoderContract {
  const g = firstGraph(c);
  const input = g.inputs[0] ?? fail(`${c.title} has no input.`);
  const output = g.outputs[0] ?? fail(`${c.title} has no output.`);
  const latent = c.latent ?? fail(`${c.title} does not give its scaling factor.`);
  return { inputName: input.name, outputName: output.name, scalingFactor: latent.scalingFactor };
}

/** The session must offer the names the manifest promised, with the promised element types. */
export function checkSession(session: EngineSession, expected: { name: string; type: string }[]): void {
  for (const e of expected) {
    const meta = [...session.inputs, ...session.outputs].find((m) => m.name === e.name);
    if (!meta)
      fail(
        `${session.label} has no input or output named ${e.name} (it has ${[...session.inputs, ...session.outputs].map((m) => m.name).join(', ')}); the pack manifest does not match the file.`,
      );
    else if (meta.type !== e.type)
      fail(`${session.label}: ${e.name} is ${meta.type} in the file but ${e.type} in the pack manifest.`);
  }
}

/** The manifest's scheduler settings as diffusers' scheduler_config.json keys. */
export function schedulerConfig(s: UnetContract['scheduler']): SchedulerConfigJson {
  return {
    _class_name: s.type,
    num_train_timesteps: s.numTrainTimesteps,
    beta_schedule: s.betaSchedule,
    beta_start: s.betaStart,
    beta_end: s.betaEnd,
    prediction_type: s.predictionType,
    timestep_spacing: s.timestepSpacing,
    steps_offset: s.stepsOffset,
  };
}
