import { faults } from './faults';
import type { IncrementalSha256 } from './hash';
import { isOnnxPath, onnxHeaderProblem } from './onnx-header';
import type { PackFile } from './pack-files';
import type { ModelStorage } from './storage';
import { updateVerified, type VerifiedEntry } from './verified';

/**
 * Check a complete `.part` (size, SHA-256, ONNX header) and only then give it its final name and
 * list it in the verified manifest. A part that fails is deleted and the fault names the file.
 */
export async function verifyAndCommit(
  storage: ModelStorage,
  packId: string,
  file: PackFile,
  hasher: IncrementalSha256,
  size: number,
  expectedSize: number,
  source: VerifiedEntry['source'],
): Promise<VerifiedEntry> {
  const reject = async (fault: Error) => {
    await storage.deletePart(file.key);
    throw fault;
  };
  if (size < expectedSize) return reject(faults.truncated(file.label, size, expectedSize));
  if (size > expectedSize) return reject(faults.tooLong(file.label, size, expectedSize));
  const sha256 = hasher.hex();
  if (file.sha256 !== null && sha256 !== file.sha256) return reject(faults.integrity(file.label));
  if (isOnnxPath(file.path)) {
    const head = new Uint8Array(await (await storage.readPart(file.key)).slice(0, 64).arrayBuffer());
    const problem = onnxHeaderProblem(head);
    if (problem) return reject(faults.notOnnx(file.label, problem));
  }
  await storage.commit(file.key);
  const entry: VerifiedEntry = {
    size,
    sha256,
    checked: file.sha256 !== null ? 'sha256' : 'size',
    source,
    at: Date.now(),
  };
  await updateVerified(storage, packId, (m) => {
    m.files[file.label] = entry;
  });
  return entry;
}
