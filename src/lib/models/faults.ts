import { isDiskFullError } from '../domain/disk-full';
import { StoryLoomError, type ErrorCode } from '../domain/errors';
import { formatBytes } from './progress';

/**
 * Every model fault is a StoryLoomError whose sentence names the file and says what to do next.
 * `fault` is the precise kind for programs; `code` maps it onto the app-wide codes.
 */
export type FaultKind =
  | 'truncated'
  | 'integrity'
  | 'not-onnx'
  | 'missing-file'
  | 'network'
  | 'disk-full'
  | 'quota'
  | 'http'
  | 'storage';

const CODES: Record<FaultKind, ErrorCode> = {
  truncated: 'unsupported-file',
  integrity: 'unsupported-file',
  'not-onnx': 'unsupported-file',
  'missing-file': 'not-found',
  network: 'storage-failed',
  'disk-full': 'quota-exceeded',
  quota: 'quota-exceeded',
  http: 'not-found',
  storage: 'storage-failed',
};

export class ModelFault extends StoryLoomError {
  readonly fault: FaultKind;
  readonly file: string | null;
  /** True when pressing Resume can continue where the transfer stopped. */
  readonly resumable: boolean;
  constructor(
    fault: FaultKind,
    file: string | null,
    message: string,
    options?: { cause?: unknown; resumable?: boolean },
  ) {
    super(CODES[fault], message, options);
    this.fault = fault;
    this.file = file;
    this.resumable = options?.resumable ?? false;
  }
}

export const isModelFault = (e: unknown): e is ModelFault => e instanceof ModelFault;

export const faults = {
  truncated: (file: string, got: number, expected: number) =>
    new ModelFault(
      'truncated',
      file,
      `${file} is truncated: ${formatBytes(got)} of ${formatBytes(expected)} arrived; it was deleted — download it again.`,
    ),
  tooLong: (file: string, got: number, expected: number) =>
    new ModelFault(
      'truncated',
      file,
      `${file} is larger than the pack says (${formatBytes(got)}, expected ${formatBytes(expected)}); it was deleted — download it again.`,
    ),
  integrity: (file: string) =>
    new ModelFault(
      'integrity',
      file,
      `${file} failed its integrity check (SHA-256 differs); it was deleted — download it again.`,
    ),
  notOnnx: (file: string, why: string) =>
    new ModelFault(
      'not-onnx',
      file,
      `${file} is not an ONNX model (${why}); it was deleted — download it again or import the right file.`,
    ),
  network: (file: string, kept: number, cause?: unknown) =>
    new ModelFault(
      'network',
      file,
      `The connection dropped while downloading ${file}; ${formatBytes(kept)} are kept — press Resume to continue from there.`,
      { cause, resumable: true },
    ),
  http: (file: string, status: number) =>
    new ModelFault(
      'http',
      file,
      status === 401 || status === 403
        ? `The Hub refused ${file} (HTTP ${status}): the model may need you to accept its licence on huggingface.co first.`
        : `The Hub answered HTTP ${status} for ${file}; check your connection and press Resume to try again.`,
      { resumable: true },
    ),
  missingOnHub: (file: string, url: string) =>
    new ModelFault(
      'missing-file',
      file,
      `${file} is not in its repository on the Hub (HTTP 404 for ${url}); the pack cannot be installed without it.`,
    ),
  diskFull: (file: string, kept: number, cause?: unknown) =>
    new ModelFault(
      'disk-full',
      file,
      `The disk is full while saving ${file} (${formatBytes(kept)} kept). Free space or delete a pack, then press Resume.`,
      { cause, resumable: true },
    ),
  storage: (file: string, cause?: unknown) =>
    new ModelFault(
      'storage',
      file,
      `StoryLoom could not write ${file} to the browser's storage; reload the page and press Resume.`,
      { cause, resumable: true },
    ),
};

/** A full disk, however it arrived (a DOMException, a plain object from a worker, wrapped as a cause). */
export function isQuotaError(e: unknown, depth = 0): boolean {
  if (isDiskFullError(e)) return true;
  if (e instanceof StoryLoomError) return e.code === 'quota-exceeded';
  const cause = (e as { cause?: unknown } | null)?.cause;
  return depth < 3 && cause !== undefined && isQuotaError(cause, depth + 1);
}
