import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeys, loadOrCreateStoredKeys } from './access/api-keys.ts';
import { createAnalysis } from './analysis/create-analysis.ts';
import { ChatService } from './chat/chat-service.ts';
import { ModelRegistry, routeFromConfig } from './chat/model-registry.ts';
import type { IrisConfig } from './config/config-schema.ts';
import { buildApp } from './http/app.ts';
import { corsOrigins } from './http/cors.ts';
import { cutAfter } from './http/drain.ts';
import { createImagePipeline } from './images/create-image-pipeline.ts';
import { createProvider } from './providers/create-provider.ts';
import type { Provider } from './providers/provider.ts';
import { configSecrets, SecretRedactor } from './telemetry/secret-redactor.ts';

// Wires Iris together from one config: providers, models, the chat core, the HTTP app.

export interface Iris {
  app: FastifyInstance;
  models: ModelRegistry;
  /** A key created on this first start (to show once), if any. */
  createdKey: string | null;
  /**
   * Forgets the key created on this start (its hash in the data directory), for a start that
   * ends before the key was shown: the next start then creates one and shows it.
   */
  discardCreatedKey(): void;
  /**
   * Stops gracefully: no new connections, in-flight requests finish; after `graceMs` (default 0:
   * at once) whatever is still open is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** `secrets`: the same redactor as the logger's (main.ts builds one for both). */
export async function createIris(config: IrisConfig, log: Logger, secrets = new SecretRedactor(configSecrets(config))): Promise<Iris> {
  // Loaded before the keys, so that from the keys on start-up runs without a pause in which a
  // signal could end it between creating a key and handing it back to be shown.
  const local = config.engine.enabled ? await import('./providers/local/local-provider.ts') : null;
  // Keys first: a data directory that cannot be used stops start-up before workers start.
  const { keys, createdKey } = resolveKeys(config);
  const discardCreatedKey = () => {
    if (createdKey) rmSync(join(config.data_dir, 'api-keys.json'), { force: true });
  };
  try {
    return wire(config, log, secrets, local, keys, createdKey, discardCreatedKey);
  } catch (err) {
    discardCreatedKey();
    throw err;
  }
}

function wire(
  config: IrisConfig,
  log: Logger,
  secrets: SecretRedactor,
  local: typeof import('./providers/local/local-provider.ts') | null,
  keys: ApiKeys | null,
  createdKey: string | null,
  discardCreatedKey: () => void,
): Iris {
  const created = Math.floor(Date.now() / 1000);
  const providers = new Map<string, Provider>();
  for (const [id, providerConfig] of Object.entries(config.providers)) providers.set(id, createProvider(id, providerConfig));

  // The engine is kept apart from the configured providers: config models can only name
  // those, so a provider id can never reach or replace the engine (config validation keeps
  // its model name free).
  const models = new ModelRegistry();
  let engine: Provider | null = null;
  if (local) {
    engine = local.createLocalProvider(config.engine, log.child({ component: 'engine' }));
    models.add({ name: config.engine.model_name, provider: engine, upstreamModel: config.engine.model_name, vision: true, created, ownedBy: 'iris' });
  }
  for (const model of config.models) models.add(routeFromConfig(model, providers.get(model.provider)!, created));

  const images = createImagePipeline(config.images, log.child({ component: 'images' }));
  // Analysis describes images by calling the chat core itself (so they are prepared for the
  // analysis model's provider); the step is created first and the core after it.
  let chat: ChatService | undefined;
  const analysis = createAnalysis({
    config: config.analysis,
    engineModelName: config.engine.model_name,
    redisUrl: config.redis_url,
    models,
    images,
    complete: (request, ctx) => chat!.complete(request, ctx),
    log: log.child({ component: 'analysis' }),
  });
  chat = new ChatService({ models, images, steps: [analysis.step] });
  const app = buildApp({
    log,
    chat,
    models,
    keys,
    maxBodyBytes: config.limits.max_body_bytes,
    inflightBodyBytes: config.limits.inflight_body_bytes,
    corsOrigins: corsOrigins(config.server.cors_origins, config.auth.enabled),
    clientReadTimeoutMs: config.server.client_read_timeout_s * 1000,
    // Node takes whole milliseconds only.
    requestTimeoutMs: Math.ceil(config.server.request_timeout_s * 1000),
    secrets,
  });

  return {
    app,
    models,
    createdKey,
    discardCreatedKey,
    async close(graceMs = 0) {
      const cancelCut = cutAfter(app, graceMs, (requests) =>
        log.warn({ requests }, `shutdown grace of ${graceMs} ms over: stopped ${requests} request(s) still running`),
      );
      await app.close();
      cancelCut();
      await analysis.close();
      await images.close();
      await Promise.all([...providers.values(), ...(engine ? [engine] : [])].map((p) => p.close?.()));
    },
  };
}

function resolveKeys(config: IrisConfig): { keys: ApiKeys | null; createdKey: string | null } {
  if (!config.auth.enabled) return { keys: null, createdKey: null };
  if (config.auth.keys.length) return { keys: ApiKeys.fromPlain(config.auth.keys), createdKey: null };
  const { keys, created } = loadOrCreateStoredKeys(config.data_dir);
  return { keys, createdKey: created };
}
