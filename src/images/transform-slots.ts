import { ApiError } from '../openai/api-error.ts';

// At most N re-encodes at once (libvips already spreads one over its threads; more in
// parallel only adds decoded frames to memory). Waiting here holds no budget bytes beyond
// the image itself, so it cannot deadlock the in-flight budget; a long queue gets 503.

export class TransformSlots {
  readonly size: number;
  readonly waitMs: number;
  #busy = 0;
  #queue: Array<() => void> = [];

  constructor(size: number, waitMs: number) {
    this.size = Math.max(1, size);
    this.waitMs = waitMs;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#enter(signal);
    try {
      return await fn();
    } finally {
      this.#busy--;
      this.#queue.shift()?.();
    }
  }

  #enter(signal?: AbortSignal): Promise<void> {
    if (this.#busy < this.size) {
      this.#busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#busy++;
        resolve();
      };
      const leave = (err: unknown) => {
        const i = this.#queue.indexOf(go);
        if (i >= 0) this.#queue.splice(i, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        reject(err);
      };
      const onAbort = () => leave(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(
        () => leave(new ApiError(503, 'The server is busy converting images; retry shortly.', { type: 'server_error', code: 'images_overloaded', headers: { 'retry-after': '2' } })),
        this.waitMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(go);
    });
  }
}
