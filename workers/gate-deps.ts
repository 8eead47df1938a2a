/**
 * The real engine and judge as the gate's dependencies: guided generation and local edits go
 * through the consistency host (reference collage from Blobs), the judge through the judge host.
 */
import type { DiffusionEngine } from '../src/lib/pipeline';
import { judgeImage } from './judge-host';
import { decodeImage, runGenerate } from './consistency-host';
import type { GateDeps } from './gate-host';

export function engineGateDeps(engine: DiffusionEngine): GateDeps {
  return {
    async generate(request, options) {
      const r = await runGenerate(engine, request, options);
      return { ...r, timings: { ...r.timings } };
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
          totalMs: r.timings.totalMs,
          loadMs: g.timings.loadMs,
          encodeMs: g.timings.encodeMs,
          vaeEncodeMs: g.timings.vaeEncodeMs,
          denoiseMs: g.timings.denoiseMs,
          decodeMs: g.timings.decodeMs,
          ortMs: g.timings.ortMs,
          maskMs: r.timings.maskMs,
          pasteMs: r.timings.pasteMs,
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
