import { createParser, type EventSourceMessage } from 'eventsource-parser';

// An upstream SSE body turned into its events, pushed in as bytes arrive (undici's onData) and
// pulled out by one reader with `for await`. Parsing is eventsource-parser's (never a regex).
// This replaces a body stream plus async generators: one promise per event, no stream machinery,
// which is what the time to first byte of every stream pays for.
//
// Flow control: feed() answers false once HIGH_WATER events wait unread, which pauses the
// upstream socket; the reader resumes it when it has caught up. A reader that stops early
// (break, return, a thrown error) cancels the upstream request.

const HIGH_WATER = 64;

export interface SseEventSource {
  /** Restarts a paused upstream body. */
  resume(): void;
  /** Aborts the upstream request: the reader has gone. */
  cancel(reason: Error): void;
}

type Waiter = { resolve: (r: IteratorResult<EventSourceMessage>) => void; reject: (err: unknown) => void };

export class SseEventQueue implements AsyncIterableIterator<EventSourceMessage> {
  private events: EventSourceMessage[] = [];
  private head = 0;
  private waiter: Waiter | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private closed = false;
  private paused = false;
  private readonly parser = createParser({ onEvent: (event) => this.push(event) });
  private readonly decoder = new TextDecoder();
  private readonly source: SseEventSource;

  constructor(source: SseEventSource) {
    this.source = source;
  }

  /** Bytes of the body; false asks the caller to pause until resume(). */
  feed(chunk: Uint8Array): boolean {
    if (this.closed || this.ended) return true;
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    this.paused = this.events.length - this.head >= HIGH_WATER;
    return !this.paused;
  }

  /** The body ended. An event without its closing blank line is dropped, as the SSE spec says. */
  end(): void {
    if (this.closed || this.ended) return;
    const rest = this.decoder.decode();
    if (rest) this.parser.feed(rest);
    this.ended = true;
    this.settleWaiter();
  }

  /** The body failed: the reader gets the events that arrived, then this error. */
  fail(error: unknown): void {
    if (this.closed || this.ended || this.failure) return;
    this.failure = { error };
    this.settleWaiter();
  }

  next(): Promise<IteratorResult<EventSourceMessage>> {
    if (this.head < this.events.length) return Promise.resolve({ value: this.take(), done: false });
    if (this.failure) {
      this.closed = true;
      return Promise.reject(this.failure.error);
    }
    if (this.ended || this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<EventSourceMessage>> {
    if (!this.closed && !this.ended && !this.failure) this.source.cancel(new Error('the reader of the upstream stream stopped'));
    this.closed = true;
    this.events = [];
    this.head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private push(event: EventSourceMessage): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve({ value: event, done: false });
    } else {
      this.events.push(event);
    }
  }

  private take(): EventSourceMessage {
    const event = this.events[this.head++];
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
      if (this.paused) {
        this.paused = false;
        this.source.resume();
      }
    }
    return event;
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    if (this.failure) {
      this.closed = true;
      waiter.reject(this.failure.error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }
}
