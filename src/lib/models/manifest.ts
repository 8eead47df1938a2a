/**
 * Model pack manifests: what a pack is made of, where every file comes from and
 * what each ONNX graph expects. The download manager, the runtime and the forge
 * all read packs through this module; keep its exported names stable.
 *
 * A file's `path` is its path inside the Hub repository, and also its path under
 * the pack's local folder, so one rule gives the download URL
 * (`https://huggingface.co/{repo}/resolve/{revision}/{path}`) and another the
 * served copy (`/{localRoot}/{component.id}/{path}`).
 */
import { z } from '../domain/zod';
import { StoryLoomError } from '../domain/errors.ts';

export const MANIFEST_SCHEMA_VERSION = 1;
export const HUB_ORIGIN = 'https://huggingface.co';

export const COMPONENT_ROLES = [
  'text-encoder',
  'unet',
  'vae-decoder',
  'vae-encoder',
  'preview-decoder',
  'detector',
  'image-text-encoder',
  'vlm-judge',
  'planner-llm',
] as const;
export const ComponentRole = z.enum(COMPONENT_ROLES);
export type ComponentRole = z.infer<typeof ComponentRole>;

/** Element types as onnxruntime-web names them (`Tensor.type`). */
export const TensorDtype = z.enum(['float32', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool']);
export type TensorDtype = z.infer<typeof TensorDtype>;

/** A fixed size, or the name of a free (symbolic) dimension. */
export const Dim = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_.+\-*/ ]*$/, 'a free dimension is a name such as "batch_size"'),
]);
export type Dim = z.infer<typeof Dim>;

export const TensorSpec = z.object({ name: z.string().min(1), dtype: TensorDtype, shape: z.array(Dim) });
export type TensorSpec = z.infer<typeof TensorSpec>;

/** Weight precisions a graph is published in. */
export const WeightDtype = z.enum(['fp32', 'fp16', 'q4', 'q4f16', 'q8', 'int8', 'uint8']);
export type WeightDtype = z.infer<typeof WeightDtype>;

/** WebGPU adapter features a variant needs (fp16 needs `shader-f16`). */
export const AdapterFeature = z.enum(['shader-f16']);
export type AdapterFeature = z.infer<typeof AdapterFeature>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex digits');
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), {
    message: 'a file path is relative to the repository root, with no "." or ".." parts',
  });

export const ModelFile = z.object({
  path: relativePath,
  bytes: z.number().int().positive(),
  /** False when the size is an estimate (progress only; trust Content-Length). */
  bytesExact: z.boolean(),
  /** Published by the Hub for LFS files; null when unknown. */
  sha256: sha256.nullable(),
});
export type ModelFile = z.infer<typeof ModelFile>;

/** Where a graph can run: ORT's WebGPU EP, or its WASM (CPU) EP. */
export const Device = z.enum(['webgpu', 'wasm']);
export type Device = z.infer<typeof Device>;

/**
 * How a variant comes to be on this machine: downloaded as it is, or made once at install from the
 * downloaded file (`widen-fp16`: the fp16 weights widened to fp32 with external data, for WebGPU
 * adapters without shader-f16; see widen.ts).
 */
export const Derivation = z.enum(['widen-fp16']);
export type Derivation = z.infer<typeof Derivation>;

export const Variant = z.object({
  dtype: WeightDtype,
  /** Path of the .onnx file; must be one of the component's files. For a derived variant: its source. */
  file: relativePath,
  /** External-data files that travel with it (`*.onnx_data`). */
  dataFiles: z.array(relativePath).default([]),
  requiresFeatures: z.array(AdapterFeature).default([]),
  /** The devices this variant may run on (default both). */
  devices: z.array(Device).min(1).default(['webgpu', 'wasm']),
  /** Made at install from `file` rather than downloaded as it is. */
  derive: Derivation.optional(),
});
export type Variant = z.infer<typeof Variant>;

/** One ONNX graph of a component; its variants share this contract. */
export const Graph = z.object({
  id: z.string().regex(/^[a-z0-9_-]+$/),
  inputs: z.array(TensorSpec).min(1),
  outputs: z.array(TensorSpec).min(1),
  /** In preference order; the first whose features the adapter has wins. */
  variants: z.array(Variant).min(1),
});
export type Graph = z.infer<typeof Graph>;

