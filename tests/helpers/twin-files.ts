/**
 * ModelFiles for vitest: the twins' bytes from `public/<localRoot>/`, the graph each component opens
 * chosen by the same plan the browser uses (WASM, no GPU features), and a word-hash tokenizer with
 * the contract's bos/eos/pad (the real transformers.js tokenizer runs in the e2e suite).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { planComponent, type PlanInput } from '../../src/lib/models/plan';
import type { ModelFiles } from '../../src/lib/pipeline';

const PUBLIC = join(resolve(import.meta.dirname, '../..'), 'public');
const WASM: PlanInput = { caps: { backend: 'wasm', features: [] } };

export function twinFiles(input: PlanInput = WASM): ModelFiles {
  const read = (localRoot: string | null, componentId: string, path: string) =>
    new Uint8Array(readFileSync(join(PUBLIC, localRoot ?? '', componentId, path)));
  return {
    graph: (pc) => {
      const cp = planComponent(pc.component, input);
      const g = cp.graphs[0];
      if (!g || cp.unavailable) return Promise.reject(new Error(cp.unavailable ?? 'no graph'));
      const data = g.open.dataFiles === 'named-at-install' ? [] : g.open.dataFiles;
      return Promise.resolve({
        key: `${pc.component.id}/${g.open.path}`,
        label: `${pc.component.id}/${g.open.path}`,
        bytes: pc.component.files.find((f) => f.path === g.open.path)?.bytes ?? 0,
        load: () =>
          Promise.resolve({
            model: read(pc.localRoot, pc.component.id, g.open.path),
            externalData: data.map((p) => ({
              path: p.slice(p.lastIndexOf('/') + 1),
              data: read(pc.localRoot, pc.component.id, p),
            })),
          }),
      });
    },
    file: (pc, path) => Promise.resolve(read(pc.localRoot, pc.component.id, path)),
    tokenizer: (_source, c) =>
      Promise.resolve({
        encode(text: string) {
          const words = text
            .toLowerCase()
            .split(/[^a-z0-9]+/)
            .filter(Boolean);
          const ids = words.map((w) => [...w].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 290, 7));
          const out = new Int32Array(c.maxLength).fill(c.padTokenId);
          out.set([c.bosTokenId ?? 0, ...ids.slice(0, c.maxLength - 2), c.eosTokenId ?? 0]);
          return out;
        },
      }),
  };
}
