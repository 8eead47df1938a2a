// Synthetic libraries for the dataset export: records built in memory, pictures as tiny PNG bytes.
import { mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import {
  newCastMember,
  newCharacter,
  newPanel,
  newStory,
  SCHEMA_VERSION,
  type Attempt,
  type Character,
  type Panel,
} from '../../../src/lib/domain';
import type {
  DatasetImage,
  DatasetOutput,
  DatasetSource,
  Spool,
} from '../../../src/lib/bundle/dataset/export';
import type { StoryRecords } from '../../../src/lib/bundle/dataset/rows';

/** A 1×1 PNG. */
export const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

export function character(i: number, templates = 2, verified = true): Character {
  const c = newCharacter(1000, `Hero ${i}`);
  c.id = `char-${String(i).padStart(5, '0')}`;
  c.verified = verified;
  c.species = 'human';
  c.templates = Array.from({ length: templates }, (_, t) => ({
    imageId: `tpl-${c.id}-${t}`,
    width: 1,
    height: 1,
    mime: 'image/png',
    addedAt: 1000,
  }));
  return c;
}

export function attempt(panel: Panel, imageId: string | null): Attempt {
  return {
    schemaVersion: SCHEMA_VERSION.attempt,
    id: `att-${panel.id}`,
    panelId: panel.id,
    storyId: panel.storyId,
    index: 0,
    seed: 1,
    chunks: [],
    parameters: {
      mode: 'txt2img',
      width: 512,
      height: 512,
      numInferenceSteps: 4,
      guidanceScale: 0,
      scheduler: 'euler',
      strength: null,
      packId: 'tiny',
      baseIndex: null,
    },
    imageId,
    report: null,
    action: null,
    timings: {},
    createdAt: 1000,
  };
}

/** A story of `panels` accepted panels, each casting `castOf(p)` characters. */
export function story(s: number, panels: number, cast: readonly Character[][]): StoryRecords {
  const st = newStory(1000, `Story ${s}`);
  st.id = `story-${String(s).padStart(6, '0')}`;
  st.premise = `Premise of story ${s}.`;
  const ps: Panel[] = [];
  const attempts: Attempt[] = [];
  for (let p = 0; p < panels; p++) {
    const panel = newPanel(st.id, 1000);
    panel.id = `${st.id}-p${p}`;
    const members = cast[p % cast.length] ?? [];
    panel.cast = members.map((c, i) => ({
      ...newCastMember(c.id, i, members.length),
      pose: 'waving',
      expression: 'smiling',
    }));
    panel.caption = `Caption ${s}.${p}`;
    panel.dialogue = members.length
      ? [{ id: 'l1', speakerId: members[0]!.id, kind: 'speech', text: `Hello ${p}` }]
      : [];
    const a = attempt(panel, `img-${panel.id}`);
    panel.acceptedAttemptId = a.id;
    panel.status = 'accepted';
    ps.push(panel);
    attempts.push(a);
  }
  st.panelIds = ps.map((p) => p.id);
  return { story: st, panels: ps, attempts };
}

/** A source over records made on demand; counts how many stories were handed out but not yet finished. */
export function source(
  characters: Character[],
  count: number,
  make: (i: number) => StoryRecords,
  missing: ReadonlySet<string> = new Set(),
  picture: Blob = new Blob([PNG], { type: 'image/png' }),
): DatasetSource & { maxAhead: number; progressed: () => void } {
  let handed = 0;
  let finished = 0;
  const s = {
    maxAhead: 0,
    progressed: () => void finished++,
    characters: async () => characters,
    storyCount: async () => count,
    async *stories() {
      for (let i = 0; i < count; i++) {
        handed++;
        s.maxAhead = Math.max(s.maxAhead, handed - finished);
        yield make(i);
      }
    },
    async image(id: string): Promise<DatasetImage | undefined> {
      if (missing.has(id)) return undefined;
      return { blob: picture, mime: 'image/png' };
    },
  };
  return s;
}

/** Parts kept in memory; spools in memory. For small exports. */
export function memoryOutput(): DatasetOutput & { parts: Uint8Array[][] } {
  const parts: Uint8Array[][] = [];
  return {
    parts,
    async openPart() {
      const chunks: Uint8Array[] = [];
      parts.push(chunks);
      return { write: async (c) => void chunks.push(c.slice()), close: async () => undefined };
    },
    async spool(): Promise<Spool> {
      const texts: string[] = [];
      return {
        write: async (t) => void texts.push(t),
        finish: async () => new Blob(texts),
        discard: async () => undefined,
      };
    },
  };
}

/** Parts counted and dropped; spools on disk (as OPFS files are in the browser). */
export function countingOutput(): DatasetOutput & { bytes: number; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'storyloom-dataset-'));
  const out = {
    bytes: 0,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    async openPart() {
      return { write: async (c: Uint8Array) => void (out.bytes += c.length), close: async () => undefined };
    },
    async spool(name: string): Promise<Spool> {
      const path = join(dir, name);
      await writeFile(path, '');
      return {
        write: (t) => appendFile(path, t),
        finish: () => openAsBlob(path),
        discard: async () => undefined,
      };
    },
  };
  return out;
}

export function unzip(chunks: Uint8Array[]): Record<string, Uint8Array> {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return unzipSync(all);
}

export const lines = (bytes: Uint8Array | undefined): unknown[] =>
  new TextDecoder()
    .decode(bytes ?? new Uint8Array())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