export const SchedulerSettings = z.object({
  type: z.enum(['EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler']),
  numTrainTimesteps: z.number().int().positive(),
  betaSchedule: z.enum(['scaled_linear', 'linear']),
  betaStart: z.number().positive(),
  betaEnd: z.number().positive(),
  predictionType: z.enum(['epsilon', 'v_prediction', 'sample']),
  timestepSpacing: z.enum(['trailing', 'leading', 'linspace']),
  stepsOffset: z.number().int().nonnegative(),
  defaultSteps: z.number().int().positive(),
  maxSteps: z.number().int().positive(),
  guidanceScale: z.number().nonnegative(),
  /** Native resolution in pixels; width and height must be multiples of 8. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type SchedulerSettings = z.infer<typeof SchedulerSettings>;

export const LatentSettings = z.object({
  scalingFactor: z.number().positive(),
  latentChannels: z.number().int().positive(),
  /** Pixels per latent cell along each axis. */
  downscale: z.number().int().positive(),
  /**
   * The UNet's sides, in pixels, must be multiples of this (a multiple of `downscale`; default
   * `downscale`). An SD UNet halves its latents once per downsampler and concatenates them with
   * the upsampled ones, so its latent sides must be multiples of 2^downsamplers.
   */
  sizeMultiple: z.number().int().positive().optional(),
});
export type LatentSettings = z.infer<typeof LatentSettings>;

export const TokenizerFacts = z.object({
  /** Id of the component in this pack whose files hold tokenizer.json and tokenizer_config.json. */
  from: z.string().min(1),
  maxLength: z.number().int().positive(),
  padTokenId: z.number().int().nonnegative(),
  bosTokenId: z.number().int().nonnegative().nullable(),
  eosTokenId: z.number().int().nonnegative().nullable(),
});
export type TokenizerFacts = z.infer<typeof TokenizerFacts>;

export const ImageFacts = z.object({
  size: z.number().int().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number(), z.number(), z.number()]),
});
export type ImageFacts = z.infer<typeof ImageFacts>;

export const Licence = z.object({ id: z.string().min(1), url: z.url(), note: z.string().optional() });
export type Licence = z.infer<typeof Licence>;

export const Verification = z.object({
  level: z.enum(['verified', 'partial', 'inferred']),
  sources: z.array(z.string()).default([]),
  notes: z.string().default(''),
});
export type Verification = z.infer<typeof Verification>;

/**
 * What each field rests on: a key is a field path inside the component ("repo",
 * "files[unet/model.onnx].bytes", "graphs[unet].inputs[sample]", "graphs[unet].variants[fp32]",
 * "scheduler.timestepSpacing"; a key covers every field below it) and a value is the source it was
 * read from, or "unverified: why" for what could not be confirmed. The syntax and the check that
 * every fact is covered live in evidence.ts.
 */
export const Evidence = z.record(z.string().min(1), z.string().min(1));
export type Evidence = z.infer<typeof Evidence>;

/** What the artist uses a component for; installs and memory plans are made per feature. */
export const FEATURES = ['draw', 'edit', 'preview', 'judge', 'plan'] as const;
export const Feature = z.enum(FEATURES);
export type Feature = z.infer<typeof Feature>;

export const ROLE_FEATURE: Record<ComponentRole, Feature> = {
  'text-encoder': 'draw',
  unet: 'draw',
  'vae-decoder': 'draw',
  'vae-encoder': 'edit',
  'preview-decoder': 'preview',
  detector: 'judge',
  'image-text-encoder': 'judge',
  'vlm-judge': 'judge',
  'planner-llm': 'plan',
};

export const Component = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a component id is kebab-case'),
  role: ComponentRole,
  title: z.string().min(1),
  repo: z.string().regex(/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/, 'a repo is "owner/name"'),
  revision: z.string().min(1),
  revisionKind: z.enum(['commit', 'branch']),
  /** Optional components may be skipped; the studio runs without them. */
  optional: z.boolean().default(false),
  /** Every file to fetch: graphs of every variant plus config/tokenizer files. */
  files: z.array(ModelFile).min(1),
  graphs: z.array(Graph).default([]),
  tokenizer: TokenizerFacts.optional(),
  scheduler: SchedulerSettings.optional(),
  latent: LatentSettings.optional(),
  image: ImageFacts.optional(),
  licence: Licence,
  verification: Verification,
  evidence: Evidence.default({}),
});
export type Component = z.infer<typeof Component>;

