import { ConfigError, loadConfig } from './config/load-config.ts';
import type { IrisConfig } from './config/config-schema.ts';
import { explainStartupFailure } from './startup-failure.ts';
import { createLogger } from './telemetry/logger.ts';
import { printBanner } from './startup-banner.ts';

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
  const log = createLogger(config.server.log_level);
  // Loaded only once the config is good: a config mistake is reported in a blink, not after
  // Fastify, sharp and the providers have loaded.
  const { createIris } = await import('./server.ts');
  const iris = await orExit(createIris(config, log), config);
  let stoppingSince = 0;
  const stop = async (signal: string) => {
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

  await orExit(iris.app.listen({ host: config.server.host, port: config.server.port }), config);
  const { port } = iris.app.server.address() as { port: number };
  printBanner({ config, host: config.server.host, port, models: iris.models.list().map((m) => m.name), createdKey: iris.createdKey });
}

/** A failure a person can fix ends start-up with one line saying how; others keep their stack. */
async function orExit<T>(step: Promise<T>, config: IrisConfig): Promise<T> {
  try {
    return await step;
  } catch (err) {
    const reason = explainStartupFailure(err, config.server);
    if (!reason) throw err;
    console.error(`iris: ${reason}`);
    process.exit(1);
  }
}

await main();
