import type { ImageTokensConfig, ModelConfig } from '../config/providers-config.ts';
import { ApiError, shorten } from '../openai/api-error.ts';
import type { Provider } from '../providers/provider.ts';

// Model name → where it goes. Built once from config; the chat core asks it for a Route.

export interface Route {
  /** The name clients use (and see in responses). */
  name: string;
  provider: Provider;
  /** The id the upstream knows the model by. */
  upstreamModel: string;
  /** Can the model take images itself? */
  vision: boolean;
  imageTokens?: ImageTokensConfig;
  price?: ModelConfig['price'];
  /** Unix seconds, for /v1/models. */
  created: number;
  ownedBy: string;
  /** Set on `<name>-ocr` routes: images are described first, then the request goes to this model. */
  analysisOf?: string;
  /** False keeps a route out of /v1/models (it still resolves). */
  listed?: boolean;
}

export class ModelRegistry {
  private readonly routes = new Map<string, Route>();

  add(route: Route): void {
    this.routes.set(route.name, route);
  }

  get(name: string): Route | undefined {
    return this.routes.get(name);
  }

  /** The route for a requested model, or 404 model_not_found as OpenAI words it (param null, as OpenAI sends). */
  resolve(name: string): Route {
    const route = this.routes.get(name);
    if (route) return route;
    // Names are matched exactly, as OpenAI's are; one that differs only in case is pointed out.
    const lower = name.toLowerCase();
    const meant = [...this.routes.values()].find((r) => r.listed !== false && r.name.toLowerCase() === lower);
    const hint = meant ? ` Did you mean \`${meant.name}\`?` : '';
    throw new ApiError(404, `The model \`${shorten(name)}\` does not exist or you do not have access to it.${hint}`, {
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
  }

  /** The routes /v1/models lists. */
  list(): Route[] {
    return [...this.routes.values()].filter((r) => r.listed !== false);
  }

  providers(): Provider[] {
    return [...new Set([...this.routes.values()].map((r) => r.provider))];
  }
}

export function routeFromConfig(model: ModelConfig, provider: Provider, created: number): Route {
  return {
    name: model.name,
    provider,
    upstreamModel: model.upstream ?? model.name,
    vision: model.vision,
    imageTokens: model.image_tokens,
    price: model.price,
    created,
    ownedBy: model.provider,
  };
}
