import type { FastifyInstance } from 'fastify';
import type { ModelRegistry } from '../../chat/model-registry.ts';

// GET /health: 200 when every provider is ready to answer, 503 while any is still loading.
// A provider that could not start (the engine's models failed to load) will never be ready:
// once nothing is loading, Iris is `degraded` (200) if another provider serves, and `failed`
// (503) if none does. Needs no key, so load balancers and orchestrators can probe it.

export function registerHealth(app: FastifyInstance, models: ModelRegistry): void {
  app.get('/health', async (_request, reply) => {
    const providers = models.providers().map((p) => {
      const error = p.startFailure?.() ?? null;
      return { id: p.id, type: p.type, ready: p.isReady?.() ?? true, ...(error ? { error } : {}) };
    });
    const status = providers.some((p) => !p.ready && !p.error)
      ? 'starting'
      : !providers.some((p) => p.error)
        ? 'ok'
        : providers.some((p) => p.ready)
          ? 'degraded'
          : 'failed';
    return reply.code(status === 'ok' || status === 'degraded' ? 200 : 503).send({ status, providers });
  });
}
