/**
 * Streams a dataset out of a record source into one zip (or, past what one zip without ZIP64 can
 * hold, several self-contained parts, each without ZIP64), in bounded memory: one story's records and picture handles
 * at a time; the JSONL files, which grow with every story but must each be one entry, are spooled
 * (to a private file in the browser) and added at the end of their part.
 *
 * The archive (every format's files point at ONE copy of each picture):
 *   README.txt, vocab.json
 *   data/{train,test}/<story>/<NNN>.<ext>       accepted panels (always written: every format uses them)
 *   data/{train,test}/metadata.jsonl            ImageFolder            (format "imagefolder")
 *   references/<character>/<NN>.<ext>           verified templates of the cast (shared)
 *   omnigen2/storyloom.yml, jsonls/0.jsonl, heldout/0.jsonl   OmniGen2 (format "omnigen2")
 *   vistorybench/dataset/StoryLoom/<NNNNN>/{story.json,image/<key>/<NN>.<ext>},
 *   vistorybench/outputs/storyloom/base/en/<timestamp>/<NNNNN>/shot_<NN>.<ext>   ("vistorybench":
 *     its loaders walk folders, so its pictures are copies)
 */
import { StoryLoomError } from '../../domain/errors';
import type { Character } from '../../domain/schema';
import { createZipWriter, type ZipWriter } from '../zip/write';
import { imageFolderLine, metadataPath, panelImagePath, splitOf, SPLITS, type Split } from './imagefolder';
import { OMNIGEN2_CONFIG_PATH, omniGen2Config, omniGen2Line, omnigen2JsonlPath } from './omnigen2';
import { storyRows, type StoryRecords } from './rows';
import { buildVocab, vocabJson } from './vocab';
import { viStoryFiles, viStoryJsonPath, vistoryTimestamp } from './vistorybench';

