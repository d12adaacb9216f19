import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { configSchema, type IrisConfig } from './config-schema.ts';
import { describeConfigIssue, valueAt } from './describe-config-issue.ts';
import { formatKeyPath } from './format-key-path.ts';

// Config is read once: the file named by IRIS_CONFIG (YAML or JSON; default ./iris.config.yaml,
// or .yml, when present), ${ENV_VAR} substituted, then environment overrides, then validated.

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Config given directly (tests); merged under the environment overrides. */
  raw?: unknown;
}

/** Where the config came from, for the start-up banner. */
export interface ConfigOrigin {
  /** The config file read, or null for defaults only. */
  source: string | null;
  /** What set auth.keys (when any are set): the environment or the file. */
  keysFrom: 'IRIS_API_KEYS' | 'auth.keys';
}

export function loadConfig(options: LoadOptions = {}): IrisConfig & ConfigOrigin {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let raw: unknown = options.raw ?? {};
  let source: string | null = null;
  let lineOf: LineOf = () => undefined;
  if (options.raw === undefined) {
    source = configPath(env, cwd);
    if (source) ({ data: raw, lineOf } = readConfigFile(source));
  }
  // Every unset variable at once: a newcomer setting them one start at a time would not thank us.
  const unset: UnsetVariable[] = [];
  raw = substituteEnv(raw, env, [], unset);
  if (unset.length > 0) {
    const lines = unset.map(({ name, keys }) => `  ${atLine(lineOf(keys))}${formatKeyPath(keys) || 'config'}: environment variable ${name} is not set`);
    throw new ConfigError(`invalid configuration${source ? ` in ${source}` : ''}:\n${lines.join('\n')}`);
  }
  const { config, fromEnv } = applyEnvOverrides(raw, env);
  const result = configSchema.safeParse(config);
  if (!result.success) throw new ConfigError(formatIssues(result.error, config, source, fromEnv, lineOf));
  return { ...result.data, source, keysFrom: fromEnv.has('auth.keys') ? 'IRIS_API_KEYS' : 'auth.keys' };
}

/** The line (1-based) in the config file where a key is written, when it is written there. */
type LineOf = (keys: readonly PropertyKey[]) => number | undefined;

const atLine = (line: number | undefined) => (line === undefined ? '' : `line ${line}: `);

/** A `${VAR}` with no value and no default; `keys` is where it is written. */
export interface UnsetVariable {
  name: string;
  keys: readonly PropertyKey[];
}

/** The file named by IRIS_CONFIG, else ./iris.config.yaml (or .yml) when present, else null. */
function configPath(env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (env.IRIS_CONFIG) {
    const path = resolve(cwd, env.IRIS_CONFIG);
    if (!existsSync(path)) throw new ConfigError(`IRIS_CONFIG names ${path}, which does not exist`);
    if (statSync(path).isDirectory()) throw new ConfigError(`IRIS_CONFIG names ${path}, which is a directory; name a YAML or JSON file`);
    return path;
  }
  const found = DEFAULT_FILES.map((name) => resolve(cwd, name)).filter((path) => existsSync(path));
  if (found.length > 1) throw new ConfigError(`both ${found.join(' and ')} exist; remove one, or name the one to use in IRIS_CONFIG`);
  return found[0] ?? null;
}

const DEFAULT_FILES = ['iris.config.yaml', 'iris.config.yml'];

