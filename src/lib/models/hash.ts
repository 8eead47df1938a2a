import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** An incremental SHA-256: fed chunk by chunk while bytes arrive, never held whole in memory. */
export class IncrementalSha256 {
  #hash = sha256.create();
  #bytes = 0;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  /** Start over (the server would not continue a range). */
  reset(): void {
    this.#hash = sha256.create();
    this.#bytes = 0;
  }

  get bytes(): number {
    return this.#bytes;
  }

  hex(): string {
    return bytesToHex(this.#hash.digest());
  }
}

/** Feed a stream of bytes into a hasher (used to re-hash a .part after a reload, and imports). */
export async function hashStream(
  stream: ReadableStream<Uint8Array>,
  hasher = new IncrementalSha256(),
  onBytes?: (n: number) => void,
  onChunk?: (chunk: Uint8Array) => Promise<void>,
): Promise<IncrementalSha256> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return hasher;
    hasher.update(value);
    if (onChunk) await onChunk(value);
    onBytes?.(value.byteLength);
  }
}

export async function sha256Hex(data: Blob | Uint8Array): Promise<string> {
  const blob = data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]);
  return (await hashStream(blob.stream())).hex();
}
