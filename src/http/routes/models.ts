import type { FastifyInstance } from 'fastify';
import type { ModelRegistry, Route } from '../../chat/model-registry.ts';

// GET /v1/models and /v1/models/{model} in OpenAI's list shape.

function toModel(route: Route) {
  return { id: route.name, object: 'model' as const, created: route.created, owned_by: route.ownedBy };
}

export function registerModels(app: FastifyInstance, models: ModelRegistry): void {
  app.get('/v1/models', async () => ({ object: 'list', data: models.list().map(toModel) }));
  // A wildcard, not `:model`: names may hold slashes (`meta-llama/Llama-3.2-11B-Vision-Instruct`),
  // which clients that do not encode them send as they are; and a parameter stops at 100 characters.
  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const name = request.params['*'];
    // The router keeps a trailing slash in the wildcard; as elsewhere, it is ignored.
    return toModel(models.resolve(name.endsWith('/') ? name.slice(0, -1) : name));
  });
}
