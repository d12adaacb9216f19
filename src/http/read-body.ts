import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';
import { freeBuffer, ownsMemory } from '../memory/free-buffer.ts';
import { clientClosed } from '../openai/api-error.ts';
import { answeredOn } from './request-timeout.ts';

// A request body read into one Buffer, with Fastify's limits and errors (413 past the body
// limit, 400 when the Content-Length does not match). Unlike Fastify's reader it copies each
// chunk into a buffer sized from the Content-Length as it arrives and frees the chunk at once,
// instead of keeping every chunk until a final join: a large body never holds two copies, and
// its chunks do not wait for a full garbage collection (src/memory/free-buffer.ts).
//
// Node's HTTP parser hands out each body chunk as a copy of its own, so a lone chunk that is the
// whole body is used as it is; anything that is a view of other memory is copied.

/** `charge` counts each chunk against the budget of bodies in flight (body-budget-hook.ts); an error stops the read. */
export function readBody(
  payload: Readable & { socket?: Socket | null },
  declaredLength: number,
  limit: number,
  done: (err: Error | null, body?: Buffer) => void,
  charge?: (bytes: number) => Error | null,
): void {
  if (declaredLength > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const sized = Number.isSafeInteger(declaredLength) && declaredLength >= 0;
  let body: Buffer | null = null; // with a Content-Length: the whole body, filled as chunks come
  const chunks: Buffer[] = []; // without one (chunked encoding)
  let received = 0;

  const unlisten = () => payload.off('data', onData).off('end', onEnd).off('error', onError);
  const stop = (err: Error) => {
    unlisten();
    if (body) freeBuffer(body);
    chunks.forEach(freeBuffer);
    done(err);
  };

  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const length = bytes.length; // before the chunk is freed
    if (received + length > limit) return stop(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    const refused = charge?.(length);
    if (refused) return stop(refused);
    if (!sized) {
      chunks.push(bytes);
    } else if (received === 0 && length === declaredLength && ownsMemory(bytes)) {
      body = bytes; // the whole body in one chunk of its own
    } else {
      if (received + length > declaredLength) return stop(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      body ??= Buffer.allocUnsafe(declaredLength);
      bytes.copy(body, received);
      freeBuffer(bytes);
    }
    received += length;
  };

  const onEnd = () => {
    unlisten();
    if (sized && received !== declaredLength) return stop(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    if (sized) return done(null, body ?? Buffer.alloc(0));
    const joined = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
    if (chunks.length > 1) chunks.forEach(freeBuffer);
    done(null, joined);
  };

  const onError = (err: Error & { statusCode?: number; code?: string }) => {
    // The connection ended mid-body: cut by Node (the request timeout's 408, a malformed
    // chunk's 400: what the client was told), or closed by the client.
    const answered = answeredOn(payload.socket);
    if (answered) return stop(answered);
    if (err.code === 'ECONNRESET') return stop(clientClosed(err));
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    stop(err);
  };

  payload.on('data', onData).on('end', onEnd).on('error', onError);
  payload.resume();
}
