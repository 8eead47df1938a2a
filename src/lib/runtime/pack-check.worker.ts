/**
 * A module worker that owns ORT for "Check the pack": sessions open from the bytes stored in
 * OPFS (or the Cache API), on WebGPU or WASM as the probe chose.
 */
import { forceStorage } from '../models/storage';
import { configureRuntime } from './ort-env';
import type { CheckReply, CheckRequest } from '../models/check-protocol';
import { checkPack } from './pack-sessions';

const scope = self as unknown as {
  name: string;
  onmessage: ((e: MessageEvent<CheckRequest>) => void) | null;
  postMessage(message: CheckReply): void;
};

// ORT's WASM threads are workers started from this very bundle (named "em-pthread"): they must
// keep ORT's own message handler, so only the real check worker installs ours.
const isOrtThread = scope.name.startsWith('em-pthread');

if (!isOrtThread)
  scope.onmessage = async (e) => {
    const { id, pack, planInput, storage } = e.data;
    try {
      scope.postMessage({ id, type: 'runtime', runtime: configureRuntime() });
      const checks = await checkPack(forceStorage(storage), pack, planInput, (check) =>
        scope.postMessage({ id, type: 'graph', check }),
      );
      scope.postMessage({ id, type: 'done', checks });
    } catch (error) {
      scope.postMessage({
        id,
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
