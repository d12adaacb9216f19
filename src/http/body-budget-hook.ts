import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatBytes } from '../format-bytes.ts';
import { ApiError } from '../openai/api-error.ts';

// Request bodies are read whole before a request is handled (the JSON parser cuts data URLs
// out of them and the upstream body reuses their bytes), and they stay in memory until the
// response ends. This bounds the bytes of bodies held at once across requests, by their
// Content-Length, before a byte is read: past the bound a request is turned away with 503 and
// Retry-After (which the openai SDKs honour) instead of growing memory without limit. A request
// is always let in when no other body is held, so any body under limits.max_body_bytes can pass.
// Bodies without a Content-Length (chunked) are bounded only by limits.max_body_bytes.

export function createBodyBudgetHook(maxBytes: number) {
  let held = 0;
  // Callback-style: an async hook costs a promise and a microtask on every request.
  return function admitBody(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const declared = Number(request.headers['content-length']);
    if (!(declared > 0)) return done();
    if (held > 0 && held + declared > maxBytes) {
      done(
        new ApiError(503, `The server is busy receiving other requests (${formatBytes(held)} of bodies in flight); retry shortly.`, {
          type: 'server_error',
          code: 'server_busy',
          headers: { 'retry-after': '1' },
        }),
      );
      return;
    }
    held += declared;
    // 'close' comes once the response is finished or the connection is gone, whichever is first.
    reply.raw.once('close', () => {
      held -= declared;
    });
    done();
  };
}
