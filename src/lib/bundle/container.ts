/**
 * The `.storyloom` container on top of the strict zip layer: what must be inside and nothing else.
 * Writing: a stored `mimetype` first, `manifest.json`, then each image once under its SHA-256 name.
 * Reading: the zip's structure is checked by `openZip`; here the exact set of names, the mimetype,
 * the manifest (size, JSON, text: NFC, no control characters; schema; format version) and the
 * records (migrated, schema-checked, every reference inside the bundle) — before anything is written.
 * Images are read one at a time later and checked against the manifest (size, SHA-256); decoding them
 * is the caller's, who has a browser.
 */
import { StoryLoomError } from '../domain';
import {
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MIMETYPE,
  MANIFEST_NAME,
  MIMETYPE_NAME,
  Manifest,
  imagePath,
} from './manifest';
import type { BundleImage } from './manifest';
import { checkReferences, readBundleRecords, recordsForBundle } from './records';
import type { LibraryRecords, PackedImage } from './records';
import { BUNDLE_LIMITS } from './zip/limits';
import { openZip } from './zip/read';
import type { ZipArchive } from './zip/read';
import { createZipWriter } from './zip/write';

/** A manifest larger than this is refused before it is parsed (the paper's whole library is ~60 MB of JSON). */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

const encoder = new TextEncoder();

export interface BundleProgress {
  done: number;
  total: number;
  what: string;
}

export interface WriteBundleInput {
  bundleId: string;
  appVersion: string;
  exportedAt: Date;
  scope: Manifest['scope'];
  allAttempts: boolean;
  records: LibraryRecords;
  /** Every image the records refer to, by library id, with its hash and its bytes. */
  images: ReadonlyMap<string, PackedImage & { blob: Blob }>;
}

