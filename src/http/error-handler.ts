import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../openai/api-error.ts';
import { rootCause } from '../root-cause.ts';
import type { OpenAIErrorBody } from '../openai/types.ts';
import type { SecretRedactor } from '../telemetry/secret-redactor.ts';
import { lingerOnClose } from './linger-close.ts';
import { logClientGone } from './request-log.ts';
import { markAnswered, requestTimedOut } from './request-timeout.ts';

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
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'The request URL is malformed (a bad percent-encoding).', { code: 'invalid_url' });
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
declare module 'fastify' {
  interface FastifyInstance {
    /** The credentials Iris holds for upstreams (secret-redactor.ts). */
    secrets: SecretRedactor;
  }
}

/**
 * An error as its client gets it, with any credential Iris holds for an upstream masked: an
 * upstream's error text, passed on, may quote the key it was sent.
 */
export function clientErrorBody(app: FastifyInstance, error: ApiError): OpenAIErrorBody {
  const body = error.toBody();
  if (app.secrets.empty) return body;
  // An upstream's error may quote a credential in any field it gave: its code and param too.
  const { secrets } = app;
  const { message, type, code, param } = body.error;
  const masked = (value: string | null) => (value === null ? null : secrets.redact(value));
  return { error: { message: secrets.redact(message), type, param: masked(param), code: masked(code) } };
}

export function logFailure(log: FastifyBaseLogger, err: unknown, apiError: ApiError, message: string): void {
  // An unreachable upstream: the socket's own words (`connect ECONNREFUSED 10.0.0.7:8000`) say
  // where, for the operator; the client's message names only the provider.
  const cause = apiError.code === 'upstream_unreachable' && apiError.cause !== undefined ? { cause: rootCause(apiError.cause) } : null;
  // The upstream's id for the failed call, also where an error wraps the upstream's (analysis mode).
  const upstreamRequestId = apiError.upstreamRequestId ?? (apiError.cause instanceof ApiError ? apiError.cause.upstreamRequestId : undefined);
  const fields = { status: apiError.status, code: apiError.code, type: apiError.type, ...cause, ...(upstreamRequestId ? { upstream_request_id: upstreamRequestId } : null) };
  if (apiError.status < 500) log.info({ ...fields, param: apiError.param }, message);
  // An answer no converter could read may as well be Iris's bug: its stack goes in the line.
  else if (err instanceof ApiError && apiError.status !== 500) log.warn(apiError.code === 'upstream_bad_response' && apiError.cause instanceof Error ? { ...fields, err: apiError.cause } : fields, message);
  else log.error({ err, status: apiError.status }, message);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err);
    // A client that left gets its request line, not a failure line.
    if (apiError.code === 'client_closed_request') logClientGone(request, reply.elapsedTime);
    else logFailure(request.log, err, apiError, apiError.message);
    closeIfBodyUnread(request, reply);
    void reply.code(apiError.status).headers(apiError.headers).send(clientErrorBody(request.server, apiError));
  });
  // Answered in an onRequest hook of the 404 handler's own scope (so of 404s only), before
  // Fastify would parse a body for it: a URL Iris does not serve takes no key and no body budget,
  // so its body must not be read (nor held: up to limits.max_body_bytes each), nor its content
  // type or JSON judged before its URL. The handler stays for reply.callNotFound(), which runs
  // no onRequest hook.
  app.register(async (notFound) => {
    notFound.addHook('onRequest', (request, reply, _done) => sendNotFound(request, reply));
    notFound.setNotFoundHandler(sendNotFound);
  });
}

function sendNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0];
  const err = new ApiError(404, `Unknown request URL: ${request.method} ${path}.${hintFor(path)}`, { code: 'unknown_url' });
  closeIfBodyUnread(request, reply);
  void reply.code(404).send(err.toBody());
}

/**
 * Fastify's frameworkErrors: a URL its router cannot decode (a bad percent-encoding, an overlong
 * parameter) is answered before any hook runs, in Fastify's own shape unless answered here.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  logFailure(request.log, err, apiError, apiError.message);
  reply.header('x-request-id', request.id);
  closeIfBodyUnread(request, reply);
  void reply.code(apiError.status).send(apiError.toBody());
}

/** Node's 'checkExpectation': an Expect other than 100-continue, which Node answers 417 with no body. */
export function answerExpectationFailed(_req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify(
    new ApiError(417, "Only 'Expect: 100-continue' is supported.", { type: 'invalid_request_error', code: 'expectation_failed' }).toBody(),
  );
  res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/**
 * Refused before its body was read (a wrong key, a full body budget, a URL Iris does not serve):
 * the rest of the body would have to arrive before the connection could carry another request,
 * and a client that never sends it would hold the socket until the request timeout. Close it
 * instead, lingering (linger-close.ts), so that a client still sending reads the answer.
 */
function closeIfBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.complete || !hasBody(request.headers)) return;
  reply.header('connection', 'close');
  lingerOnClose(request.raw.socket);
}

function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * Clients that default to OpenAI's Responses API (the AI SDK's `openai(model)`, LangChain's
 * ChatOpenAI for some models and tools), or whose base URL lacks /v1, reach a URL Iris does
 * not serve: say what to use instead.
 */
function hintFor(path: string): string {
  if (/^\/v1\/responses(\/|$)/.test(path)) {
    return " Iris serves OpenAI's Chat Completions API (POST /v1/chat/completions), not the Responses API: set your client to use Chat Completions.";
  }
  // A client whose base URL left out the /v1 (the OpenAI SDKs' baseURL takes it whole).
  if (/^\/(chat\/completions|models)(\/|$)/.test(path)) return ` Did you mean /v1${path}? Iris serves the OpenAI API under /v1: set your client's base URL to end in /v1.`;
  return '';
}

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refuses (a bad request line, a body
 * longer than its Content-Length, headers too large, too slow) never reaches a route, so it is
 * answered here, on the socket, in OpenAI's error shape instead of Fastify's.
 */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const apiError =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimedOut()
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError(431, 'The request headers are too large.', { type: 'invalid_request_error', code: 'headers_too_large' })
        : new ApiError(400, 'The HTTP request is malformed.', { type: 'invalid_request_error', code: 'invalid_http_request' });
  // A request whose body is being read sees its connection end: it fails with this, not as
  // closed by the client. Unless the client did end its side mid-request (an EOF the parser
  // refuses): then it left.
  if (err.code !== 'HPE_INVALID_EOF_STATE') markAnswered(socket, apiError);
  // A response has begun on this socket (a pipelined request behind it failed): bytes written
  // now would land inside it. Only closing is left.
  if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent) {
    socket.destroy(err);
    return;
  }
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
