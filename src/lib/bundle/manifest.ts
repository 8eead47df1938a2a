/**
 * The story bundle's manifest: what a `.storyloom` file holds, as a schema. A bundle is a zip with a
 * stored `mimetype` entry first, `manifest.json`, and one file per image named by its SHA-256
 * (`images/<64 hex>.<png|jpg|webp>`); nothing else. Records keep their own `schemaVersion` (older
 * ones are migrated on import like stored ones); inside a bundle every image reference holds the
 * image's SHA-256 instead of a database id, so a bundle never points outside itself.
 */
import { z } from '../domain/zod';

export const BUNDLE_MIMETYPE = 'application/vnd.storyloom.bundle+zip';
export const BUNDLE_EXTENSION = '.storyloom';
/** Bumped when the bundle's layout changes in a way older readers cannot follow. */
export const BUNDLE_FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';
export const MIMETYPE_NAME = 'mimetype';

/** "The harbour!" → "The-harbour.storyloom". */
export function bundleFileName(title: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[^\w\- ]+/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 60);
  return `${base || 'storyloom'}${BUNDLE_EXTENSION}`;
}

export const BUNDLE_IMAGE_TYPES = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
} as const;
export type BundleImageMime = keyof typeof BUNDLE_IMAGE_TYPES;

const SHA256 = /^[0-9a-f]{64}$/;
export const isSha256 = (s: string): boolean => SHA256.test(s);

export const imagePath = (sha256: string, mime: BundleImageMime): string =>
  `images/${sha256}.${BUNDLE_IMAGE_TYPES[mime]}`;

export const BundleImage = z.object({
  sha256: z.string().regex(SHA256, 'An image is named by its SHA-256: 64 lowercase hexadecimal digits.'),
  mime: z.enum(Object.keys(BUNDLE_IMAGE_TYPES) as [BundleImageMime, ...BundleImageMime[]], {
    error: () => 'Images in a bundle are PNG, JPEG or WebP.',
  }),
  width: z.number().int().min(1).max(16_384),
  height: z.number().int().min(1).max(16_384),
  bytes: z.number().int().min(1),
});
export type BundleImage = z.infer<typeof BundleImage>;

/** A record as it travels: any object with a positive integer schemaVersion; checked by its own schema after migration. */
const Versioned = z.looseObject({
  schemaVersion: z.number().int().min(1),
  id: z.string().min(1).max(200),
});

export const BundleScope = z.enum(['story', 'characters', 'library']);
export type BundleScope = z.infer<typeof BundleScope>;

export const Manifest = z.strictObject({
  formatVersion: z.number().int().min(1),
  /** Identifies this export: importing the same bundle twice is a conflict the artist decides. */
  bundleId: z.string().regex(/^[0-9a-f-]{36}$/, 'The bundle id must be a UUID.'),
  app: z.strictObject({ name: z.literal('StoryLoom'), version: z.string().min(1).max(40) }),
  exportedAt: z.iso.datetime(),
  scope: BundleScope,
  /** Whether every attempt (with its judge report) is included, or only the accepted ones. */
  allAttempts: z.boolean(),
  characters: z.array(Versioned).max(100_000),
  stories: z.array(Versioned).max(100_000),
  panels: z.array(Versioned).max(1_000_000),
  attempts: z.array(Versioned).max(5_000_000),
  images: z.array(BundleImage).max(5_000_000),
});
export type Manifest = z.infer<typeof Manifest>;
