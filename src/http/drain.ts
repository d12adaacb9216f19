import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../openai/api-error.ts';

// A graceful stop, as a rollout needs it: once app.close() begins, no new connection is
// accepted and idle ones are closed (node:http's server.close()); requests already in flight,
// streams included, run to their end; a request that still arrives on an open connection is
// refused with an OpenAI-shaped 503 (which the SDKs retry, so a load balancer's next
// instance answers it); each connection closes as soon as its last response is done, so the
// stop ends with the last request rather than a keep-alive timeout later. What outlives the
// grace period is cut (see cutAfter).

export interface Drain {
  /** True from the moment app.close() begins. */
  readonly closing: boolean;
  /** Answers a request that arrived while closing. */
  refuse(reply: FastifyReply): void;
  /** Called once a response is done: closes the connection if the app is closing. */
  afterResponse(): void;
}

// Answered at once, not thrown: a refusal during a stop is expected, not a server error to log.
const refusal = new ApiError(503, 'Iris is shutting down and takes no new requests; retry the request.', {
  type: 'server_error',
  code: 'server_shutting_down',
  headers: { 'retry-after': '1', connection: 'close' },
});

export function registerDrain(app: FastifyInstance): Drain {
  let closing = false;
  let sweep: NodeJS.Immediate | null = null;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  return {
    get closing() {
      return closing;
    },
    refuse(reply) {
      void reply.code(refusal.status).headers(refusal.headers).send(refusal.toBody());
    },
    afterResponse() {
      // The connection turns idle only after node:http has finished with the response; one
      // sweep per turn of the event loop serves every response that ended in it.
      if (!closing || sweep) return;
      sweep = setImmediate(() => {
        sweep = null;
        app.server.closeIdleConnections();
      });
    },
  };
}

/**
 * Bounds a graceful stop: after `graceMs`, every connection still open is destroyed (their
 * requests' upstream calls are aborted as for a client that went away), and `onCut` hears how
 * many there were. Returns a function that cancels the bound.
 */
export function cutAfter(app: FastifyInstance, graceMs: number, onCut: (connections: number) => void): () => void {
  const timer = setTimeout(() => {
    app.server.getConnections((_err, count) => {
      if (count > 0) onCut(count);
      app.server.closeAllConnections();
    });
  }, graceMs);
  return () => clearTimeout(timer);
}
