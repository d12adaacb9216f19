import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { ApiError } from '../../openai/api-error.ts';

// An upstream SSE body turned into its events, pushed in as bytes arrive (undici's onData) and
// pulled out by one reader with `for await`. Parsing is eventsource-parser's (never a regex).
// This replaces a body stream plus async generators: one promise per event, no stream machinery,
// which is what the time to first byte of every stream pays for.
//
// Flow control: feed() answers false once HIGH_WATER events (or HIGH_WATER_CHARS of their data)
// wait unread, which pauses the upstream socket; the reader resumes it when it has caught up.
// A reader that stops early (break, return, a thrown error) cancels the upstream request; one
// that stops at the stream's own end marker calls finish() first, which lets the body end on
// its own instead, so its keep-alive connection can carry the next call.
//
// Memory: one event may not grow past maxEventChars (a line never ended, an event never closed
// by its blank line): past it the stream fails with a 502 and the upstream request is cancelled.

const HIGH_WATER = 64;
const HIGH_WATER_CHARS = 1 << 20;
/** The default bound of one event as it is being received; generous for events carrying images. */
export const MAX_EVENT_CHARS = 32 * 1024 * 1024;

export interface SseEventQueueOptions {
  /** The largest event (its buffered lines) accepted, in characters. */
  maxEventChars?: number;
}

export interface SseEventSource {
  /** Restarts a paused upstream body. */
  resume(): void;
  /** Aborts the upstream request: the reader has gone. */
  cancel(reason: Error): void;
  /** An event with content arrived: not a comment, nor Anthropic's `event: ping` heartbeat. */
  received?(): void;
  /**
   * The reader is done and the body may end on its own: read it to its end (keeping the
   * connection), and cancel the request if it does not end soon. Without it, cancel() is used.
   */
  drain?(): void;
}

type Waiter = { resolve: (r: IteratorResult<EventSourceMessage>) => void; reject: (err: unknown) => void };

export class SseEventQueue implements AsyncIterableIterator<EventSourceMessage> {
  private events: EventSourceMessage[] = [];
  private head = 0;
  private waiter: Waiter | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private closed = false;
  private held = false;
  /** Characters of data in the events waiting unread. */
  private queuedChars = 0;
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();
  private readonly source: SseEventSource;

  constructor(source: SseEventSource, options: SseEventQueueOptions = {}) {
    this.source = source;
    const maxEventChars = options.maxEventChars ?? MAX_EVENT_CHARS;
    this.parser = createParser({
      onEvent: (event) => this.push(event),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.overflow(maxEventChars);
        // llama.cpp's server before its PR #16109 (2025-09) sent a failure as a field of its
        // own, `error: {json}`, which SSE ignores: it is read as an `error` event.
        else if (error.type === 'unknown-field' && error.field === 'error') this.push({ event: 'error', data: error.value ?? '' });
      },
      maxBufferSize: maxEventChars,
    });
  }

  /** Bytes of the body; false asks the caller to pause until resume(). */
  feed(chunk: Uint8Array): boolean {
    if (this.closed || this.ended) return true;
    if (this.failure) return false; // failed while bytes still come: nothing more is read
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    if (this.failure) return false;
    this.held = this.events.length - this.head >= HIGH_WATER || this.queuedChars >= HIGH_WATER_CHARS;
    return !this.held;
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

  /**
   * The reader has all it wants (the stream's end marker, `[DONE]`, came) and stops reading.
   * Servers end the body in a write after the marker's, which often arrives a moment later:
   * cancelling then (as a reader that stops does) would cost the connection, and every stream
   * a new one (a TLS handshake before its first token). So the rest is read and dropped; events
   * already waiting after the marker mean the body goes on, and the request is cancelled.
   */
  finish(): void {
    if (this.closed || this.ended || this.failure || this.head < this.events.length) return void this.return();
    this.closed = true;
    if (this.source.drain) this.source.drain();
    else this.source.cancel(new Error('the reader of the upstream stream stopped'));
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
    this.queuedChars = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** feed() has paused the body until the reader catches up. */
  get paused(): boolean {
    return this.held;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private push(event: EventSourceMessage): void {
    // A ping says the connection lives, not that the answer moves: it must not extend the wait.
    if (event.event !== 'ping') this.source.received?.();
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve({ value: event, done: false });
    } else {
      this.events.push(event);
      this.queuedChars += event.data.length;
    }
  }

  /** An event grew past its bound: the reader gets a 502 and the upstream request is cancelled. */
  private overflow(maxEventChars: number): void {
    const error = new ApiError(502, `The upstream sent a stream event larger than ${Math.round(maxEventChars / 1048576)} MiB`, {
      type: 'upstream_error',
      code: 'upstream_event_too_large',
    });
    this.fail(error);
    // Not from inside the transport's data callback that is feeding us.
    queueMicrotask(() => this.source.cancel(error));
  }

  private take(): EventSourceMessage {
    const event = this.events[this.head++];
    this.queuedChars -= event.data.length;
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
      this.queuedChars = 0;
      if (this.held) {
        this.held = false;
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
