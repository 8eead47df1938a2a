/**
 * One error model in the engine worker: every failure leaves with a code (`device-lost` when the
 * GPU device is gone, else the error's own code, else `engine-failed`) and a sentence.
 */
let lostReason: string | null = null;

/** The worker records here that its GPU device was lost (runtime/device.ts tells it). */
export function markDeviceLost(reason: string): void {
  lostReason = reason;
}

const deviceLost = () => lostReason;

export type EngineFailureCode =
  'cancelled' | 'device-lost' | 'engine-failed' | 'invalid-input' | 'not-found' | 'stopped';

export class EngineFailure extends Error {
  readonly code: EngineFailureCode;
  constructor(code: EngineFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

const DEVICE_SENTENCE = (why: string) =>
  `The GPU stopped working (${why}); StoryLoom restarts the engine on a fresh device.`;

/** The error a job ends with, coded. */
export function toFailure(e: unknown): EngineFailure {
  const lost = deviceLost();
  if (lost) return new EngineFailure('device-lost', DEVICE_SENTENCE(lost), { cause: e });
  if (e instanceof EngineFailure) return e;
  // A check between the judge's stages (AbortSignal.throwIfAborted): the attempt was cancelled.
  if ((e as { name?: unknown } | null)?.name === 'AbortError')
    return new EngineFailure(
      'cancelled',
      'The attempt was cancelled while it was being judged; nothing was saved.',
      {
        cause: e,
      },
    );
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const known: EngineFailureCode[] = ['cancelled', 'device-lost', 'invalid-input', 'not-found', 'stopped'];
  return new EngineFailure(
    typeof code === 'string' && (known as string[]).includes(code)
      ? (code as EngineFailureCode)
      : 'engine-failed',
    message,
    { cause: e },
  );
}

/** After this the worker's GPU device is gone: the run stops and a fresh worker takes over. */
export const isDeviceLost = (e: unknown): boolean =>
  deviceLost() !== null || (e as { code?: unknown } | null)?.code === 'device-lost';
