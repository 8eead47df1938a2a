/**
 * Caches encoder states per chunk key so that a panel re-encodes only the chunks that changed.
 * The encoder itself is injected (the pipeline passes the text-encoder session), which keeps this pure.
 */
export interface ChunkEncoder<S> {
  encode(text: string): Promise<S>;
}

export class EncoderCache<S> {
  readonly #encoder: ChunkEncoder<S>;
  readonly #limit: number;
  readonly #dispose: (states: S) => void;
  readonly #entries = new Map<string, Promise<S>>();
  #encodeCount = 0;

  constructor(encoder: ChunkEncoder<S>, options: { limit?: number; dispose?: (states: S) => void } = {}) {
    this.#encoder = encoder;
    this.#limit = options.limit ?? 64;
    this.#dispose = options.dispose ?? (() => {});
  }

  /** How many times the encoder actually ran (tests count re-encodes with this). */
  get encodeCount(): number {
    return this.#encodeCount;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, text: string): Promise<S> {
    const hit = this.#entries.get(key);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    this.#encodeCount++;
    const pending = this.#encoder.encode(text);
    this.#entries.set(key, pending);
    // A failed encode must not poison the cache.
    pending.catch(() => this.#entries.delete(key));
    this.#evict();
    return pending;
  }

  #evict(): void {
    while (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value as string;
      const entry = this.#entries.get(oldest);
      this.#entries.delete(oldest);
      entry?.then(this.#dispose, () => {});
    }
  }

  clear(): void {
    for (const entry of this.#entries.values()) entry.then(this.#dispose, () => {});
    this.#entries.clear();
  }
}
