import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChatService } from '../../chat/chat-service.ts';
import { clientClosed } from '../../openai/api-error.ts';
import { validateChatRequest } from '../../openai/validate-chat-request.ts';
import type { CallContext } from '../../providers/provider.ts';
import { HoldOpen, sendEventStream } from '../sse-writer.ts';

// POST /v1/chat/completions: validate, hand to the chat core, answer as JSON or SSE.

export function registerChatCompletions(app: FastifyInstance, chat: ChatService, options: { clientReadTimeoutMs: number }): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const { ctx, isClientGone } = callContext(request, reply);
    const body = validateChatRequest(request.body);
    if (body.stream) {
      const holdOpen = new HoldOpen();
      await sendEventStream(reply, chat.stream(body, { ...ctx, keepAlive: holdOpen.request }), { isClientGone, holdOpen, readTimeoutMs: options.clientReadTimeoutMs });
      return reply;
    }
    const completion = await chat.complete(body, ctx);
    return reply.header('content-type', 'application/json').send(completion);
  });
}

/**
 * A context whose signal aborts when the client goes away before the answer is complete. The
 * request's hold on its raw body ends with the response (upstream writes hold it on their own).
 * The abort reason is a 499, so whatever rethrows it (a budget wait, the engine) logs a closed
 * request rather than a 500.
 */
function callContext(request: FastifyRequest, reply: FastifyReply): { ctx: CallContext; isClientGone: () => boolean } {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(clientClosed());
    request.rawBody?.release();
  };
  reply.raw.once('close', onClose);
  return {
    ctx: { requestId: String(request.id), signal: controller.signal, log: request.log as Logger, verbatim: request.verbatimStrings ?? undefined },
    // The socket may be destroyed a tick before its 'close' event aborts the signal.
    isClientGone: () => controller.signal.aborted || (reply.raw.destroyed && !reply.raw.writableFinished),
  };
}
