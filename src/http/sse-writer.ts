import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import { stringifyAnswer } from '../json/stringify-answer.ts';
import type { ChatCompletionChunk } from '../openai/types.ts';
import { clientErrorBody, logFailure, toApiError } from './error-handler.ts';

// Writes chunks as server-sent events, then `data: [DONE]`. The first chunk is awaited before
// any header goes out, so an early failure is still an ordinary HTTP error. A failure after
// that becomes an `error` event and the stream ends: the client never hangs.
//
// One exception: when the chat core asks to hold the stream open (analysis mode describing
// images before the first chunk), each interval that passes without a chunk sends the
// headers (once) and an SSE comment, so proxies do not time the connection out.

/** Connects the chat core's CallContext.keepAlive to the writer of one response. */
export class HoldOpen {
  private listener: ((intervalMs: number) => void) | null = null;
  private pending: number | null = null;

  /** For CallContext.keepAlive. */
  readonly request = (intervalMs: number): void => {
    if (this.listener) this.listener(intervalMs);
    else this.pending = intervalMs;
  };

  listen(listener: (intervalMs: number) => void): void {
    this.listener = listener;
    if (this.pending !== null) listener(this.pending);
  }
}

export interface EventStreamOptions {
  /** The client has gone (or its socket has). */
  isClientGone: () => boolean;
  holdOpen?: HoldOpen;
  /** A client that leaves what was sent unread this long is cut off (see drained()). */
  readTimeoutMs: number;
}

export async function sendEventStream(
  reply: FastifyReply,
  chunks: AsyncIterable<ChatCompletionChunk>,
  { isClientGone, holdOpen, readTimeoutMs }: EventStreamOptions,
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  const res = reply.raw;
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    reply.hijack();
    // A hijacked reply sends none of the headers hooks set on it (request id, CORS): carry them.
    // No Connection header of its own: node:http writes keep-alive or close as the client asked
    // and as it will do, where a `keep-alive` here would keep a connection the client closes.
    res.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
  };
  let keepAlive: NodeJS.Timeout | undefined;
  holdOpen?.listen((intervalMs) => {
    keepAlive ??= setInterval(() => {
      if (res.destroyed) return;
      start();
      res.write(': keep-alive\n\n');
    }, intervalMs);
  });

  let first: IteratorResult<ChatCompletionChunk>;
  try {
    first = await iterator.next();
  } catch (err) {
    if (!started) throw err;
    failStream(reply, err, isClientGone);
    res.end();
    return;
  } finally {
    clearInterval(keepAlive);
  }
  start();
  try {
    let step = first;
    for (; !step.done; step = await iterator.next()) {
      // A client that has gone takes nothing more: a write to its closed response would wait
      // for a drain that never comes, and hold the stream (and what it holds) forever.
      if (isClientGone()) break;
      if (!res.write(`data: ${stringifyAnswer(step.value)}\n\n`)) await drained(reply, readTimeoutMs);
    }
    if (isClientGone()) {
      if (!step.done) await iterator.return?.();
    } else {
      res.write('data: [DONE]\n\n');
    }
  } catch (err) {
    failStream(reply, err, isClientGone);
    await iterator.return?.();
  } finally {
    res.end();
  }
}

function failStream(reply: FastifyReply, err: unknown, isClientGone: () => boolean): void {
  if (isClientGone()) return; // its request line says 499 (routes/chat-completions.ts)
  const apiError = toApiError(err);
  logFailure(reply.request.log, err, apiError, `stream failed after it started: ${apiError.message}`);
  reply.raw.write(`data: ${JSON.stringify(clientErrorBody(reply.server, apiError))}\n\n`);
}

/**
 * Waits until the client has taken what was written. One that takes nothing for `timeoutMs`
 * is cut off: it would otherwise hold the upstream call (paused behind it) for ever.
 */
function drained(reply: FastifyReply, timeoutMs: number): Promise<void> {
  const res = reply.raw;
  // 'close' may have come already: then no event is left to wait for.
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const stalled = setTimeout(() => {
      reply.request.log.warn({ timeout_ms: timeoutMs }, 'the client read nothing of its stream in time: cut off');
      res.destroy();
    }, timeoutMs);
    const done = () => {
      clearTimeout(stalled);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
