/**
 * Checks a reference image before anything is stored: what it really is (magic bytes, not the
 * name), how big it is, whether it decodes, and its pixel size.
 */
import { REFERENCE_IMAGE, StoryLoomError } from '../domain';
import { readImageHeader, sniffMime } from './image-header';
import type { ImageMime } from './image-header';

export interface CheckedImage {
  mime: ImageMime;
  width: number;
  height: number;
  bytes: number;
}

/** Decodes and returns the pixel size; throws when the browser cannot decode the file. */
export type DecodeSize = (file: Blob) => Promise<{ width: number; height: number }>;

const ALLOWED: readonly string[] = REFERENCE_IMAGE.mimeTypes;

export async function checkReferenceImage(
  file: Blob,
  decode: DecodeSize | null = browserDecoder(),
): Promise<CheckedImage> {
  const label = fileLabel(file);
  if (file.type && !ALLOWED.includes(file.type)) throw notAnImage(label);
  if (file.size > REFERENCE_IMAGE.maxBytes) {
    throw new StoryLoomError(
      'file-too-large',
      `${label} is ${megabytes(file.size)} MB; reference images may be at most ${megabytes(REFERENCE_IMAGE.maxBytes)} MB.`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const mime = sniffMime(bytes);
  if (!mime) throw notAnImage(label);
  const size = await pixelSize(file, bytes, mime, label, decode);
  checkSides(label, size);
  return { mime, ...size, bytes: file.size };
}

async function pixelSize(
  file: Blob,
  bytes: Uint8Array,
  mime: ImageMime,
  label: string,
  decode: DecodeSize | null,
): Promise<{ width: number; height: number }> {
  if (decode) {
    try {
      return await decode(file.type === mime ? file : file.slice(0, file.size, mime));
    } catch (e) {
      throw damaged(label, mime, e);
    }
  }
  const header = readImageHeader(bytes);
  if (!header) throw damaged(label, mime);
  return { width: header.width, height: header.height };
}

function checkSides(label: string, size: { width: number; height: number }): void {
  const { minSide, maxSide } = REFERENCE_IMAGE;
  const sides = [size.width, size.height];
  if (sides.every((side) => side >= minSide && side <= maxSide)) return;
  throw new StoryLoomError(
    'unsupported-file',
    `${label} is ${size.width} × ${size.height} pixels; reference images must be ${minSide} to ${maxSide} pixels on each side.`,
  );
}

export function browserDecoder(): DecodeSize | null {
  if (typeof createImageBitmap !== 'function') return null;
  return async (file) => {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  };
}

function notAnImage(label: string): StoryLoomError {
  return new StoryLoomError(
    'unsupported-file',
    `${label} is not an image StoryLoom can use: choose a PNG, JPEG or WebP file.`,
  );
}

function damaged(label: string, mime: ImageMime, cause?: unknown): StoryLoomError {
  const kind = mime.slice('image/'.length).toUpperCase();
  return new StoryLoomError(
    'unsupported-file',
    `${label} looks like a ${kind} but could not be decoded; it may be damaged. Choose another PNG, JPEG or WebP file.`,
    { cause },
  );
}

function fileLabel(file: Blob): string {
  const name = (file as Partial<File>).name;
  return name ? `“${name}”` : 'This file';
}

const megabytes = (bytes: number): string => {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? String(mb) : mb.toFixed(1);
};
