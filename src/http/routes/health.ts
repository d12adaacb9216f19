import type { FastifyInstance } from 'fastify';
import type { ModelRegistry } from '../../chat/model-registry.ts';

// GET /health: 200 when every provider is ready to answer, 503 while any is still loading.
// Needs no key, so load balancers and orchestrators can probe it.

export function registerHealth(app: FastifyInstance, models: ModelRegistry): void {
  app.get('/health', async (_request, reply) => {
    const providers = models.providers().map((p) => ({ id: p.id, type: p.type, ready: p.isReady?.() ?? true }));
    const ready = providers.every((p) => p.ready);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'starting', providers });
  });
}
