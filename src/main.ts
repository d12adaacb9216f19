import { ConfigError, loadConfig } from './config/load-config.ts';
import { createIris } from './server.ts';
import { createLogger } from './telemetry/logger.ts';
import { printBanner } from './startup-banner.ts';

// `npm start`: read config once, build Iris, listen, say how to use it, stop cleanly.

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
  const iris = await createIris(config, log);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), config.server.shutdown_grace_s * 1000);
    timer.unref();
    await iris.close();
    process.exit(0);
  };
  // Before the banner: whoever reads it may signal at once, and must get a clean stop.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const address = await iris.app.listen({ host: config.server.host, port: config.server.port });
  printBanner({ config, address, models: iris.models.list().map((m) => m.name), createdKey: iris.createdKey });
}

await main();
