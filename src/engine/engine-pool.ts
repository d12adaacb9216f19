import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { EngineBusyError, EngineClosedError, InvalidImageError } from './engine-errors.ts';
import type { AnalyseResult, ImageFindings, OcrMode } from './findings.ts';
import type { WorkerTask } from './worker/recognize-worker.ts';

// The recognition workers behind a bounded queue. Piscina runs the threads; the queue is
// kept here rather than in piscina so that a request aborted while waiting just leaves the
// queue, and one aborted while running lets its worker finish (piscina would kill the
// worker, and reloading the models costs a second).

export interface EnginePoolOptions {
  /** Worker threads; default: one per core. */
  threads?: number;
  /**
   * Images waiting beyond the busy workers. A request arriving when the queue is full is
   * refused (EngineBusyError); one admitted brings all its images in, even past the bound.
   */
  maxQueue: number;
  /**
   * A worker failed outside any task (an error thrown in an idle worker). Piscina starts a new
   * one; without a listener, its 'error' event would end the whole process. Default: stderr.
   */
  onWorkerError?: (err: Error) => void;
}

interface Waiting {
  image: Uint8Array;
  ocr: OcrMode;
  resolve(findings: ImageFindings): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

const WORKER_URL = new URL('./worker/recognize-worker.ts', import.meta.url);

export class EnginePool {
  readonly threads: number;
  readonly maxQueue: number;
  private readonly piscina: Piscina<WorkerTask, AnalyseResult | { warm: true }>;
  private readonly readyPromise: Promise<void>;
  private ready = false;
  private closed = false;
  private running = 0;
  private readonly waiting: Waiting[] = [];

  constructor(options: EnginePoolOptions) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    this.maxQueue = options.maxQueue;
    this.piscina = new Piscina({
      filename: WORKER_URL.href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // Workers must keep their event loop turning between tasks (tesseract talks to its
      // own thread through it), so no Atomics.wait idling.
      atomics: 'disabled',
      // Image bytes live outside the JS heap (sharp, wasm); a small young generation keeps
      // each worker's heap from ballooning between collections (RSS budget: 700 MB at 16 requests).
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
    });
    const onWorkerError = options.onWorkerError ?? ((err: Error) => console.error(`recognition worker failed: ${err.stack ?? err.message}`));
    this.piscina.on('error', onWorkerError);
    // One warm-up task per thread: each worker takes one, so all are loaded when all resolve.
    this.readyPromise = Promise.all(Array.from({ length: this.threads }, () => this.piscina.run({ warmup: true }))).then(() => {
      this.ready = true;
      this.pump();
    });
    this.readyPromise.catch(() => undefined);
  }

  isReady(): boolean {
    return this.ready;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  /** Images in the queue plus those being analysed. */
  get load(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.length };
  }

  /** Throws EngineBusyError when new work would have to wait and the queue is full. */
  admit(): void {
    if (this.closed) throw new EngineClosedError('The recognition engine is shut down.');
    const freeNow = this.ready && this.running < this.threads && this.waiting.length === 0;
    if (!freeNow && this.waiting.length >= this.maxQueue) {
      throw new EngineBusyError(`The recognition engine is busy (${this.running} running, ${this.waiting.length} queued); try again shortly.`);
    }
  }

  /** Analyses one image; `admitted` skips the queue check (the caller ran admit() for its batch). */
  analyse(image: Uint8Array, ocr: OcrMode = 'auto', signal?: AbortSignal, admitted = false): Promise<ImageFindings> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      if (admitted && this.closed) throw new EngineClosedError('The recognition engine is shut down.');
      if (!admitted) this.admit();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<ImageFindings>((resolve, reject) => {
      const entry: Waiting = { image, ocr, resolve, reject, signal };
      if (signal) {
        entry.onAbort = () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    while (this.ready && !this.closed && this.running < this.threads && this.waiting.length) {
      const entry = this.waiting.shift()!;
      this.running++;
      // A private copy: the caller's bytes may sit in a shared Buffer pool, this one is transferred.
      const image = new Uint8Array(entry.image);
      this.piscina
        .run({ image, ocr: entry.ocr }, { transferList: [image.buffer] })
        .then(
          (result) => {
            if ('warm' in result) throw new Error('unexpected warm-up answer');
            if (result.ok) entry.resolve(result.findings);
            else if (result.error === 'invalid_image') entry.reject(new InvalidImageError(result.message));
            else entry.reject(new Error(`recognition failed: ${result.message}`));
          },
          (err: unknown) => entry.reject(err),
        )
        .finally(() => {
          if (entry.signal && entry.onAbort) entry.signal.removeEventListener('abort', entry.onAbort);
          this.running--;
          this.pump();
        });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.waiting.splice(0)) entry.reject(new EngineClosedError('The recognition engine is shut down.'));
    await this.readyPromise.catch(() => undefined);
    await this.piscina.destroy();
  }
}
