import { constants as osConstants } from 'node:os';
import { probeRedis } from './analysis/probe-redis.ts';
import { ConfigError, loadConfig } from './config/load-config.ts';
import type { IrisConfig } from './config/config-schema.ts';
import { explainStartupFailure } from './startup-failure.ts';
import { createLogger } from './telemetry/logger.ts';
import { configSecrets, SecretRedactor } from './telemetry/secret-redactor.ts';
import { printBanner } from './startup-banner.ts';
import { rootCause } from './root-cause.ts';

// `npm start`: read config once, build Iris, listen, say how to use it, stop cleanly.

/** Signals closer than this to the first are that one, passed on by a wrapper. */
const SAME_SIGNAL_MS = 500;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`iris: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const secrets = new SecretRedactor(configSecrets(config));
  const log = createLogger(config.server.log_level, undefined, secrets);
  // Asked now, answered by the time Iris listens: the banner says whether caches are shared.
  const redis = config.redis_url ? probeRedis(config.redis_url) : null;
  // Loaded only once the config is good: a config mistake is reported in a blink, not after
  // Fastify, sharp and the providers have loaded.
  const { createIris } = await import('./server.ts');
  const iris = await orExit(createIris(config, log, secrets), config);
  let listening = false;
  let shown = false;
  let stoppingSince = 0;
  const stop = async (signal: NodeJS.Signals) => {
    // A key created on this start but not yet shown would be lost: the next start makes another.
    if (!shown) iris.discardCreatedKey();
    // Nothing is served yet, so there is nothing to let finish.
    if (!listening) process.exit(128 + osConstants.signals[signal]);
    if (stoppingSince) {
      // A second Ctrl-C means "now", but not the copy of the first one that a wrapper in the
      // same process group (`npm start`, bin/iris.mjs) passes on a moment after the terminal
      // sent it to all of them.
      if (performance.now() - stoppingSince > SAME_SIGNAL_MS) process.exit(1);
      return;
    }
    stoppingSince = performance.now();
    const graceMs = config.server.shutdown_grace_s * 1000;
    log.info({ signal, grace_s: config.server.shutdown_grace_s }, 'shutting down: in-flight requests may finish');
    // A backstop in case closing the engine or a provider hangs past the grace.
    setTimeout(() => process.exit(1), graceMs + 5_000).unref();
    await iris.close(graceMs);
    log.info('stopped');
    process.exit(0);
  };
  // Before the banner: whoever reads it may signal at once, and must get a clean stop.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await orExit(iris.app.listen({ host: config.server.host, port: config.server.port }), config, () => iris.discardCreatedKey());
  listening = true;
  const { port } = iris.app.server.address() as { port: number };
  const routes = iris.models.list();
  printBanner({
    config,
    host: config.server.host,
    port,
    models: routes.map((r) => ({ name: r.name, vision: r.vision, loading: r.provider.isReady?.() === false })),
    createdKey: iris.createdKey,
    redis: redis && config.redis_url ? { url: config.redis_url, error: await redis } : undefined,
  });
  shown = true;
  // What the banner said was loading: say when it is ready, or that it failed and what still works.
  for (const provider of new Set(routes.map((r) => r.provider))) {
    if (provider.isReady?.() !== false || !provider.whenReady) continue;
    const names = routes.filter((r) => r.provider === provider).map((r) => r.name);
    const others = routes.length > names.length ? '; the other models are served' : '';
    provider.whenReady().then(
      () => process.stderr.write(`  ${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} ready.\n`),
      (err: unknown) => process.stderr.write(`iris: ${names.join(', ')} failed to load (${rootCause(err)}): its requests get 503${others}\n`),
    );
  }
}

/**
 * A failure a person can fix ends start-up with one line saying how; others keep their stack.
 * `undo` first takes back what this start did that the next one should not find.
 */
async function orExit<T>(step: Promise<T>, config: IrisConfig, undo?: () => void): Promise<T> {
  try {
    return await step;
  } catch (err) {
    undo?.();
    const reason = explainStartupFailure(err, config.server);
    if (!reason) throw err;
    console.error(`iris: ${reason}`);
    process.exit(1);
  }
}

await main();
