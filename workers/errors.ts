/**
 * One error model in the engine worker: every failure leaves with a code (`device-lost` when the
 * GPU device is gone, else the error's own code, else `engine-failed`) and a sentence.
 */
import { EngineError, type EngineErrorCode } from '../src/lib/pipeline/types';
import { settledLoss } from '../src/lib/runtime/device';

let lostReason: string | null = null;

/** The worker records here that its GPU device was lost (runtime/device.ts tells it). */
export function markDeviceLost(reason: string): void {
  lostReason = reason;
}

const deviceLost = () => lostReason;

const DEVICE_SENTENCE = (why: string) =>
  `The GPU stopped working (${why}); StoryLoom restarts the engine on a fresh device.`;

/** The error a job ends with, coded. */
export function toFailure(e: unknown): EngineError {
  const lost = deviceLost();
  if (lost) return new EngineError('device-lost', DEVICE_SENTENCE(lost), { cause: e });
  if (e instanceof EngineError) return e;
  // A check between the judge's stages (AbortSignal.throwIfAborted): the attempt was cancelled.
  if ((e as { name?: unknown } | null)?.name === 'AbortError')
    return new EngineError(
      'cancelled',
      'The attempt was cancelled while it was being judged; nothing was saved.',
      {
        cause: e,
      },
    );
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const known: EngineErrorCode[] = ['cancelled', 'device-lost', 'invalid-input', 'not-found', 'stopped'];
  return new EngineError(
    typeof code === 'string' && (known as string[]).includes(code)
      ? (code as EngineErrorCode)
      : 'engine-failed',
    message,
    { cause: e },
  );
}

/**
 * After this the worker's GPU device is gone: the run stops and a fresh worker takes over. Asked once
 * the device's loss had time to settle (runtime/device.ts settledLoss: a readback fails first).
 */
export const isDeviceLost = async (e: unknown): Promise<boolean> => {
  if ((e as { code?: unknown } | null)?.code === 'device-lost') return true;
  await settledLoss();
  return deviceLost() !== null;
};
