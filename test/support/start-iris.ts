import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load-config.ts';
import { createIris, type Iris } from '../../src/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { configSecrets, SecretRedactor } from '../../src/telemetry/secret-redactor.ts';

// Starts the real Iris server on loopback from a config object, as `npm start` would, with
// a fresh data directory and a known API key. Logs are kept in memory for assertions.

export interface RunningIris {
  iris: Iris;
  /** e.g. http://127.0.0.1:54321 */
  origin: string;
  /** origin + /v1, for the OpenAI SDK */
  baseURL: string;
  apiKey: string;
  /** The official SDK, pointed at this server, with retries off. */
  client: OpenAI;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /**
   * The log lines that match, once there is one (or after `timeoutMs`, none): some are written
   * a moment after the client has its answer (a stream's request line, a cut request's).
   */
  logged(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  dataDir: string;
  close(): Promise<void>;
}

export const TEST_API_KEY = 'sk-iris-test-0123456789abcdef';

export async function startIris(raw: Record<string, unknown> = {}, options: { env?: NodeJS.ProcessEnv } = {}): Promise<RunningIris> {
  const dataDir = mkdtempSync(join(tmpdir(), 'iris-test-'));
  try {
    return await startIn(dataDir, raw, options);
  } catch (err) {
    // A config a test means to be refused, or a start that fails: no data directory left behind.
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(dataDir: string, raw: Record<string, unknown>, options: { env?: NodeJS.ProcessEnv }): Promise<RunningIris> {
  const config = loadConfig({
    raw: { engine: { enabled: false }, auth: { keys: [TEST_API_KEY] }, data_dir: dataDir, ...raw },
    env: options.env ?? {},
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const secrets = new SecretRedactor(configSecrets(config));
  const iris = await createIris(config, createLogger('debug', sink, secrets), secrets);
  const address = await iris.app.listen({ host: '127.0.0.1', port: 0 });
  const origin = address;
  return {
    iris,
    origin,
    baseURL: `${origin}/v1`,
    apiKey: TEST_API_KEY,
    client: new OpenAI({ baseURL: `${origin}/v1`, apiKey: TEST_API_KEY, maxRetries: 0, timeout: 30_000 }),
    logs,
    async logged(match, timeoutMs = 1_000) {
      const deadline = performance.now() + timeoutMs;
      while (!logs.some(match) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return logs.filter(match);
    },
    dataDir,
    async close() {
      try {
        await iris.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
