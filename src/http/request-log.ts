import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { shorten } from '../openai/api-error.ts';

// The one line per request, at info: what was asked, how it ended, and the model and provider
// it went to and the answer's tokens once known (a chat request that failed before it was
// routed names the model it asked for).

export function logRequestLine(request: FastifyRequest, status: number, elapsedMs: number): void {
  writeLine(request, { status }, elapsedMs);
}

/** Requests whose client left and that have their line already. */
const gone = new WeakSet<FastifyRequest>();

/**
 * The line of a request whose client left before its answer was complete (Fastify writes none
 * for a response that never finished): status 499. Written once, by whichever notices first:
 * the chat route's close handler, or the error handler (a body cut off mid-way).
 */
export function logClientGone(request: FastifyRequest, elapsedMs: number): void {
  if (gone.has(request)) return;
  gone.add(request);
  writeLine(request, { status: 499, code: 'client_closed_request' }, elapsedMs);
}

function writeLine(request: FastifyRequest, outcome: { status: number; code?: string }, elapsedMs: number): void {
  if (!(request.log as Logger).isLevelEnabled('info')) return;
  const answer = request.completionLog ?? requestedModel(request.body);
  request.log.info({ method: request.method, path: request.url.split('?')[0], ...outcome, ms: Math.round(elapsedMs), ...answer }, 'request');
}

/** The model a body asked for, cut short: a client may paste anything there (a data URL, say). */
function requestedModel(body: unknown): { model?: string } | null {
  const model = (body as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? { model: shorten(model) } : null;
}
