import type { FastifyReply } from 'fastify';
import type { ChatCompletionChunk } from '../openai/types.ts';
import { toApiError } from './error-handler.ts';

// Writes chunks as server-sent events, then `data: [DONE]`. The first chunk is awaited before
// any header goes out, so an early failure is still an ordinary HTTP error. A failure after
// that becomes an `error` event and the stream ends: the client never hangs.

export async function sendEventStream(reply: FastifyReply, chunks: AsyncIterable<ChatCompletionChunk>, isClientGone: () => boolean): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': String(reply.request.id),
  });
  try {
    for (let step = first; !step.done; step = await iterator.next()) {
      if (!res.write(`data: ${JSON.stringify(step.value)}\n\n`)) await drained(res);
    }
    res.write('data: [DONE]\n\n');
  } catch (err) {
    if (!isClientGone()) {
      const apiError = toApiError(err);
      reply.request.log.warn({ err, status: apiError.status }, 'stream failed after it started');
      res.write(`data: ${JSON.stringify(apiError.toBody())}\n\n`);
    } else {
      // Fastify writes no request line for a hijacked reply whose socket closed early.
      reply.request.log.info({ status: 499, ms: Math.round(reply.elapsedTime) }, 'client closed the stream');
    }
    await iterator.return?.();
  } finally {
    res.end();
  }
}

function drained(res: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
