import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatBytes } from '../format-bytes.ts';
import { ApiError } from '../openai/api-error.ts';

// Request bodies are read whole before a request is handled (the JSON parser cuts data URLs
// out of them and the upstream body reuses their bytes), and they stay in memory until the
// response ends. This bounds the bytes of bodies held at once across requests: past the bound
// a request is turned away with 503 and Retry-After (which the openai SDKs honour) instead of
// growing memory without limit. Bytes count as they arrive, so a body declared but not sent
// holds nothing, and a chunked body (no Content-Length) counts as one with it. A Content-Length
// that would not fit is refused before a byte is read. A request is always let in when no other
// body is held, so any body under limits.max_body_bytes can pass.

declare module 'fastify' {
  interface FastifyRequest {
    /** What this request's body holds of the budget; null for a request without a body. */
    bodyCharge: BodyCharge | null;
  }
}

export interface BodyCharge {
  /** Counts `bytes` more of this body; an error (503) when the budget cannot take them. */
  add(bytes: number): ApiError | null;
}

export function createBodyBudgetHook(maxBytes: number) {
  let held = 0;
  const busy = () =>
    new ApiError(503, `The server is busy receiving other requests (${formatBytes(held)} of bodies in flight); retry shortly.`, {
      type: 'server_error',
      code: 'server_busy',
      headers: { 'retry-after': '1' },
    });

  // Callback-style: an async hook costs a promise and a microtask on every request.
  return function admitBody(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const declared = Number(request.headers['content-length']);
    const sized = declared > 0;
    if (!sized && request.headers['transfer-encoding'] === undefined) return done();
    if (sized && held > 0 && held + declared > maxBytes) return done(busy());
    let mine = 0;
    request.bodyCharge = {
      add(bytes) {
        if (held > mine && held + bytes > maxBytes) return busy();
        held += bytes;
        mine += bytes;
        return null;
      },
    };
    // 'close' comes once the response is finished or the connection is gone, whichever is first.
    reply.raw.once('close', () => {
      held -= mine;
      mine = 0;
    });
    done();
  };
}
