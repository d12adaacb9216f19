import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../openai/api-error.ts';
import { markTimedOut, requestTimedOut } from './request-timeout.ts';

// The one place where anything thrown becomes an OpenAI-shaped error on the wire, and where a
// request too malformed for Node's HTTP parser gets one too.

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'The request body is too large.', { type: 'invalid_request_error', code: 'request_too_large' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, `We could not parse the JSON body of your request. (${fe.message})`, { code: 'invalid_json' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, "Unsupported content type: send 'Content-Type: application/json'.", { code: 'unsupported_media_type' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'The Content-Length header does not match the body.', { code: 'invalid_content_length' });
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return new ApiError(400, `We could not parse the JSON body of your request. (${err.message})`, { code: 'invalid_json' });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, fe.message ?? 'Bad request.');
  }
  return new ApiError(500, 'The server had an error while processing your request.', { type: 'server_error', cause: err });
}

/**
 * One log line per failed request. A failure Iris mapped itself (an upstream's 502, 503 or 504,
 * an overload) is expected in operation: a warning with its status and code, no stack (under
 * load those stacks were most of the log). Only what Iris did not foresee, a 500, is an error
 * with its stack. Client mistakes (4xx) are info.
 */
export function logFailure(log: FastifyBaseLogger, err: unknown, apiError: ApiError, message: string): void {
  const fields = { status: apiError.status, code: apiError.code, type: apiError.type };
  if (apiError.status < 500) log.info({ ...fields, param: apiError.param }, message);
  else if (err instanceof ApiError && apiError.status !== 500) log.warn(fields, message);
  else log.error({ err, status: apiError.status }, message);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    logFailure(request.log, err, apiError, apiError.message);
    // Refused before its body was read (a wrong key, a full body budget): the rest of the body
    // would have to arrive before the connection could carry another request, and a client
    // that never sends it would hold the socket until the request timeout. Close it instead.
    if (!request.raw.complete && hasBody(request.headers)) reply.header('connection', 'close');
    void reply.code(apiError.status).headers(apiError.headers).send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const err = new ApiError(404, `Unknown request URL: ${request.method} ${path}.${hintFor(path)}`, { code: 'unknown_url' });
    void reply.code(404).send(err.toBody());
  });
}

function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * Clients that default to OpenAI's Responses API (the AI SDK's `openai(model)`, LangChain's
 * ChatOpenAI for some models and tools) reach a URL Iris does not serve: say what to use instead.
 */
function hintFor(path: string): string {
  if (!/^\/v1\/responses(\/|$)/.test(path)) return '';
  return " Iris serves OpenAI's Chat Completions API (POST /v1/chat/completions), not the Responses API: set your client to use Chat Completions.";
}

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refuses (a bad request line, a body
 * longer than its Content-Length, headers too large, too slow) never reaches a route, so it is
 * answered here, on the socket, in OpenAI's error shape instead of Fastify's.
 */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') markTimedOut(socket);
  // A response has begun on this socket (a pipelined request behind it failed): bytes written
  // now would land inside it. Only closing is left.
  if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent) {
    socket.destroy(err);
    return;
  }
  const apiError =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimedOut()
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError(431, 'The request headers are too large.', { type: 'invalid_request_error', code: 'headers_too_large' })
        : new ApiError(400, 'The HTTP request is malformed.', { type: 'invalid_request_error', code: 'invalid_http_request' });
  // Only the code: Node's parser errors carry the raw request bytes (keys, image data).
  this.log.debug({ code: err.code, status: apiError.status }, 'client error');
  const body = JSON.stringify(apiError.toBody());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
