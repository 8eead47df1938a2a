/**
 * HTTP Range handling for resumable downloads (RFC 9110 §14). Pure: no fetch here.
 */

/** The header that asks for the rest of a file from `offset` on. */
export function rangeHeader(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new RangeError(`A range offset must be a whole number ≥ 0, got ${offset}`);
  return `bytes=${offset}-`;
}

/** Parse `Range: bytes=N-` (the only form we send); null for anything else. */
export function parseRangeHeader(
  value: string | null | undefined,
): { start: number; end: number | null } | null {
  const m = /^bytes=(\d+)-(\d*)$/.exec((value ?? '').trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : null;
  if (end !== null && end < start) return null;
  return { start, end };
}

export interface ContentRange {
  start: number;
  end: number;
  /** Full length of the file, or null when the server wrote `*`. */
  size: number | null;
}

/** Parse `Content-Range: bytes 100-199/1000`; null when absent or malformed. */
export function parseContentRange(value: string | null | undefined): ContentRange | null {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec((value ?? '').trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return null;
  return { start, end, size: m[3] === '*' ? null : Number(m[3]) };
}

export function contentRangeHeader(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/**
 * What to do with a response to a (possibly ranged) request.
 * - append: the body continues the bytes we have (206 from `offset`, or 200 when we asked from 0)
 * - restart: the server ignored the range (200) or sent another part: throw away the partial bytes
 * - complete: 416 with the full size equal to what we have: nothing left to fetch
 * - error: anything else (with the status for the message)
 */
export type RangeDecision =
  | { kind: 'append'; offset: number }
  | { kind: 'restart'; reason: string }
  | { kind: 'complete' }
  | { kind: 'error'; status: number };

export function decideRangeResponse(
  status: number,
  contentRange: string | null,
  offset: number,
  expectedSize: number,
): RangeDecision {
  if (status === 200) {
    if (offset === 0) return { kind: 'append', offset: 0 };
    return { kind: 'restart', reason: `the server ignored the range request (answered 200, not 206)` };
  }
  if (status === 206) {
    const range = parseContentRange(contentRange);
    if (!range)
      return { kind: 'restart', reason: 'the server answered 206 without a readable Content-Range' };
    if (range.size !== null && range.size !== expectedSize)
      return {
        kind: 'restart',
        reason: `the file on the server is ${range.size} bytes, not the ${expectedSize} expected`,
      };
    if (range.start !== offset)
      return { kind: 'restart', reason: `the server sent bytes from ${range.start}, not from ${offset}` };
    return { kind: 'append', offset };
  }
  if (status === 416) {
    const range = /\/(\d+)$/.exec(contentRange ?? '');
    if (range && Number(range[1]) === offset && offset === expectedSize) return { kind: 'complete' };
    return { kind: 'restart', reason: 'the server could not serve the range we asked for (416)' };
  }
  return { kind: 'error', status };
}
