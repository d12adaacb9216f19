import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChatService } from '../../chat/chat-service.ts';
import { stringifyAnswer } from '../../json/stringify-answer.ts';
import { clientClosed } from '../../openai/api-error.ts';
import { validateChatRequest } from '../../openai/validate-chat-request.ts';
import type { CallContext, CompletionLogFields } from '../../providers/provider.ts';
import type { Drain } from '../drain.ts';
import { logClientGone } from '../request-log.ts';
import { HoldOpen, sendEventStream } from '../sse-writer.ts';

// POST /v1/chat/completions: validate, hand to the chat core, answer as JSON or SSE.

declare module 'fastify' {
  interface FastifyRequest {
    /** The answer's model and tokens, for the request's log line (app.ts); null until known. */
    completionLog: CompletionLogFields | null;
  }
}

export function registerChatCompletions(app: FastifyInstance, chat: ChatService, options: { clientReadTimeoutMs: number }): void {
  const drain = app.drain;
  app.post('/v1/chat/completions', async (request, reply) => {
    const { ctx, isClientGone, handled } = callContext(request, reply, drain);
    try {
      const body = validateChatRequest(request.body);
      if (body.stream) {
        const holdOpen = new HoldOpen();
        await sendEventStream(reply, chat.stream(body, { ...ctx, keepAlive: holdOpen.request }), { isClientGone, holdOpen, readTimeoutMs: options.clientReadTimeoutMs });
        return reply;
      }
      const completion = await chat.complete(body, ctx);
      return reply.header('content-type', 'application/json').send(stringifyAnswer(completion));
    } finally {
      handled();
    }
  });
}

/**
 * A context whose signal aborts when the client goes away before the answer is complete (with
 * a 499, so whatever rethrows it, a budget wait or the engine, logs a closed request rather
 * than a 500), or when a stop past its grace ends the request (with a 503 the client is sent).
 * The request's hold on its raw body ends with the response (upstream writes hold it on their own).
 */
function callContext(
  request: FastifyRequest,
  reply: FastifyReply,
  drain: Drain,
): { ctx: CallContext; isClientGone: () => boolean; handled: () => void } {
  const controller = new AbortController();
  const untrack = drain.track(controller);
  let clientGone = false;
  let inHandler = true;
  // The 499 line is written once the chat core has let go of the request, so that it has what
  // the core counted (a stream's tokens up to the cut); at the close if the handler is done
  // (an answer cut off while it was being sent).
  const isClientGone = () => clientGone || (reply.raw.destroyed && !reply.raw.writableFinished);
  const onClose = () => {
    untrack();
    if (!reply.raw.writableFinished) {
      clientGone = true;
      controller.abort(clientClosed());
      if (!inHandler) logClientGone(request, reply.elapsedTime);
    }
    request.rawBody?.release();
  };
  reply.raw.once('close', onClose);
  return {
    handled: () => {
      inHandler = false;
      if (isClientGone()) logClientGone(request, reply.elapsedTime);
    },
    ctx: {
      requestId: String(request.id),
      signal: controller.signal,
      log: request.log as Logger,
      verbatim: request.verbatimStrings ?? undefined,
      logCompletion: (fields) => (request.completionLog = fields),
    },
    // The socket may be destroyed a tick before its 'close' event says so.
    isClientGone,
  };
}
