/**
 * The planner's first download after an install: a second PackDownloader over the same storage,
 * for the `plan` feature only, must ADD its files to the pack's verified record and progress file,
 * never drop or overwrite the install's entries — when it completes, when the connection drops in
 * the middle, when it is paused and when it is cancelled. The tiny pack's forged files answer the
 * Hub's URLs from memory; the storage is the in-memory ModelStorage (OPFS runs in the e2e suite).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { PackDownloader } from '../../src/lib/models/downloader';
import { fileUrl, type Pack } from '../../src/lib/models/manifest';
import { packFiles, progressKey, type PackFile } from '../../src/lib/models/pack-files';
import { INSTALL_FEATURES, planPack, type PlanInput } from '../../src/lib/models/plan';
import { readVerified, type VerifiedManifest } from '../../src/lib/models/verified';
import { memoryHub, servedTinyPack, type HubOptions } from '../helpers/memory-hub';
import { MemoryStorage } from '../helpers/memory-storage';

const WASM: PlanInput = { caps: { backend: 'wasm', features: [] } };
const PREVIEW = 'preview-decoder';
const PLANNER_MODEL = 'planner-llm/onnx/model.onnx';

let pack: Pack;
let served: Map<string, Uint8Array>;

beforeAll(async () => {
  ({ pack, served } = await servedTinyPack());
}, 120_000);

function downloader(storage: MemoryStorage, features: PlanInput['features'], options: HubOptions = {}) {
  const files = packFiles(pack, planPack(pack, { ...WASM, features }));
  const { fetch, held } = memoryHub(served, files, options);
  const d = new PackDownloader(pack, files, {
    storage,
    fetch,
    concurrency: 2,
    estimate: async () => ({ usage: 0, quota: 1e12 }),
    online: () => true,
  });
  return { d, files, held };
}

/** Install the pack (drawing and judging) with the optional preview decoder absent from the Hub. */
async function installed() {
  const storage = new MemoryStorage();
  const previewFiles = packFiles(pack, planPack(pack, { ...WASM, features: INSTALL_FEATURES })).filter(
    (f) => f.componentId === PREVIEW,
  );
  const install = downloader(storage, INSTALL_FEATURES, {
    missing: new Set(previewFiles.map((f) => f.label)),
  });
  const snapshot = await install.d.start();
  expect(snapshot.status).toEqual({ kind: 'verified', missing: previewFiles.map((f) => f.label) });
  expect(install.files.some((f) => f.feature === 'plan')).toBe(false);
  const record = structuredClone(await readVerified(storage, pack.id));
  const stored = storage.stored(pack.id);
  return { storage, install, record, stored, previewFiles };
}

type Progress = { files: Record<string, { unavailable?: string; bytes: number }> };

/** The install is intact: every entry as it was, every file there, a fresh scan says installed. */
async function expectInstallIntact(
  storage: MemoryStorage,
  record: VerifiedManifest,
  stored: string[],
  previewFiles: PackFile[],
) {
  const now = await readVerified(storage, pack.id);
  for (const [label, entry] of Object.entries(record.files)) expect(now.files[label]).toEqual(entry);
  for (const label of stored) expect(storage.stored(pack.id)).toContain(label);
  // The Hub's missing optional file is still remembered, so a reload still shows the pack ready.
  const progress = await storage.readJson<Progress>(progressKey(pack.id));
  for (const f of previewFiles) expect(progress?.files[f.label]?.unavailable).toMatch(/HTTP 404/);
  const reload = downloader(storage, INSTALL_FEATURES);
  expect((await reload.d.scan()).status).toEqual({
    kind: 'verified',
    missing: previewFiles.map((f) => f.label),
  });
}