/** Write a bundle to `sink` in bounded memory (each image is streamed in slices). Returns the manifest written. */
export async function writeBundle(
  sink: (chunk: Uint8Array) => Promise<void>,
  input: WriteBundleInput,
  onProgress: (p: BundleProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<Manifest> {
  const manifest: Manifest = Manifest.parse({
    formatVersion: BUNDLE_FORMAT_VERSION,
    bundleId: input.bundleId,
    app: { name: 'StoryLoom', version: input.appVersion },
    exportedAt: input.exportedAt.toISOString(),
    scope: input.scope,
    allAttempts: input.allAttempts,
    ...recordsForBundle(input.records, input.images),
  });
  const bySha = new Map([...input.images.values()].map((i) => [i.sha256, i]));
  const zip = createZipWriter(sink);
  await zip.add(MIMETYPE_NAME, encoder.encode(BUNDLE_MIMETYPE), { compress: false });
  await zip.add(MANIFEST_NAME, encoder.encode(JSON.stringify(manifest)), { compress: true });
  const total = manifest.images.length;
  for (const [i, image] of manifest.images.entries()) {
    signal?.throwIfAborted();
    const source = bySha.get(image.sha256);
    if (!source) throw new Error(`Image ${image.sha256} is listed but was not given.`);
    // Pictures are already compressed: stored, not deflated again.
    await zip.add(imagePath(image.sha256, image.mime), source.blob, { compress: false });
    onProgress({ done: i + 1, total, what: 'images' });
  }
  await zip.close();
  return manifest;
}

export interface OpenedBundle {
  name: string;
  manifest: Manifest;
  records: LibraryRecords;
  archive: ZipArchive;
}

function refuse(name: string, why: string): never {
  throw new StoryLoomError('unsupported-file', `StoryLoom cannot import “${name}”: ${why}`);
}

// C0 and C1 controls except tab, line feed and carriage return; bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** Every string of the manifest in NFC; a control character anywhere refuses the bundle. */
function normaliseText(value: unknown, name: string, path: string): unknown {
  if (typeof value === 'string') {
    const bad = FORBIDDEN.exec(value);
    if (bad)
      refuse(
        name,
        `its text (${path || 'manifest'}) holds the control character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, which StoryLoom does not accept in text.`,
      );
    return value.normalize('NFC');
  }
  if (Array.isArray(value)) return value.map((v, i) => normaliseText(v, name, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') refuse(name, 'its manifest has a key named "__proto__".');
      out[normaliseText(k, name, path) as string] = normaliseText(v, name, path ? `${path}.${k}` : k);
    }
    return out;
  }
  return value;
}

/**
 * Open and check a bundle. Nothing is written; every refusal is one sentence naming the file and
 * what is wrong. `known` are the character ids of the library (a story may cast them without
 * carrying them).
 */
export async function openBundle(
  file: Blob,
  name: string,
  known: ReadonlySet<string>,
): Promise<OpenedBundle> {
  const archive = await openZip(file, BUNDLE_LIMITS, name);
  const first = archive.entries[0];
  if (!first || first.name !== MIMETYPE_NAME || first.method !== 0)
    refuse(name, 'it is a zip file but not a StoryLoom bundle (its first entry is not a stored “mimetype”).');
  const mimetype = new TextDecoder().decode(await archive.read(MIMETYPE_NAME, { maxBytes: 100 }));
  if (mimetype !== BUNDLE_MIMETYPE)
    refuse(name, `its mimetype is “${mimetype.slice(0, 60)}”, not ${BUNDLE_MIMETYPE}.`);
  const manifestEntry = archive.entry(MANIFEST_NAME);
  if (!manifestEntry) refuse(name, 'it has no manifest.json.');
  if (manifestEntry.size > MAX_MANIFEST_BYTES)
    refuse(
      name,
      `its manifest.json is ${manifestEntry.size.toLocaleString('en')} bytes; at most ${MAX_MANIFEST_BYTES.toLocaleString('en')} are read.`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await archive.read(MANIFEST_NAME)));
  } catch (e) {
    if (e instanceof StoryLoomError) throw e;
    refuse(name, 'its manifest.json is not valid UTF-8 JSON.');
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > BUNDLE_FORMAT_VERSION)
    refuse(
      name,
      `it was made by a newer StoryLoom (bundle format ${version}; this version reads up to ${BUNDLE_FORMAT_VERSION}). Update StoryLoom and try again.`,
    );
  const parsed = Manifest.safeParse(normaliseText(raw, name, ''));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(
      name,
      `its manifest.json is not what a bundle holds (${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}).`,
    );
  }
  const manifest = parsed.data;
  checkNames(archive, manifest, name);
  let records: LibraryRecords;
  try {
    records = readBundleRecords(manifest);
    checkReferences(records, new Set(manifest.images.map((i) => i.sha256)), known);
  } catch (e) {
    if (e instanceof StoryLoomError) refuse(name, lowerFirst(e.message));
    throw e;
  }
  return { name, manifest, records, archive };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** The archive holds exactly mimetype, manifest.json and one file per listed image — nothing else. */
function checkNames(archive: ZipArchive, manifest: Manifest, name: string): void {
  const expected = new Map<string, BundleImage>();
  for (const image of manifest.images) {
    const path = imagePath(image.sha256, image.mime);
    if (expected.has(path)) refuse(name, `its manifest lists the image ${image.sha256} twice.`);
    expected.set(path, image);
  }
  for (const entry of archive.entries) {
    if (entry.name === MIMETYPE_NAME || entry.name === MANIFEST_NAME) continue;
    const image = expected.get(entry.name);
    if (!image)
      refuse(
        name,
        `it holds “${entry.name}”, which its manifest does not list; a bundle holds nothing else.`,
      );
    if (entry.size !== image.bytes)
      refuse(
        name,
        `the image “${entry.name}” is ${entry.size.toLocaleString('en')} bytes but the manifest says ${image.bytes.toLocaleString('en')}.`,
      );
  }
  for (const path of expected.keys())
    if (!archive.entry(path)) refuse(name, `its manifest lists “${path}”, which is not in the file.`);
}

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** One image's bytes, checked against the manifest: exact size and SHA-256. */
export async function readBundleImage(bundle: OpenedBundle, image: BundleImage): Promise<Uint8Array> {
  const path = imagePath(image.sha256, image.mime);
  const bytes = await bundle.archive.read(path, { maxBytes: image.bytes });
  if (bytes.length !== image.bytes || (await sha256Hex(bytes)) !== image.sha256)
    refuse(bundle.name, `the image “${path}” is not the one its name promises (its SHA-256 differs).`);
  return bytes;
}
