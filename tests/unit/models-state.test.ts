import { describe, expect, it } from 'vitest';
import { faultSentence, nextFileState, packStatus, type FileState } from '../../src/lib/models/resume';
import { chooseBackend } from '../../src/lib/models/variants';
import { matchFolder } from '../../src/lib/models/importer';
import { onnxHeaderProblem } from '../../src/lib/models/onnx-header';
import type { PackFile } from '../../src/lib/models/pack-files';

const run = (state: FileState, ...events: Parameters<typeof nextFileState>[1][]) =>
  events.reduce(nextFileState, state);

describe('resume state machine', () => {
  it('resumes from the bytes kept after an interruption', () => {
    let s = run({ kind: 'missing' }, { type: 'start', offset: 0 }, { type: 'chunk', bytes: 300 });
    s = nextFileState(s, { type: 'network-error', message: 'dropped' });
    expect(s).toEqual({ kind: 'interrupted', bytes: 300, message: 'dropped' });
    s = run(
      s,
      { type: 'start', offset: 300 },
      { type: 'chunk', bytes: 700 },
      { type: 'received-all' },
      { type: 'verified' },
    );
    expect(s).toEqual({ kind: 'verified', bytes: 1000 });
  });

  it('starts over when the server ignores the range', () => {
    const s = run(
      { kind: 'partial', bytes: 400 },
      { type: 'start', offset: 400 },
      { type: 'restart', reason: '200' },
    );
    expect(s).toEqual({ kind: 'downloading', bytes: 0, resumedFrom: 0 });
  });

  it('ignores late chunks after a pause, and cannot start a verified file', () => {
    const paused = run(
      { kind: 'missing' },
      { type: 'start', offset: 0 },
      { type: 'pause' },
      { type: 'chunk', bytes: 5 },
    );
    expect(paused).toEqual({ kind: 'paused', bytes: 0 });
    expect(nextFileState({ kind: 'verified', bytes: 9 }, { type: 'start', offset: 0 })).toEqual({
      kind: 'verified',
      bytes: 9,
    });
  });

  it('summarises a pack', () => {
    expect(packStatus([{ label: 'a', size: 100, state: { kind: 'missing' } }])).toEqual({
      kind: 'not-downloaded',
    });
    expect(
      packStatus([
        { label: 'a', size: 100, state: { kind: 'verified', bytes: 100 } },
        { label: 'b', size: 100, state: { kind: 'partial', bytes: 50 } },
      ]),
    ).toEqual({ kind: 'partial', percent: 75 });
    expect(
      packStatus([
        { label: 'a', size: 100, state: { kind: 'verified', bytes: 100 } },
        { label: 'b', size: 100, state: { kind: 'failed', bytes: 0, message: 'bad hash' } },
      ]),
    ).toEqual({ kind: 'failed', message: 'bad hash' });
  });

  it('is ready without an optional file the Hub does not have, and says which', () => {
    const gone = { kind: 'unavailable', bytes: 0, message: 'not on the Hub' } as const;
    expect(
      packStatus([
        { label: 'unet/model.onnx', size: 100, state: { kind: 'verified', bytes: 100 } },
        { label: 'preview/model.onnx', size: 5, state: gone, optional: true },
      ]),
    ).toEqual({ kind: 'verified', missing: ['preview/model.onnx'] });
    // A required file that failed keeps the pack from being ready; an optional one does not.
    expect(
      packStatus([
        { label: 'a', size: 100, state: { kind: 'failed', bytes: 0, message: 'HTTP 404' } },
        { label: 'b', size: 5, state: { kind: 'verified', bytes: 5 }, optional: true },
      ]),
    ).toEqual({ kind: 'failed', message: 'HTTP 404' });
    // An optional file not tried yet: not ready.
    expect(
      packStatus([
        { label: 'a', size: 100, state: { kind: 'verified', bytes: 100 } },
        { label: 'b', size: 5, state: { kind: 'missing' }, optional: true },
      ]).kind,
    ).toBe('partial');
  });

  it('counts the widening of a prepared file in the same bar', () => {
    const status = packStatus([
      { label: 'unet', size: 100, state: { kind: 'preparing', bytes: 100, done: 50 }, prepares: true },
      { label: 'clip', size: 100, state: { kind: 'verified', bytes: 100 } },
    ]);
    // 100 received + 50 widened of 200, plus 100 of 100: 250 of 300.
    expect(status).toEqual({ kind: 'downloading', percent: 83 });
  });
});

