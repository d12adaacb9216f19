// A least-recently-used cache bounded by the bytes of its values, with per-entry expiry.
// Map iteration order is insertion order, so re-inserting on read keeps the oldest first.

interface Entry<V> {
  value: V;
  size: number;
  expiresAt: number;
}

export class LruByteCache<V> {
  readonly maxBytes: number;
  #bytes = 0;
  #entries = new Map<string, Entry<V>>();
  #now: () => number;

  constructor(maxBytes: number, now: () => number = Date.now) {
    this.maxBytes = maxBytes;
    this.#now = now;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) {
      this.#bytes -= entry.size;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Values larger than a quarter of the cache are not kept: one would flush everything else. */
  set(key: string, value: V, size: number, ttlMs = Infinity): void {
    this.delete(key);
    if (ttlMs <= 0 || size > this.maxBytes / 4) return;
    this.#entries.set(key, { value, size, expiresAt: this.#now() + ttlMs });
    this.#bytes += size;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.size;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }
}
