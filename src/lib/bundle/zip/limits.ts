/**
 * The limits a zip is held to before a byte of it is trusted. The zip layer is generic: the bundle
 * layer above passes `BUNDLE_LIMITS` (and checks the exact set of names); other importers (CBZ) may
 * pass their own.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ZipLimits {
  /** Most entries in the central directory. */
  maxEntries: number;
  /** Most uncompressed bytes one entry may declare (and hold). */
  maxEntryBytes: number;
  /** Most uncompressed bytes all entries together may declare. */
  maxTotalBytes: number;
  /** Most uncompressed bytes per compressed byte, for entries larger than `ratioFloorBytes`. */
  maxRatio: number;
  /** Entries up to this size are not held to `maxRatio` (a small JSON file compresses very well). */
  ratioFloorBytes: number;
  /** Longest entry name, in UTF-8 bytes. */
  maxNameBytes: number;
  /** May the zip hold folder entries (`name/`, no data)? */
  allowDirectories: boolean;
}

export const BUNDLE_LIMITS: ZipLimits = {
  // The whole library at the paper's scale is one bundle: 2,000 characters × at most 16 reference
  // images (32,000) + 75,000 panels (10,000 stories) × the default gate budget of 6 attempts with
  // every attempt kept (450,000; accepted only: 75,000) + a cover per story that is not a panel's
  // picture (at most 10,000) + mimetype and manifest.json = 492,002. 500,000 holds that (which needs
  // ZIP64: more than 65,535 entries) and is a hard cap: its central directory is ~60 MB to parse,
  // read in one slice. A library kept with larger attempt budgets is exported with accepted panels only.
  maxEntries: 500_000,
  // The largest image a panel can have (a 4096×4096 page at 4 bytes a pixel is 64 MiB, PNG is less).
  maxEntryBytes: 64 * MiB,
  // What a browser can reasonably write to IndexedDB in one import (one transaction). ZIP64 lets an
  // archive be larger, and the writer writes one; the importer still stops here.
  maxTotalBytes: 4 * GiB,
  // PNG, JPEG and WebP are compressed already and stored; deflated JSON reaches 10–20:1. 200:1
  // passes every honest bundle and stops a bomb (deflate reaches 1032:1) long before it hurts.
  maxRatio: 200,
  // Below 1 MiB a high ratio cannot hurt (a manifest of repeated keys compresses 100:1 and more).
  ratioFloorBytes: 1 * MiB,
  // The longest name most file systems accept (ext4, NTFS and APFS all stop at 255).
  maxNameBytes: 255,
  // A bundle is a flat list of files; folders are implied by the names.
  allowDirectories: false,
};
