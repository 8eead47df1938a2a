/**
 * The f16-less path on the replica's own fp16 SD graphs (keep_io_types, like schmuell/sd-turbo-ort-web):
 * each is widened with the installer's widener and run on onnxruntime-web (WASM) beside its fp32
 * reference — the same twin forged in fp32, before its weights were rounded to fp16. The difference
 * is the fp16 rounding of the weights, nothing else.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { onnxFile, REPLICA_MANIFEST } from '../../models/forge/replica.ts';
import { inProcessWidener, type DeriveSink } from '../../src/lib/models/derive';
import { validatePack, type Pack } from '../../src/lib/models/manifest';
import { ensureForged, feeds, maxDiff, ort, PUBLIC_DIR, replicaFilePath } from '../helpers/forge';

let replica: Pack;

beforeAll(async () => {
  await ensureForged();
  replica = validatePack(JSON.parse(await readFile(join(PUBLIC_DIR, REPLICA_MANIFEST), 'utf8')));
}, 60_000);

async function widen(bytes: Uint8Array, path: string) {
  const written = new Map<string, Uint8Array[]>();
  const result = await inProcessWidener(new Blob([bytes as Uint8Array<ArrayBuffer>]), path, {
    openData: async (name): Promise<DeriveSink> => {
      written.set(name, []);
      return { write: async (c) => void written.get(name)!.push(c.slice()), close: async () => {} };
    },
  });
  const externalData = result.dataFiles.map((d) => ({
    path: d.name,
    data: new Uint8Array(Buffer.concat(written.get(d.name) ?? [])),
  }));
  return { model: result.model, externalData };
}

describe('the replica SD graphs, widened', () => {
  test.each(['text-encoder', 'unet', 'vae-decoder', 'vae-encoder'])(
    '%s: widened fp16 against the fp32 reference',
    async (id) => {
      const c = replica.components.find((x) => x.id === id)!;
      const graph = c.graphs[0]!;
      const fp16 = graph.variants.find((v) => v.dtype === 'fp16')!;
      const widened = await widen(new Uint8Array(await readFile(replicaFilePath(c, fp16.file))), fp16.file);
      const session = await ort.InferenceSession.create(widened.model, {
        externalData: widened.externalData,
      });
      for (const input of session.inputMetadata)
        if (input.isTensor && input.type.startsWith('float')) expect(input.type).toBe('float32');
      const reference = await ort.InferenceSession.create(onnxFile(c, graph, 'fp32'));
      const a = await session.run(feeds(graph));
      const b = await reference.run(feeds(graph));
      let diff = 0;
      let scale = 0;
      for (const out of graph.outputs) {
        diff = Math.max(diff, maxDiff(a[out.name]!, b[out.name]!));
        scale = Math.max(scale, ...Array.from(b[out.name]!.data as Float32Array, Math.abs));
      }
      console.log(
        `widen-replica ${id}: max abs diff ${diff.toExponential(3)} (outputs up to ${scale.toFixed(3)})`,
      );
      // fp16 keeps 11 significant bits: the weights' rounding moves outputs by about 1e-3 of their size.
      expect(diff).toBeLessThan(Math.max(1e-3, 5e-3 * scale));
      expect(diff).toBeGreaterThan(0);
      await session.release();
      await reference.release();
    },
    60_000,
  );
});
