import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type IrisConfig } from './config-schema.ts';

// Config is read once: the file named by IRIS_CONFIG (YAML or JSON; default ./iris.config.yaml
// when present), ${ENV_VAR} substituted, then environment overrides, then validated.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Config given directly (tests); merged under the environment overrides. */
  raw?: unknown;
}

export function loadConfig(options: LoadOptions = {}): IrisConfig & { source: string | null } {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let raw: unknown = options.raw ?? {};
  let source: string | null = null;
  if (options.raw === undefined) {
    const named = env.IRIS_CONFIG;
    const path = named ? resolve(cwd, named) : resolve(cwd, 'iris.config.yaml');
    if (named && !existsSync(path)) throw new ConfigError(`IRIS_CONFIG names ${path}, which does not exist`);
    if (existsSync(path)) {
      source = path;
      raw = parseConfigText(readFileSync(path, 'utf8'), path);
    }
  }
  raw = substituteEnv(raw, env, '');
  raw = applyEnvOverrides(raw, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error, source));
  return { ...result.data, source };
}

function parseConfigText(text: string, path: string): unknown {
  try {
    return path.endsWith('.json') ? JSON.parse(text) : (parseYaml(text) ?? {});
  } catch (err) {
    throw new ConfigError(`cannot parse ${path}: ${(err as Error).message}`);
  }
}

/** Replaces ${NAME} (and ${NAME:-default}) in every string; an unset variable without default is an error. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string') {
    const replaced = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path || 'config'}: environment variable ${name} is not set`);
    });
    // A value that is one placeholder alone takes the type the text has, as YAML would
    // (`timeout_ms: ${TIMEOUT}` is a number, `enabled: ${FLAG}` a boolean).
    return replaced !== value && /^\$\{[^}]+\}$/.test(value) ? scalar(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

function scalar(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const config = { ...(raw as Record<string, unknown>) };
  const section = (key: string): Record<string, unknown> => {
    const current = config[key];
    const copy = current && typeof current === 'object' ? { ...(current as Record<string, unknown>) } : {};
    config[key] = copy;
    return copy;
  };
  if (env.HOST) section('server').host = env.HOST;
  if (env.PORT) section('server').port = toNumber(env.PORT, 'PORT');
  if (env.LOG_LEVEL) section('server').log_level = env.LOG_LEVEL;
  if (env.IRIS_DATA_DIR) config.data_dir = env.IRIS_DATA_DIR;
  if (env.REDIS_URL) config.redis_url = env.REDIS_URL;
  if (env.IRIS_API_KEYS) {
    section('auth').keys = env.IRIS_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  }
  return config;
}

function toNumber(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new ConfigError(`${name}: "${text}" is not a number`);
  return n;
}

function formatIssues(error: z.ZodError, source: string | null): string {
  const where = source ? ` in ${source}` : '';
  const lines = error.issues.map((issue) => {
    const key = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)';
    // A record key's own rule (e.g. what provider ids may contain) is nested one level down.
    const nested = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return `  ${key}: ${nested ? `${issue.message}: ${nested}` : issue.message}`;
  });
  return `invalid configuration${where}:\n${lines.join('\n')}`;
}