describe('the planner downloaded after the install', () => {
  test('adds its files to the verified record and keeps every entry of the install', async () => {
    const { storage, record, stored, previewFiles } = await installed();
    const planner = downloader(storage, ['plan']);
    expect(planner.files.map((f) => f.componentId)).toEqual(planner.files.map(() => 'planner-llm'));
    expect((await planner.d.scan()).status.kind).toBe('not-downloaded');

    const done = await planner.d.start();
    expect(done.status).toEqual({ kind: 'verified', missing: [] });
    const now = await readVerified(storage, pack.id);
    expect(Object.keys(now.files).sort()).toEqual(
      [...Object.keys(record.files), ...planner.files.map((f) => f.label)].sort(),
    );
    for (const f of planner.files) expect(storage.stored(pack.id)).toContain(f.label);
    await expectInstallIntact(storage, record, stored, previewFiles);
    // A reload finds the planner there too.
    expect((await downloader(storage, ['plan']).d.scan()).status.kind).toBe('verified');
  });

  test('a dropped connection keeps the received bytes; the install stays; Resume completes it', async () => {
    const { storage, record, stored, previewFiles } = await installed();
    const half = Math.floor(
      (served.get(fileUrl(plannerComponent(), { path: 'onnx/model.onnx' }))?.length ?? 0) / 2,
    );
    const planner = downloader(storage, ['plan'], { cut: new Map([[PLANNER_MODEL, half]]) });
    const stopped = await planner.d.start();
    expect(stopped.status.kind).not.toBe('verified');
    expect(stopped.files.find((f) => f.label === PLANNER_MODEL)?.state).toMatchObject({
      kind: 'interrupted',
      bytes: half,
    });
    await expectInstallIntact(storage, record, stored, previewFiles);
    const progress = await storage.readJson<Progress>(progressKey(pack.id));
    expect(progress?.files[PLANNER_MODEL]?.bytes).toBe(half);

    const resumed = await planner.d.start();
    expect(resumed.status).toEqual({ kind: 'verified', missing: [] });
    expect(resumed.notes.find((n) => n.label === PLANNER_MODEL)?.resumedFrom).toBe(half);
    await expectInstallIntact(storage, record, stored, previewFiles);
  });

  test('a pause keeps what arrived; a cancel deletes the planner parts only; the install stays', async () => {
    const { storage, record, stored, previewFiles } = await installed();
    const planner = downloader(storage, ['plan'], { hold: new Map([[PLANNER_MODEL, 1000]]) });
    const running = planner.d.start();
    await planner.held;
    planner.d.pause();
    const paused = await running;
    expect(paused.files.find((f) => f.label === PLANNER_MODEL)?.state).toEqual({
      kind: 'paused',
      bytes: 1000,
    });
    expect(await storage.partSize(`${pack.id}/files/${PLANNER_MODEL}`)).toBe(1000);
    await expectInstallIntact(storage, record, stored, previewFiles);

    const cancelled = await planner.d.discard();
    expect(cancelled.files.find((f) => f.label === PLANNER_MODEL)?.state).toEqual({ kind: 'missing' });
    expect(await storage.partSize(`${pack.id}/files/${PLANNER_MODEL}`)).toBe(0);
    const progress = await storage.readJson<Progress>(progressKey(pack.id));
    expect(progress?.files[PLANNER_MODEL]).toBeUndefined();
    await expectInstallIntact(storage, record, stored, previewFiles);
    // The planner files that had been verified before the cancel stay verified (they are whole).
    const now = await readVerified(storage, pack.id);
    for (const f of planner.files.filter((x) => x.label !== PLANNER_MODEL))
      if (now.files[f.label]) expect(storage.stored(pack.id)).toContain(f.label);
  });

  test('a cancel while the transfer runs stops it first, then deletes its part', async () => {
    const { storage, record, stored, previewFiles } = await installed();
    const planner = downloader(storage, ['plan'], { hold: new Map([[PLANNER_MODEL, 500]]) });
    void planner.d.start();
    await planner.held;
    const cancelled = await planner.d.discard();
    expect(cancelled.running).toBe(false);
    expect(await storage.partSize(`${pack.id}/files/${PLANNER_MODEL}`)).toBe(0);
    await expectInstallIntact(storage, record, stored, previewFiles);
  });
});

function plannerComponent() {
  const c = pack.components.find((x) => x.role === 'planner-llm');
  if (!c) throw new Error('the tiny pack has no planner');
  return c;
}