export const DATASET_FORMATS = ['imagefolder', 'omnigen2', 'vistorybench'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface DatasetImage {
  blob: Blob;
  mime: string;
}

/** Where the records come from: the library in the app, synthetic records in tests. */
export interface DatasetSource {
  /** Every character (the C_ID vocabulary is built from them; 2,000 are a few MB). */
  characters(): Promise<Character[]>;
  storyCount(): Promise<number>;
  /** The stories one at a time, in a stable order, read in pages. */
  stories(signal?: AbortSignal): AsyncIterable<StoryRecords>;
  image(id: string): Promise<DatasetImage | undefined>;
}

/** A growing text file kept off the heap until it is added to the archive. */
export interface Spool {
  write(text: string): Promise<void>;
  /** The whole text as a Blob (a file in the browser); the spool is done. */
  finish(): Promise<Blob>;
  discard(): Promise<void>;
}

export interface DatasetOutput {
  /** The byte sink of part `n` (1-based). */
  openPart(n: number): Promise<{ write(chunk: Uint8Array): Promise<void>; close(): Promise<void> }>;
  spool(name: string): Promise<Spool>;
}

export interface PartBudget {
  entries: number;
  bytes: number;
}

/**
 * Under the 65,535 entries and 4 GiB of a zip without ZIP64, with room for the JSONL at the end: the
 * writer would write ZIP64 past them, but a part every zip tool opens is worth a second file.
 */
export const PART_BUDGET: PartBudget = { entries: 60_000, bytes: 3.5 * 1024 ** 3 };

export interface DatasetProgress {
  done: number;
  total: number;
  what: string;
}

export interface DatasetSummary {
  parts: number;
  stories: number;
  rows: number;
  splits: Record<Split, number>;
  entries: number;
  bytes: number;
  /** Accepted panels whose picture was missing from the image store (left out). */
  missingImages: number;
  /** Pictures ViStoryBench cannot read (WebP), left out of that format only. */
  vistorySkipped: number;
  /** The most picture bytes the zip writer held at once. */
  maxBufferedBytes: number;
}

export interface WriteDatasetOptions {
  formats: readonly DatasetFormat[];
  exportedAt: Date;
  onProgress?: (p: DatasetProgress) => void;
  signal?: AbortSignal;
  budget?: PartBudget;
}

const enc = new TextEncoder();
/**
 * Pictures up to this size are read into memory once per story: the zip writer reads a Blob twice
 * (its CRC, then its bytes) and ViStoryBench copies a panel again, so a panel read as a Blob costs
 * four reads from the image store's files. Bigger pictures stay Blobs, read in slices.
 */
const INLINE_IMAGE_BYTES = 4 * 1024 * 1024;
/** Generous bytes per JSONL line and format (scripts repeat per row). */
const TEXT_PER_ROW = 16 * 1024;

interface Part {
  n: number;
  zip: ZipWriter;
  close(): Promise<void>;
  entries: number;
  bytes: number;
  references: Set<string>;
  spools: Map<string, Spool>;
  lines: Map<string, number>;
}

function readme(formats: readonly DatasetFormat[], part: number, exportedAt: Date): string {
  return [
    'StoryLoom dataset export',
    `Exported ${exportedAt.toISOString()}; part ${part}. Formats: ${formats.join(', ')}.`,
    '',
    'vocab.json                 label ids: C_ID (character), P_ID (pose), E_ID (expression), C_TAG (composition)',
    'data/<split>/              accepted panels; metadata.jsonl per split (Hugging Face ImageFolder):',
    '                           load_dataset("imagefolder", data_dir="data")',
    'references/                verified reference pictures of the characters',
    'omnigen2/                  OmniGen2 training JSONL (run from this folder: paths are relative)',
    "vistorybench/              ViStoryBench dataset folders and the panels as a method's outputs",
    '',
  ].join('\n');
}

export async function writeDataset(
  source: DatasetSource,
  output: DatasetOutput,
  options: WriteDatasetOptions,
): Promise<DatasetSummary> {
  const { formats, exportedAt, signal } = options;
  const onProgress = options.onProgress ?? (() => {});
  const budget = options.budget ?? PART_BUDGET;
  if (formats.length === 0)
    throw new StoryLoomError(
      'invalid-input',
      'Choose at least one dataset format: imagefolder, omnigen2 or vistorybench.',
    );
  const want = new Set(formats);
  const characters = new Map((await source.characters()).map((c) => [c.id, c]));
  const vocab = buildVocab([...characters.values()]);
  const vocabText = enc.encode(vocabJson(vocab));
  const total = await source.storyCount();
  const timestamp = vistoryTimestamp(exportedAt);
  const summary: DatasetSummary = {
    parts: 0,
    stories: 0,
    rows: 0,
    splits: { train: 0, test: 0 },
    entries: 0,
    bytes: 0,
    missingImages: 0,
    vistorySkipped: 0,
    maxBufferedBytes: 0,
  };
  const spoolNames = [
    ...(want.has('imagefolder') ? SPLITS.map(metadataPath) : []),
    ...(want.has('omnigen2') ? (['train', 'test'] as const).map(omnigen2JsonlPath) : []),
  ];

  let part: Part | null = null;
  let storyNumber = 0;
  let done = 0;

  async function add(p: Part, name: string, data: Uint8Array | Blob, compress: boolean) {
    await p.zip.add(name, data, { compress });
    p.entries++;
    p.bytes += data instanceof Blob ? data.size : data.length;
  }

  async function writeLine(p: Part, name: string, line: string) {
    await p.spools.get(name)!.write(line);
    p.lines.set(name, (p.lines.get(name) ?? 0) + 1);
  }

  async function openPart(): Promise<Part> {
    const n = summary.parts + 1;
    const sink = await output.openPart(n);
    const zip = createZipWriter((chunk) => sink.write(chunk));
    const p: Part = {
      n,
      zip,
      close: sink.close,
      entries: 0,
      bytes: 0,
      references: new Set(),
      spools: new Map(),
      lines: new Map(),
    };
    for (const name of spoolNames)
      p.spools.set(name, await output.spool(`part-${n}-${name.replace(/\//g, '_')}`));
    summary.parts = n;
    await add(p, 'README.txt', enc.encode(readme(formats, n, exportedAt)), true);
    await add(p, 'vocab.json', vocabText, true);
    if (want.has('omnigen2')) await add(p, OMNIGEN2_CONFIG_PATH, enc.encode(omniGen2Config()), true);
    return p;
  }

  async function closePart(p: Part) {
    // A split without stories gets no file: an empty metadata.jsonl is not a split.
    for (const [name, spool] of p.spools) {
      if (p.lines.get(name)) await add(p, name, await spool.finish(), true);
      else await spool.discard();
    }
    await p.zip.close();
    await p.close();
    summary.entries += p.entries;
    summary.bytes += p.zip.bytesWritten;
    summary.maxBufferedBytes = Math.max(summary.maxBufferedBytes, p.zip.maxBufferedBytes);
  }

  try {
    for await (const records of source.stories(signal)) {
      signal?.throwIfAborted();
      const images = new Map<string, DatasetImage>();
      // What goes into the zip for a picture: its bytes (read once) or, when large, its Blob.
      const data = new Map<string, Uint8Array | Blob>();
      const fetch = async (id: string) => {
        if (images.has(id)) return images.get(id);
        const image = await source.image(id);
        if (image) {
          images.set(id, image);
          const { blob } = image;
          data.set(id, blob.size <= INLINE_IMAGE_BYTES ? new Uint8Array(await blob.arrayBuffer()) : blob);
        }
        return image;
      };
      // Rows need each picture's type for its name; a panel whose picture is gone is left out.
      const candidates = storyRows(records, characters, vocab);
      for (const r of candidates) await fetch(r.imageId);
      const mimeOf = (id: string) => images.get(id)?.mime ?? 'image/png';
      const found = storyRows(records, characters, vocab, mimeOf).filter((r) => images.has(r.imageId));
      summary.missingImages += candidates.length - found.length;
      for (const r of found) for (const m of r.cast) for (const ref of m.references) await fetch(ref.imageId);
      // A reference picture gone from the image store is not named by any line.
      const rows = found.map((r) => ({
        ...r,
        cast: r.cast.map((m) => ({ ...m, references: m.references.filter((x) => images.has(x.imageId)) })),
      }));
      if (rows.length) {
        const refs = new Map<string, string>(); // path → image id
        for (const r of rows)
          for (const m of r.cast) for (const ref of m.references) refs.set(ref.path, ref.imageId);
        const vistory = want.has('vistorybench')
          ? viStoryFiles(
              storyNumber + 1,
              rows,
              characters,
              timestamp,
              (id) => images.get(id)?.mime ?? 'image/webp',
            )
          : null;
        if (want.has('vistorybench')) summary.vistorySkipped += rows.length - (vistory?.shots.length ?? 0);
        const size = (id: string) => images.get(id)?.blob.size ?? 0;
        const newRefs = [...refs].filter(([path, id]) => images.has(id) && !part?.references.has(path));
        const entries =
          rows.length + newRefs.length + (vistory ? 1 + vistory.references.length + vistory.shots.length : 0);
        const bytes =
          rows.reduce((n, r) => n + size(r.imageId), 0) +
          newRefs.reduce((n, [, id]) => n + size(id), 0) +
          (vistory ? [...vistory.references, ...vistory.shots].reduce((n, f) => n + size(f.imageId), 0) : 0) +
          rows.length * TEXT_PER_ROW * 3;
        if (part && (part.entries + entries > budget.entries || part.bytes + bytes > budget.bytes)) {
          await closePart(part);
          part = null;
        }
        part ??= await openPart();
        const p: Part = part;
        for (const r of rows) {
          signal?.throwIfAborted();
          await add(p, panelImagePath(r), data.get(r.imageId)!, false);
          summary.splits[splitOf(r.storyId)]++;
        }
        for (const [path, id] of refs) {
          const image = data.get(id);
          if (!image || p.references.has(path)) continue;
          await add(p, path, image, false);
          p.references.add(path);
        }
        for (const r of rows) {
          const split = splitOf(r.storyId);
          if (want.has('imagefolder')) await writeLine(p, metadataPath(split), imageFolderLine(r));
          if (want.has('omnigen2')) await writeLine(p, omnigen2JsonlPath(split), omniGen2Line(r));
        }
        if (vistory) {
          storyNumber++;
          await add(
            p,
            viStoryJsonPath(storyNumber),
            enc.encode(JSON.stringify(vistory.storyJson, null, 2)),
            true,
          );
          for (const f of [...vistory.references, ...vistory.shots]) {
            signal?.throwIfAborted();
            await add(p, f.path, data.get(f.imageId)!, false);
          }
        }
        summary.stories++;
        summary.rows += rows.length;
      }
      onProgress({ done: ++done, total, what: 'writing the dataset' });
    }
    part ??= await openPart(); // an empty library still gives a readable archive with its vocabulary
    await closePart(part);
    part = null;
    return summary;
  } catch (e) {
    if (part) for (const spool of part.spools.values()) await spool.discard().catch(() => undefined);
    throw e;
  }
}
