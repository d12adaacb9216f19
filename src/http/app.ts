import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiKeys } from '../access/api-keys.ts';
import type { ChatService } from '../chat/chat-service.ts';
import { requestLogger } from '../telemetry/request-logger.ts';
import { SecretRedactor } from '../telemetry/secret-redactor.ts';
import type { ModelRegistry } from '../chat/model-registry.ts';
import { createAuthHook } from './auth-hook.ts';
import { createBodyBudgetHook } from './body-budget-hook.ts';
import { registerCors } from './cors.ts';
import { registerDrain } from './drain.ts';
import { answerClientError, answerExpectationFailed, answerFrameworkError, registerErrorHandling } from './error-handler.ts';
import { registerJsonBodyParser } from './json-body-parser.ts';
import { logRequestLine } from './request-log.ts';
import { registerChatCompletions } from './routes/chat-completions.ts';
import { registerHealth } from './routes/health.ts';
import { registerModels } from './routes/models.ts';

// The Fastify app: body limits, request ids, auth and the body budget on /v1, routes, errors.
// Knows nothing of providers.

export interface AppDeps {
  log: Logger;
  chat: ChatService;
  models: ModelRegistry;
  /** Null when auth is switched off. */
  keys: ApiKeys | null;
  maxBodyBytes: number;
  /** Bytes of request bodies held at once across requests (see body-budget-hook.ts). */
  inflightBodyBytes: number;
  /** Origins whose scripts may call Iris (see cors.ts); empty for none. */
  corsOrigins: string[];
  /** How long a streaming client may leave sent data unread (see sse-writer.ts). */
  clientReadTimeoutMs: number;
  /** How long a client has to send its whole request; 0 for no limit (answered 408, error-handler.ts). */
  requestTimeoutMs: number;
  /** The credentials Iris holds for upstreams, masked in the error bodies it sends (error-handler.ts). */
  secrets?: SecretRedactor;
}

// Request ids: a random per-process prefix and a counter. Unique without drawing random
// bytes for every request (that showed up at 3% of CPU under load).
const idPrefix = `req_${randomBytes(8).toString('hex')}`;
let idCounter = 0;
function nextRequestId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${idPrefix}${idCounter.toString(16).padStart(8, '0')}`;
}

/**
 * Node's settings that make a request timeout work. A client has HEADERS_TIMEOUT_MS to send its
 * headers (one packet from any API client): a connection that sends nothing is closed then, not
 * after Node's 60 s, which let a few thousand silent sockets hold every file descriptor (and
 * /health with them) for a minute and more. Node looks for overdue requests every second, or
 * sooner for a shorter timeout, so one is cut within a tenth of its time over (at most 1 s).
 */
function requestTimeoutOptions(requestTimeoutMs: number): { connectionsCheckingInterval: number; headersTimeout: number } {
  // (Node wants the headers' timeout within the request's; 0 is no request timeout.)
  const headersTimeout = requestTimeoutMs > 0 ? Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs) : HEADERS_TIMEOUT_MS;
  return { connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.ceil(headersTimeout / 10))), headersTimeout };
}

const HEADERS_TIMEOUT_MS = 20_000;

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.maxBodyBytes,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's logger without pino's per-child formatting (src/telemetry/request-logger.ts).
    childLoggerFactory: (logger, bindings) => requestLogger(logger as Logger, bindings),
    genReqId: nextRequestId,
    // Closing is a graceful drain (src/http/drain.ts): connections are closed when their
    // last response is done, and late requests get an OpenAI-shaped 503, not Fastify's own.
    forceCloseConnections: false,
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    // Fastify turns Node's 300 s default off; a client trickling a body would hold it for ever.
    requestTimeout: deps.requestTimeoutMs,
    http: requestTimeoutOptions(deps.requestTimeoutMs),
  });
  // An Expect other than 100-continue: Node's own 417 has no body (error-handler.ts).
  app.server.on('checkExpectation', answerExpectationFailed);
  app.decorate('secrets', deps.secrets ?? new SecretRedactor([]));
  app.decorateRequest('keyId', null);
  app.decorateRequest('bodyCharge', null);
  app.decorateRequest('completionLog', null);
  const drain = registerDrain(app);
  // Callback-style hooks: an async hook costs a promise and a microtask on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    logRequestLine(request, reply.statusCode, reply.elapsedTime);
    drain.afterResponse();
    done();
  });
  registerCors(app, deps.corsOrigins);
  // Added once the CORS plugin has loaded, so it runs after CORS's hook: a refusal during a stop
  // carries the CORS headers (a page can read the 503). Before every other check: a refusal
  // costs nothing else, not even the key check.
  app.after(() => {
    app.addHook('onRequest', (_request, reply, done) => (drain.closing ? drain.refuse(reply) : done()));
  });
  registerJsonBodyParser(app);
  registerErrorHandling(app);
  registerHealth(app, deps.models);
  app.register(async (v1) => {
    if (deps.keys) v1.addHook('onRequest', createAuthHook(deps.keys));
    // After auth: a caller without a key is refused before any body counts against others.
    v1.addHook('onRequest', createBodyBudgetHook(deps.inflightBodyBytes));
    registerModels(v1, deps.models);
    registerChatCompletions(v1, deps.chat, { clientReadTimeoutMs: deps.clientReadTimeoutMs });
  });
  return app;
}
