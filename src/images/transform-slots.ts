import { ApiError } from '../openai/api-error.ts';
import { InflightBudget } from './inflight-budget.ts';

// At most N re-encodes at once (libvips already spreads one over its threads; more in
// parallel only adds decoded frames to memory). Waiting here holds no budget bytes beyond
// the image itself, so it cannot deadlock the in-flight budget; a long queue gets 503.
// The waiting is the in-flight budget's own queue, counting slots instead of bytes.

export class TransformSlots {
  readonly size: number;
  readonly waitMs: number;
  readonly #slots: InflightBudget;

  constructor(size: number, waitMs: number) {
    this.size = Math.max(1, size);
    this.waitMs = waitMs;
    this.#slots = new InflightBudget(this.size, waitMs, busyConverting);
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted(); // a free slot would otherwise start work for a request already gone
    const slot = this.#slots.lease();
    await slot.acquire(1, signal);
    try {
      return await fn();
    } finally {
      slot.release();
    }
  }
}

function busyConverting(): ApiError {
  return new ApiError(503, 'The server is busy converting images; retry shortly.', {
    type: 'server_error',
    code: 'images_overloaded',
    headers: { 'retry-after': '2' },
  });
}
