/**
 * The engine and the judge as the attempt flow uses them (the gate's attempts and manual ones):
 * the real ones in the worker, fakes in unit tests. Guided generation and local edits go through
 * the consistency host (reference collage from Blobs), the judge through the judge host.
 */
import type { EngineProgress, MaskedEditRequest, TextToImageRequest } from '../src/lib/pipeline';
import type { DiffusionEngine } from '../src/lib/pipeline';
import type { AttemptFacts } from './attempt-api';
import type { GenerateExtras } from './consistency-api';
import { decodeImage, runGenerate } from './consistency-host';
import type { JudgeOutput, JudgeProgress, JudgeSpec } from './judge-api';
import { judgeImage } from './judge-host';

export interface Pixels {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

export interface DrawnImage extends Pixels {
  image: Blob | null;
  scheduler?: string;
  timings: Record<string, number>;
  facts: Omit<AttemptFacts, 'judgeDevice'>;
}

interface CallOptions<P> {
  signal: AbortSignal;
  onProgress: (e: P) => void;
}

export interface GateDeps {
  generate(
    request: TextToImageRequest & GenerateExtras,
    options: CallOptions<EngineProgress>,
  ): Promise<DrawnImage>;
  edit(request: MaskedEditRequest, options: CallOptions<EngineProgress>): Promise<DrawnImage>;
  judge(image: Pixels, spec: JudgeSpec, options: CallOptions<JudgeProgress>): Promise<JudgeOutput>;
  decode(blob: Blob): Promise<Pixels>;
  now(): number;
}

export function engineGateDeps(engine: DiffusionEngine): GateDeps {
  return {
    async generate(request, options) {
      const r = await runGenerate(engine, request, options);
      return {
        image: r.image,
        rgba: r.rgba,
        width: r.width,
        height: r.height,
        scheduler: r.scheduler,
        timings: { ...r.timings },
        facts: {
          backend: r.backend,
          encoderRuns: r.encoderRuns,
          encoderHits: r.encoderHits,
          ortRuns: r.ortRuns,
          readbacks: r.readbacks,
          guided: r.guided ?? null,
          edit: null,
        },
      };
    },
    async edit(request, options) {
      const r = await engine.edit(request, options);
      const g = r.generation;
      return {
        image: r.image,
        rgba: r.rgba,
        width: r.width,
        height: r.height,
        scheduler: g.scheduler,
        timings: {
          loadMs: g.timings.loadMs,
          encodeMs: g.timings.encodeMs,
          vaeEncodeMs: g.timings.vaeEncodeMs,
          denoiseMs: g.timings.denoiseMs,
          decodeMs: g.timings.decodeMs,
          ortMs: g.timings.ortMs,
          maskMs: r.timings.maskMs,
          pasteMs: r.timings.pasteMs,
        },
        facts: {
          backend: g.backend,
          encoderRuns: g.encoderRuns,
          encoderHits: g.encoderHits,
          ortRuns: g.ortRuns,
          readbacks: g.readbacks,
          guided: null,
          edit: { crop: r.crop, feather: r.feather, supportPixels: r.supportPixels },
        },
      };
    },
    async judge(image, spec, options) {
      return judgeImage({ data: image.rgba, width: image.width, height: image.height }, spec, options);
    },
    decode: (blob) => decodeImage(blob),
    now: () => performance.now(),
  };
}