describe('backend choice', () => {
  it('falls back to WASM without an adapter, or when asked', () => {
    expect(chooseBackend({ webgpu: false })).toBe('wasm');
    expect(chooseBackend({ webgpu: true })).toBe('webgpu');
    expect(chooseBackend({ webgpu: true }, 'wasm')).toBe('wasm');
  });
});

describe('folder import matching', () => {
  const file = (label: string): PackFile => ({
    componentId: label.split('/')[0] ?? '',
    repo: 'o/r',
    revision: 'main',
    path: label.split('/').slice(1).join('/'),
    label,
    bytes: 1,
    bytesExact: true,
    sha256: null,
    url: '',
    key: label,
    optional: false,
    feature: 'draw',
    prepare: null,
  });
  const needed = [file('unet/unet/model.onnx'), file('vae/vae/model.onnx')];
  const all = [...needed, file('unet/unet/model_fp16.onnx')];
  const blob = new Blob(['x']);

  it('strips the picked folder name and names missing, extra and skipped files', () => {
    const result = matchFolder(needed, all, [
      { relativePath: 'tiny/unet/unet/model.onnx', file: blob },
      { relativePath: 'tiny/unet/unet/model_fp16.onnx', file: blob },
      { relativePath: 'tiny/notes.txt', file: blob },
      { relativePath: 'tiny/.DS_Store', file: blob },
    ]);
    expect([...result.matched.keys()]).toEqual(['unet/unet/model.onnx']);
    expect(result.missing).toEqual(['vae/vae/model.onnx']);
    expect(result.extra).toEqual(['notes.txt']);
    expect(result.skipped).toEqual(['unet/unet/model_fp16.onnx']);
  });

  it('matches paths given without a folder name', () => {
    const result = matchFolder(needed, all, [
      { relativePath: 'unet/unet/model.onnx', file: blob },
      { relativePath: 'vae/vae/model.onnx', file: blob },
    ]);
    expect(result.missing).toEqual([]);
  });
});

describe('ONNX header check', () => {
  it('accepts a ModelProto start and names common wrong files', () => {
    expect(onnxHeaderProblem(new Uint8Array([0x08, 0x08, 0x12, 0x04]))).toBeNull();
    const text = (s: string) => new TextEncoder().encode(s);
    expect(onnxHeaderProblem(text('version https://git-lfs.github.com/spec/v1\noid sha256:'))).toMatch(
      /LFS pointer/,
    );
    expect(onnxHeaderProblem(text('<!DOCTYPE html><html>'))).toMatch(/HTML/);
    expect(onnxHeaderProblem(text('{"error":"not found"}'))).toMatch(/JSON/);
    expect(onnxHeaderProblem(new Uint8Array([1, 2]))).toMatch(/too short/);
  });
});

describe('the sentence a stopped download owes', () => {
  const files = [
    { label: 'unet/model.onnx', state: { kind: 'verified', bytes: 9 } as FileState },
    { label: 'judge/decoder.onnx', state: { kind: 'interrupted', bytes: 0, message: 'full' } as FileState },
    { label: 'judge/extra.json', state: { kind: 'unavailable', bytes: 0, message: 'gone' } as FileState },
  ];
  it("says an optional file's disk-full fault, and leaves out only what the Hub does not publish", () => {
    const full = {
      label: 'judge/decoder.onnx',
      message: 'The disk is full while saving judge/decoder.onnx.',
    };
    const gone = { label: 'judge/extra.json', message: 'judge/extra.json is not on the Hub.' };
    expect(faultSentence(files, [gone, full])).toBe(full.message);
    expect(faultSentence(files, [gone])).toBeNull();
    expect(faultSentence(files, [])).toBeNull();
  });
  it('counts the other files with a problem, and a fault of no file (the quota) too', () => {
    const quota = { label: null, message: 'The pack needs more room than this browser gives.' };
    const full = { label: 'judge/decoder.onnx', message: 'Full.' };
    expect(faultSentence(files, [quota, full])).toBe(
      'The pack needs more room than this browser gives. (1 more file has the same problem.)',
    );
  });
});
