import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * The one line per request, at info: what was asked, how it ended, and the answer's model and
 * tokens once known (a request whose client left before its answer names the model it asked for).
 */
export function logRequestLine(request: FastifyRequest, status: number, elapsedMs: number): void {
  if (!(request.log as Logger).isLevelEnabled('info')) return;
  const answer = request.completionLog ?? requestedModel(request.body);
  request.log.info({ method: request.method, path: request.url.split('?')[0], status, ms: Math.round(elapsedMs), ...answer }, 'request');
}

function requestedModel(body: unknown): { model?: string } | null {
  const model = (body as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? { model } : null;
}
