import { baseUrlHints } from './config/base-url-hints.ts';
import type { IrisConfig } from './config/config-schema.ts';
import type { ConfigOrigin } from './config/load-config.ts';
import { withoutCredentials } from './without-credentials.ts';

// What a person sees when Iris starts: where it listens, what it serves, how to try it.

export interface BannerInfo {
  config: IrisConfig & ConfigOrigin;
  /** The host Iris was asked to listen on (HOST / server.host). */
  host: string;
  /** The port it got (PORT 0 picks one). */
  port: number;
  models: BannerModel[];
  createdKey: string | null;
  /** Redis for shared caches (REDIS_URL), and whether it answered at start: null, or why not. */
  redis?: { url: string; error: string | null };
}

export interface BannerModel {
  name: string;
  /** Takes images itself: the curl line's sample image goes to the first such model. */
  vision: boolean;
  /** Its provider is still loading (the engine): requests wait for it. */
  loading?: boolean;
}

/** A 16×16 solid red PNG (106 bytes), so the curl line works offline and has something to see. */
export const SAMPLE_IMAGE_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAMAAAAoLQ9TAAAAA1BMVEXcHh4Np/MyAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAADUlEQVQY02NgGAXIAAABEAAB7JfjegAAAABJRU5ErkJggg==';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** host:port as a URL writes it (an IPv6 address in brackets). */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export function bannerText({ config, host, port, models, createdKey, redis }: BannerInfo): string {
  const wildcard = WILDCARDS.has(host);
  const base = `http://${hostPort(wildcard ? '127.0.0.1' : host, port)}`;
  const lines = [''];
  if (wildcard) {
    lines.push(`  Iris is listening on all interfaces (${hostPort(host, port)}): other machines can reach it too.`, `  From this machine: ${base}`);
  } else lines.push(`  Iris is listening on ${base}`);
  lines.push(
    `  config:  ${config.source ?? '(defaults; no iris.config.yaml)'}   data: ${config.data_dir}`,
    `  models:  ${models.length ? models.map((m) => (m.loading ? `${m.name} (loading)` : m.name)).join(', ') : '(none configured)'}`,
  );
  if (redis) {
    // The URL may hold a password.
    const where = `Redis at ${withoutCredentials(redis.url)}`;
    lines.push(`  cache:   ${redis.error === null ? `shared in ${where}` : `in memory: ${where} does not answer (${redis.error}); shared once it does (REDIS_URL / redis_url)`}`);
  }
  if (!config.auth.enabled) lines.push('  auth:    OFF (auth.enabled: false) - anyone who can reach this port can use it');
  else if (createdKey) {
    lines.push('', '  A first API key was created. It is shown only this once; Iris keeps only its hash:', '', `      ${createdKey}`);
  } else lines.push(`  auth:    on (${config.auth.keys.length ? `keys from ${keysFrom(config)}` : `key hashes in ${config.data_dir}/api-keys.json`})`);
  for (const hint of baseUrlHints(config.providers)) lines.push(`  check:   ${hint}`);

  // The sample image goes to a model that sees: a text-only one takes images only through an
  // analysis model, which is one that sees. With none such, a question in words.
  const seeing = models.find((m) => m.vision);
  const content = seeing ? [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: SAMPLE_IMAGE_DATA_URL } }] : 'Say hello in one short sentence.';
  // In single quotes for the shell: a ' in a model name ends them, so it is written '\''.
  const body = JSON.stringify({ model: (seeing ?? models[0])?.name ?? 'MODEL', messages: [{ role: 'user', content }] }).replaceAll("'", "'\\''");
  lines.push('', '  Try it:');
  // Keys from the environment or the key file are never printed: logs keep what is printed.
  if (config.auth.enabled && !createdKey) {
    const which = config.auth.keys.length ? `one of the keys in ${keysFrom(config)}` : 'the key printed on the first start';
    lines.push(`    # first: export IRIS_API_KEY=<${which}>`);
    // Only the hash is kept: a lost key is replaced, not shown again.
    if (!config.auth.keys.length) lines.push(`    # (lost it? stop Iris, delete ${config.data_dir}/api-keys.json and start again for a new one)`);
  }
  const auth = !config.auth.enabled ? '' : `-H "Authorization: Bearer ${createdKey ?? '$IRIS_API_KEY'}" `;
  lines.push(
    `    curl ${base}/v1/chat/completions \\`,
    `      ${auth}-H "Content-Type: application/json" \\`,
    `      -d '${body}'`,
    '',
    // With auth off any key does, but the SDK refuses to start without one.
    `  OpenAI SDK: new OpenAI({ baseURL: '${base}/v1', apiKey: ${config.auth.enabled ? 'process.env.IRIS_API_KEY' : "'unused'"} })`,
    '',
  );
  return lines.join('\n');
}

export function printBanner(info: BannerInfo): void {
  process.stderr.write(`${bannerText(info)}\n`);
}

function keysFrom(config: ConfigOrigin): string {
  return config.keysFrom === 'IRIS_API_KEYS' || !config.source ? config.keysFrom : `auth.keys in ${config.source}`;
}
