// The dataset export: label ids, rows, the three formats line by line, the split, OmniGen2's
// input limit, and a 1,000-story export in bounded memory.
import { afterAll, describe, expect, it } from 'vitest';
import { EXPRESSIONS, POSES } from '../../../src/lib/domain';
import { writeDataset, type DatasetFormat } from '../../../src/lib/bundle/dataset/export';
import {
  ImageFolderRow,
  metadataPath,
  splitOf,
  TRAIN_PERCENT,
} from '../../../src/lib/bundle/dataset/imagefolder';
import {
  chooseInputs,
  OMNIGEN2_MAX_INPUT_IMAGES,
  OmniGen2Row,
  omniGen2Row,
  omnigen2JsonlPath,
} from '../../../src/lib/bundle/dataset/omnigen2';
import { storyRows } from '../../../src/lib/bundle/dataset/rows';
import { buildVocab, C_TAG_STRIDE, cTag, eId, pId, vocabJson } from '../../../src/lib/bundle/dataset/vocab';
import { ViStoryStory, vistoryTimestamp } from '../../../src/lib/bundle/dataset/vistorybench';
import { attempt, character, countingOutput, lines, memoryOutput, source, story, unzip } from './fixtures';

const ALL: DatasetFormat[] = ['imagefolder', 'omnigen2', 'vistorybench'];
const at = new Date('2026-03-04T05:06:07Z');

describe('vocab', () => {
  it('gives each character the same C_ID whatever order the library lists them in', () => {
    const cs = [character(3), character(1), character(2)];
    const a = buildVocab(cs);
    const b = buildVocab([...cs].reverse());
    expect([...a.cIds]).toEqual([...b.cIds]);
    expect(a.cIds.get('char-00001')).toBe(0);
    expect(a.cIds.get('char-00003')).toBe(2);
    expect(vocabJson(a)).toBe(vocabJson(b));
  });

  it('takes P_ID and E_ID from the vocabularies and C_TAG from shot size and angle', () => {
    expect(pId('standing')).toBe(0);
    expect(pId(POSES.at(-1)!.id)).toBe(POSES.length - 1);
    expect(eId(EXPRESSIONS[3]!.id)).toBe(3);
    expect(cTag({ shotSize: 'extreme-close-up', cameraAngle: 'eye-level' })).toBe(0);
    expect(cTag({ shotSize: 'close-up', cameraAngle: 'low' })).toBe(C_TAG_STRIDE + 2);
    const json = JSON.parse(vocabJson(buildVocab([character(1)]))) as Record<string, { id: number }[]>;
    expect(json.P_ID).toHaveLength(POSES.length);
    expect(json.C_TAG!.map((t) => t.id)).toContain(C_TAG_STRIDE + 2);
    expect(new Set(json.C_TAG!.map((t) => t.id)).size).toBe(json.C_TAG!.length);
  });
});

describe('rows', () => {
  it('has one row per accepted panel whose attempt has a picture, in story order', () => {
    const hero = character(1);
    const r = story(1, 5, [[hero]]);
    r.panels[1]!.acceptedAttemptId = null; // not accepted
    r.attempts[2] = attempt(r.panels[2]!, null); // accepted, no picture
    r.attempts.splice(3, 1); // accepted attempt missing
    const vocab = buildVocab([hero]);
    const rows = storyRows(r, new Map([[hero.id, hero]]), vocab);
    expect(rows.map((x) => x.panelIndex)).toEqual([0, 4]);
    expect(rows[0]!.cast[0]).toMatchObject({ c_id: 0, p_id: pId('waving'), e_id: eId('smiling') });
    expect(rows[0]!.cast[0]!.references.map((x) => x.path)).toEqual([
      'references/char-00001/00.png',
      'references/char-00001/01.png',
    ]);
    // The script keeps every panel, accepted or not.
    expect(rows[0]!.script.panels).toHaveLength(5);
    expect(rows[0]!.script.panels[0]!.dialogue[0]).toEqual({
      speaker_c_id: 0,
      kind: 'speech',
      text: 'Hello 0',
    });
  });

  it('gives an unverified character no reference pictures', () => {
    const hero = character(1, 3, false);
    const rows = storyRows(story(1, 1, [[hero]]), new Map([[hero.id, hero]]), buildVocab([hero]));
    expect(rows[0]!.cast[0]!.references).toEqual([]);
    expect(omniGen2Row(rows[0]!)).toMatchObject({ task_type: 't2i', input_images: null });
  });
});

describe('split', () => {
  it('is decided by the story id alone, and about 90/10', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `story-${i}`);
    const first = ids.map(splitOf);
    expect(ids.map(splitOf)).toEqual(first);
    const train = first.filter((s) => s === 'train').length / ids.length;
    expect(train).toBeGreaterThan(TRAIN_PERCENT / 100 - 0.03);
    expect(train).toBeLessThan(TRAIN_PERCENT / 100 + 0.03);
  });
});

