/**
 * A cheap look at the first bytes of a file claimed to be ONNX. A ModelProto starts with
 * field 1 (ir_version, varint: tag 0x08) in every exporter we know; the real proof is ORT
 * opening it, which "Check the pack" does. This catches the common wrong files: HTML error
 * pages, JSON, and Git LFS pointer files.
 */
export function onnxHeaderProblem(head: Uint8Array): string | null {
  if (head.length < 4) return 'it is too short to be a model';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, Math.min(64, head.length)));
  if (text.startsWith('version https://git-lfs')) return 'it is a Git LFS pointer, not the file itself';
  if (/^\s*</.test(text)) return 'it is an HTML or XML page';
  if (/^\s*[{[]/.test(text)) return 'it is a JSON file';
  // ir_version is a small varint (3..15 today); protobuf writers put it first.
  const tag = head[0];
  const version = head[1] ?? 0;
  if (tag !== 0x08 || version < 1 || version > 0x40) return 'it does not start with an ONNX protobuf header';
  return null;
}

export const isOnnxPath = (path: string): boolean => path.endsWith('.onnx');