export const Pack = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    title: z.string().min(1),
    description: z.string().min(1),
    /** True for packs of test twins that draw noise, never pictures. */
    test: z.boolean(),
    /** Folder under public/ that serves the files, e.g. "models/tiny". */
    localRoot: z.string().optional(),
    components: z.array(Component).min(1),
  })
  .superRefine((pack, ctx) => {
    const ids = new Set<string>();
    for (const [ci, c] of pack.components.entries()) {
      if (ids.has(c.id))
        ctx.addIssue({ code: 'custom', path: ['components', ci, 'id'], message: `duplicate id ${c.id}` });
      ids.add(c.id);
      if (c.revisionKind === 'commit' && !/^[0-9a-f]{40}$/.test(c.revision))
        ctx.addIssue({
          code: 'custom',
          path: ['components', ci, 'revision'],
          message: 'a commit is 40 hex digits',
        });
      const paths = new Set(c.files.map((f) => f.path));
      for (const [gi, g] of c.graphs.entries())
        for (const [vi, v] of g.variants.entries())
          for (const p of [v.file, ...v.dataFiles])
            if (!paths.has(p))
              ctx.addIssue({
                code: 'custom',
                path: ['components', ci, 'graphs', gi, 'variants', vi],
                message: `${p} is not among the files of ${c.id}`,
              });
    }
    for (const [ci, c] of pack.components.entries()) {
      if (!c.tokenizer) continue;
      const source = pack.components.find((s) => s.id === c.tokenizer?.from);
      if (!source?.files.some((f) => f.path.endsWith('tokenizer.json')))
        ctx.addIssue({
          code: 'custom',
          path: ['components', ci, 'tokenizer', 'from'],
          message: `no component "${c.tokenizer.from}" with a tokenizer.json`,
        });
    }
    if (pack.test && !/noise/i.test(pack.description))
      ctx.addIssue({
        code: 'custom',
        path: ['description'],
        message: 'a test pack says that it draws noise',
      });
  });
export type Pack = z.infer<typeof Pack>;

/** Anything with a repo and revision: a component. */
export type FileSource = Pick<Component, 'repo' | 'revision'>;

/** The Hub URL of one file of a component. */
export function fileUrl(component: FileSource, file: Pick<ModelFile, 'path'>): string {
  const path = file.path.split('/').map(encodeURIComponent).join('/');
  return `${HUB_ORIGIN}/${component.repo}/resolve/${encodeURIComponent(component.revision)}/${path}`;
}

/** Where a pack with a localRoot serves a file from our own origin (tests, imports). */
export function localFileUrl(
  pack: Pick<Pack, 'localRoot'>,
  component: Pick<Component, 'id'>,
  file: Pick<ModelFile, 'path'>,
) {
  if (!pack.localRoot)
    throw new StoryLoomError(
      'invalid-input',
      'This pack has no local folder; download it from the Hub instead.',
    );
  return `/${pack.localRoot}/${component.id}/${file.path}`;
}

export function findComponent(pack: Pack, role: ComponentRole): Component | undefined {
  return pack.components.find((c) => c.role === role);
}

function describe(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : 'the pack';
  return `${where}: ${issue.message}`;
}

/** Parses and checks a pack; throws a StoryLoomError with a sentence on the first problems. */
export function validatePack(json: unknown): Pack {
  const result = Pack.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const shown = issues.slice(0, 3).map(describe).join('; ');
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  throw new StoryLoomError('invalid-input', `This model pack is not valid: ${shown}${more}.`, {
    cause: result.error,
  });
}

/** Fetches and validates a pack manifest (e.g. `/models/tiny-pack.json` or an imported file's URL). */
export async function loadPack(url: string, fetchFn: typeof fetch = fetch): Promise<Pack> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (e) {
    throw new StoryLoomError(
      'not-found',
      `The model pack at ${url} could not be fetched; check the connection.`,
      {
        cause: e,
      },
    );
  }
  if (!response.ok)
    throw new StoryLoomError(
      'not-found',
      `The model pack at ${url} was not found (HTTP ${response.status}).`,
    );
  let json: unknown;
  try {
    json = await response.json();
  } catch (e) {
    throw new StoryLoomError('invalid-input', `The model pack at ${url} is not JSON.`, { cause: e });
  }
  return validatePack(json);
}
