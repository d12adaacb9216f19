import { createHash } from 'node:crypto';
import type { ImageDetail } from '../openai/types.ts';

// Descriptions of images already analysed, keyed by what determines them: the image's
// bytes (sha256), the analysis model, the exact prompt and the detail it was seen at (`low`
// is sent at 512 px, where small print is lost). A conversation that resends its history
// therefore pays for each image once.

export interface CachedDescription {
  text: string;
  model: string;
}

export interface DescriptionCache {
  get(key: string): Promise<CachedDescription | undefined>;
  set(key: string, value: CachedDescription): Promise<void>;
  close?(): Promise<void>;
}

export function descriptionKey(imageSha256: string, model: string, prompt: string, detail?: ImageDetail): string {
  // Unset detail is `auto` (as OpenAI reads it), and keeps the key it had before detail counted.
  const seenAt = detail === undefined || detail === 'auto' ? '' : `\n${detail}`;
  return createHash('sha256').update(`${imageSha256}\n${model}\n${prompt}${seenAt}`).digest('hex');
}

/** Bounded LRU in memory: a Map keeps insertion order, so re-inserting on read marks recency. */
export class MemoryDescriptionCache implements DescriptionCache {
  private readonly entries = new Map<string, CachedDescription>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<CachedDescription | undefined> {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  async set(key: string, value: CachedDescription): Promise<void> {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** Memory first, then the shared tier (Redis); a shared hit is kept in memory too. */
export class TieredDescriptionCache implements DescriptionCache {
  private readonly near: DescriptionCache;
  private readonly far: DescriptionCache;

  constructor(near: DescriptionCache, far: DescriptionCache) {
    this.near = near;
    this.far = far;
  }

  async get(key: string): Promise<CachedDescription | undefined> {
    const near = await this.near.get(key);
    if (near) return near;
    const far = await this.far.get(key);
    if (far) await this.near.set(key, far);
    return far;
  }

  async set(key: string, value: CachedDescription): Promise<void> {
    await Promise.all([this.near.set(key, value), this.far.set(key, value)]);
  }

  async close(): Promise<void> {
    await Promise.all([this.near.close?.(), this.far.close?.()]);
  }
}