function readConfigFile(path: string): { data: Record<string, unknown>; lineOf: LineOf } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  // Editors on Windows may start the file with a byte-order mark; neither parser wants it.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`cannot parse ${path}: ${(err as Error).message}${unquotedVariableHint(text, err)}`);
  }
  if (parsed === null || parsed === undefined) return { data: {}, lineOf: () => undefined }; // an empty file (or only comments): all defaults
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: the config file must be a mapping of settings (key: value), not ${Array.isArray(parsed) ? 'a list' : 'plain text'}`);
  }
  return { data: parsed as Record<string, unknown>, lineOf: lineFinder(text) };
}

/**
 * An unquoted `${VAR}` inside `{ … }` or `[ … ]` is YAML's flow syntax, not a value: the error
 * YAML gives (`Unexpected flow-map-start`) says nothing of variables, so the fix is named.
 */
function unquotedVariableHint(text: string, err: unknown): string {
  const line = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
  const written = line === undefined ? '' : (text.split(/\r?\n/)[line - 1] ?? '');
  return /(^|[\s,:[{])\$\{/.test(written) ? '\n  (a ${VAR} written inside { … } or [ … ] must be quoted: "${VAR}")' : '';
}

/** Where each key is written, read from the YAML document (JSON is YAML too); for error messages only. */
function lineFinder(text: string): LineOf {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineAt = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  return (keys) => {
    // The deepest key that is written in the file: a missing setting is reported where its parent is.
    let node: unknown = doc.contents;
    let line: number | undefined;
    for (const key of keys) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (!pair) break;
        line = lineAt(pair.key as Node) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        line = lineAt(node as Node) ?? line;
      } else break;
    }
    return line;
  };
}

/**
 * Replaces ${NAME} (and ${NAME:-default}) in every string; an unset variable without default
 * is an error, thrown, or collected in `unset` when that is given. `$${` stands for a literal
 * `${`. The result is text: fields that want a number or a boolean read it as one
 * (scalar-fields.ts), every other field keeps it as written.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, keys: readonly PropertyKey[] = [], unset?: UnsetVariable[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$\{)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole: string, literal: string | undefined, name: string, fallback: string | undefined) => {
      if (literal) return literal;
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      if (!unset) throw new ConfigError(`${formatKeyPath(keys) || 'config'}: environment variable ${name} is not set`);
      unset.push({ name, keys });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...keys, i], unset));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...keys, k], unset)]));
  }
  return value;
}

/** The config with environment overrides applied, and which variable set which key (for errors). */
function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): { config: Record<string, unknown>; fromEnv: Map<string, string> } {
  const config = { ...(raw as Record<string, unknown>) };
  const fromEnv = new Map<string, string>();
  const set = (variable: string, key: string, value: unknown) => {
    const [section, field] = key.split('.');
    if (field === undefined) config[section] = value;
    else {
      const current = config[section];
      config[section] = { ...(current && typeof current === 'object' ? current : {}), [field]: value };
    }
    fromEnv.set(key, variable);
  };
  if (env.HOST) set('HOST', 'server.host', env.HOST);
  if (env.PORT) set('PORT', 'server.port', portNumber(env.PORT));
  if (env.LOG_LEVEL) set('LOG_LEVEL', 'server.log_level', env.LOG_LEVEL);
  if (env.IRIS_DATA_DIR) set('IRIS_DATA_DIR', 'data_dir', env.IRIS_DATA_DIR);
  if (env.REDIS_URL) set('REDIS_URL', 'redis_url', env.REDIS_URL);
  if (env.IRIS_API_KEYS) {
    set('IRIS_API_KEYS', 'auth.keys', env.IRIS_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean));
  }
  return { config, fromEnv };
}

function portNumber(text: string): number {
  // Number(' ') is 0, which would bind a random port: only digits will do.
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`PORT: "${text}" is not a port number (a whole number, 0–65535)`);
  return Number(text);
}

function formatIssues(error: z.ZodError, config: unknown, source: string | null, fromEnv: Map<string, string>, lineOf: LineOf): string {
  const where = source ? ` in ${source}` : '';
  const lines = error.issues.map((issue) => {
    const path = formatKeyPath(issue.path) || '(root)';
    // A value set by an environment variable is named by it: that is where it gets fixed.
    const variable = [...fromEnv].find(([key]) => path === key || path.startsWith(`${key}[`))?.[1];
    const key = variable ? `${variable} (${path})` : path;
    // An unknown key is reported on its parent: point at the first unknown key itself.
    const line = variable ? undefined : lineOf(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path);
    // A record key's own rule (e.g. what provider ids may contain) is nested one level down.
    const nested = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    return `  ${atLine(line)}${key}: ${nested ? `${issue.message}: ${nested}` : describeConfigIssue(issue, valueAt(config, issue.path))}`;
  });
  return `invalid configuration${where}:\n${lines.join('\n')}`;
}
