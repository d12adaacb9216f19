import type { FastifyInstance } from 'fastify';
import type { ModelRegistry, Route } from '../../chat/model-registry.ts';

// GET /v1/models and /v1/models/:model in OpenAI's list shape.

function toModel(route: Route) {
  return { id: route.name, object: 'model' as const, created: route.created, owned_by: route.ownedBy };
}

export function registerModels(app: FastifyInstance, models: ModelRegistry): void {
  app.get('/v1/models', async () => ({ object: 'list', data: models.list().map(toModel) }));
  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => toModel(models.resolve(request.params.model)));
}