describe('OmniGen2 input images', () => {
  it(`keeps at most ${OMNIGEN2_MAX_INPUT_IMAGES}: one per cast member first, in cast order`, () => {
    const cast = Array.from({ length: 6 }, (_, i) => character(i + 1, 3));
    const rows = storyRows(story(1, 1, [cast]), new Map(cast.map((c) => [c.id, c])), buildVocab(cast));
    const { kept, dropped } = chooseInputs(rows[0]!);
    expect(kept.map((k) => k.cId)).toEqual([0, 1, 2, 3]);
    expect(dropped).toBe(18 - 4);
    const line = OmniGen2Row.parse(omniGen2Row(rows[0]!));
    expect(line.input_images).toHaveLength(OMNIGEN2_MAX_INPUT_IMAGES);
    // Fewer characters: their second templates fill the places, round-robin.
    const two = cast.slice(0, 2);
    const rows2 = storyRows(story(2, 1, [two]), new Map(two.map((c) => [c.id, c])), buildVocab(two));
    expect(chooseInputs(rows2[0]!).kept.map((k) => `${k.cId}:${k.image.index}`)).toEqual([
      '0:0',
      '1:0',
      '0:1',
      '1:1',
    ]);
  });
});

describe('writeDataset', () => {
  const cast = Array.from({ length: 8 }, (_, i) => character(i + 1, 2));
  cast.push(character(9, 2, false));
  const make = (i: number) =>
    story(i, 4, [
      [cast[i % 8]!, cast[(i + 1) % 8]!],
      [cast[8]!],
      [],
      [cast[0]!, cast[1]!, cast[2]!, cast[3]!, cast[4]!],
    ]);

  it('writes every format so that each file checks line by line and every path it names exists', async () => {
    const missing = new Set(['img-story-000002-p1']);
    const out = memoryOutput();
    const progress: number[] = [];
    const summary = await writeDataset(source(cast, 40, make, missing), out, {
      formats: ALL,
      exportedAt: at,
      onProgress: (p) => progress.push(p.done),
    });
    expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(summary).toMatchObject({ parts: 1, stories: 40, rows: 159, missingImages: 1 });
    const files = unzip(out.parts[0]!);
    const names = new Set(Object.keys(files));
    expect(names.has('vocab.json') && names.has('README.txt') && names.has('omnigen2/storyloom.yml')).toBe(
      true,
    );

    const byStory = new Map<string, string>();
    let rows = 0;
    for (const split of ['train', 'test'] as const) {
      for (const raw of lines(files[metadataPath(split)])) {
        const row = ImageFolderRow.parse(raw);
        rows++;
        expect(names.has(`data/${split}/${row.file_name}`)).toBe(true);
        for (const m of row.cast)
          for (const ref of m.reference_images) expect(names.has(ref.replace('../../', ''))).toBe(true);
        expect(byStory.get(row.story_id) ?? split).toBe(split); // a story in one split only
        byStory.set(row.story_id, split);
        expect(splitOf(row.story_id)).toBe(split);
      }
    }
    expect(rows).toBe(159);
    expect(summary.splits.train + summary.splits.test).toBe(159);

    let samples = 0;
    for (const split of ['train', 'test'] as const) {
      for (const raw of lines(files[omnigen2JsonlPath(split)])) {
        const row = OmniGen2Row.parse(raw);
        samples++;
        expect(names.has(row.output_image)).toBe(true);
        expect(row.output_image.startsWith(`data/${split}/`)).toBe(true);
        for (const p of row.input_images ?? []) expect(names.has(p)).toBe(true);
      }
    }
    expect(samples).toBe(159);

    const stories = Object.keys(files).filter((n) => n.endsWith('/story.json'));
    expect(stories).toHaveLength(40);
    const ts = vistoryTimestamp(at);
    expect(ts).toBe('20260304-050607');
    for (const name of stories) {
      const s = ViStoryStory.parse(JSON.parse(new TextDecoder().decode(files[name])));
      const dir = name.replace(/\/story\.json$/, '');
      const n = dir.split('/').at(-1)!;
      expect(n).toMatch(/^\d+$/);
      for (const shot of s.Shots)
        for (const key of shot['Characters Appearing'].en) {
          expect(s.Characters[key]).toBeDefined();
          expect(names.has(`${dir}/image/${key}/00.png`)).toBe(true);
        }
      // The unverified character has no picture, so the benchmark is not told about it.
      expect(Object.values(s.Characters).map((c) => c.name_en)).not.toContain('Hero 9');
      const shots = [...names].filter((x) =>
        x.startsWith(`vistorybench/outputs/storyloom/base/en/${ts}/${n}/`),
      );
      expect(shots).toHaveLength(s.Shots.length);
      expect(shots.sort()[0]).toMatch(/shot_01\.png$/);
    }
  });

  it('names no reference picture the image store lost, and writes no empty split', async () => {
    const out = memoryOutput();
    const gone = new Set(['tpl-char-00002-0']);
    // One story: it lands in one split only, so the other has no metadata file.
    await writeDataset(source(cast, 1, make, gone), out, { formats: ALL, exportedAt: at });
    const files = unzip(out.parts[0]!);
    const names = new Set(Object.keys(files));
    expect(names.has('references/char-00002/00.png')).toBe(false);
    const jsonl = Object.keys(files).filter((n) => n.endsWith('.jsonl'));
    expect(jsonl).toHaveLength(2);
    for (const n of jsonl) expect(new TextDecoder().decode(files[n])).not.toContain('char-00002/00.png');
    expect(new TextDecoder().decode(files[jsonl[0]!])).toContain('char-00002/01.png');
  });

  it('writes only the chosen formats, and refuses none', async () => {
    const out = memoryOutput();
    await writeDataset(source(cast, 3, make), out, { formats: ['omnigen2'], exportedAt: at });
    const names = Object.keys(unzip(out.parts[0]!));
    expect(names.some((n) => n.endsWith('metadata.jsonl'))).toBe(false);
    expect(names.some((n) => n.startsWith('vistorybench/'))).toBe(false);
    expect(names.some((n) => n.startsWith('data/'))).toBe(true);
    await expect(
      writeDataset(source(cast, 1, make), memoryOutput(), { formats: [], exportedAt: at }),
    ).rejects.toThrow(/at least one dataset format/);
  });

  it('gives the same archive for the same library', async () => {
    const a = memoryOutput();
    const b = memoryOutput();
    await writeDataset(source(cast, 5, make), a, { formats: ALL, exportedAt: at });
    await writeDataset(source(cast, 5, make), b, { formats: ALL, exportedAt: at });
    expect(Buffer.concat(a.parts[0]!).equals(Buffer.concat(b.parts[0]!))).toBe(true);
  });

  it('starts a new self-contained part before a zip would overflow, never splitting a story', async () => {
    const out = memoryOutput();
    const summary = await writeDataset(source(cast, 30, make), out, {
      formats: ALL,
      exportedAt: at,
      budget: { entries: 200, bytes: 1024 ** 3 },
    });
    expect(summary.parts).toBeGreaterThan(2);
    const seen = new Map<string, number>();
    let rows = 0;
    out.parts.forEach((chunks, i) => {
      const files = unzip(chunks);
      expect(Object.keys(files).length).toBeLessThanOrEqual(200 + 5);
      expect(files['vocab.json']).toBeDefined();
      const names = new Set(Object.keys(files));
      for (const split of ['train', 'test'] as const)
        for (const raw of lines(files[metadataPath(split)])) {
          const row = ImageFolderRow.parse(raw);
          rows++;
          expect(seen.get(row.story_id) ?? i).toBe(i);
          seen.set(row.story_id, i);
          for (const m of row.cast)
            for (const ref of m.reference_images) expect(names.has(ref.replace('../../', ''))).toBe(true);
        }
    });
    expect(rows).toBe(120);
  });

  it('stops when the signal is aborted', async () => {
    const controller = new AbortController();
    const p = writeDataset(source(cast, 50, make), memoryOutput(), {
      formats: ALL,
      exportedAt: at,
      signal: controller.signal,
      onProgress: (x) => x.done === 3 && controller.abort(),
    });
    await expect(p).rejects.toThrow(/abort/i);
  });

  it('holds one slice of a large picture at a time, not the picture', async () => {
    const out = countingOutput();
    // Larger than the pictures a story reads into memory once (4 MiB): this one stays a Blob.
    const big = new Blob([new Uint8Array(6 * 1024 * 1024)], { type: 'image/png' });
    const summary = await writeDataset(source(cast, 4, make, new Set(), big), out, {
      formats: ALL,
      exportedAt: at,
    });
    out.cleanup();
    expect(summary.bytes).toBeGreaterThan(16 * 6 * 1024 * 1024);
    expect(summary.maxBufferedBytes).toBeGreaterThan(0);
    expect(summary.maxBufferedBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  describe('1,000 stories', () => {
    const out = countingOutput();
    afterAll(() => out.cleanup());

    it('stream through in bounded memory: one story at a time, one picture slice in the writer', async () => {
      const src = source(cast, 1000, make);
      const before = process.memoryUsage().heapUsed;
      let peak = before;
      const summary = await writeDataset(src, out, {
        formats: ALL,
        exportedAt: at,
        onProgress: (p) => {
          src.progressed();
          if (p.done % 50 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        },
      });
      expect(summary.stories).toBe(1000);
      expect(summary.rows).toBe(4000);
      expect(src.maxAhead).toBe(1);
      expect(summary.maxBufferedBytes).toBeLessThanOrEqual(1024 * 1024);
      expect(summary.bytes).toBe(out.bytes);
      // The archive is several MB of JSONL and pictures; the heap holds none of it.
      expect(peak - before).toBeLessThan(96 * 1024 * 1024);
    }, 120_000);
  });
});
