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
  /**
   * Holds a running request's controller until its response closes (call the function
   * returned), so that a stop past its grace can end the request with a 503.
   */
  track(controller: AbortController): () => void;
  /** Aborts every tracked request with a 503; returns how many there were. */
  stopRunning(): number;
}

declare module 'fastify' {
  interface FastifyInstance {
    drain: Drain;
  }
}

/** What a client hears from a stopping Iris: a 503 the SDKs retry, and the connection ends. */
function shuttingDown(message: string): ApiError {
  return new ApiError(503, message, { type: 'server_error', code: 'server_shutting_down', headers: { 'retry-after': '1', connection: 'close' } });
}

// Answered at once, not thrown: a refusal during a stop is expected, not a server error to log.
const refusal = shuttingDown('Iris is shutting down and takes no new requests; retry the request.');
/** Why a request still running when the grace ends is stopped: its client hears it (a 503, or an error event). */
const cutShort = shuttingDown('Iris is shutting down and stopped this request before it finished; retry it.');

export function registerDrain(app: FastifyInstance): Drain {
  let closing = false;
  let sweep: NodeJS.Immediate | null = null;
  const running = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const drain: Drain = {
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
    track(controller) {
      running.add(controller);
      return () => running.delete(controller);
    },
    stopRunning() {
      const count = running.size;
      for (const controller of running) controller.abort(cutShort);
      running.clear();
      return count;
    },
  };
  app.decorate('drain', drain);
  return drain;
}

/**
 * Bounds a graceful stop: after `graceMs`, requests still running are stopped with a 503
 * `server_shutting_down` (a stream gets it as its last event, so a client never mistakes a
 * cut stream for a finished one), and a moment later every connection still open is
 * destroyed; `onCut` hears how many requests were stopped. Returns a function that cancels it.
 */
export function cutAfter(app: FastifyInstance, graceMs: number, onCut: (requests: number) => void): () => void {
  let flush: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    const stopped = app.drain.stopRunning();
    if (stopped > 0) onCut(stopped);
    // Time for those answers to reach their sockets, then nothing is left open.
    flush = setTimeout(() => app.server.closeAllConnections(), stopped > 0 ? 100 : 0);
  }, graceMs);
  return () => {
    clearTimeout(timer);
    clearTimeout(flush);
  };
}
