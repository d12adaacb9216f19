import { ApiError } from '../openai/api-error.ts';

// Bounds the bytes of images held by requests in flight (images.inflight_bytes). A request
// that would go over waits briefly for others to finish, then gets 503 with Retry-After:
// the server sheds load instead of running out of memory. Each request holds a Lease and
// gives everything back at once when it is done.

export interface Lease {
  /** Waits until the bytes fit, or throws ApiError 503. Returns at once after release(). */
  acquire(bytes: number, signal?: AbortSignal): Promise<void>;
  /** Counts bytes that already exist (an encoded result, a cached buffer): never waits. */
  charge(bytes: number): void;
  /** Gives back part of what this lease holds (a transient buffer freed early). */
  giveBack(bytes: number): void;
  /** Gives back everything; later acquires are no-ops. Idempotent. */
  release(): void;
  readonly held: number;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class InflightBudget {
  readonly total: number;
  readonly waitMs: number;
  readonly #overloaded: () => ApiError;
  #used = 0;
  #queue: Waiter[] = [];

  /** `overloaded` makes the error a waiter gets when `waitMs` pass without room. */
  constructor(total: number, waitMs: number, overloaded: () => ApiError = overloadedError) {
    this.total = total;
    this.waitMs = waitMs;
    this.#overloaded = overloaded;
  }

  get used(): number {
    return this.#used;
  }

  lease(): Lease {
    let held = 0;
    let released = false;
    const budget = this;
    return {
      get held() {
        return held;
      },
      async acquire(bytes, signal) {
        // One image larger than the whole budget may still run alone.
        const n = Math.min(Math.max(0, Math.ceil(bytes)), budget.total);
        if (released || n === 0) return;
        await budget.#take(n, signal);
        if (released) {
          budget.#give(n); // released while waiting: the request is over
          return;
        }
        held += n;
      },
      charge(bytes) {
        const n = Math.max(0, Math.ceil(bytes));
        if (released || n === 0) return;
        budget.#used += n;
        held += n;
      },
      giveBack(bytes) {
        const n = Math.min(held, Math.max(0, Math.ceil(bytes)));
        held -= n;
        budget.#give(n);
      },
      release() {
        if (released) return;
        released = true;
        budget.#give(held);
        held = 0;
      },
    };
  }

  #take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.#queue.length === 0 && this.#used + n <= this.total) {
      this.#used += n;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes: n,
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const leave = (err: unknown) => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        reject(err);
        this.#drain(); // a large waiter leaving may unblock smaller ones behind it
      };
      const onAbort = () => leave(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(() => leave(this.#overloaded()), this.waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
    this.#drain();
  }

  /** First come, first served: a big waiter is not starved by a stream of small ones. */
  #drain(): void {
    while (this.#queue.length > 0 && this.#used + this.#queue[0].bytes <= this.total) {
      const next = this.#queue.shift()!;
      this.#used += next.bytes;
      next.grant();
    }
  }
}

function overloadedError(): ApiError {
  return new ApiError(503, 'The server is busy processing images; retry shortly.', {
    type: 'server_error',
    code: 'images_overloaded',
    headers: { 'retry-after': '1' },
  });
}
