import type { IrisConfig } from '../config/config-schema.ts';

// The secrets Iris holds for others (providers' API keys and header values, Redis's password)
// kept out of what it writes: an upstream or proxy may quote the credential it was sent in its
// error text ("API key sk-… is invalid"), which Iris passes on to its client and logs. Applied
// where text leaves Iris: error bodies sent to clients, and every log line.

/** Shorter values ("true", a region name) are not secrets worth the false matches. */
const MIN_SECRET_CHARS = 8;
const MASK = '[redacted]';

export class SecretRedactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    // Longest first: a secret that contains another is masked whole.
    this.secrets = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_CHARS).sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.secrets.length === 0;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.replaceAll(secret, MASK);
    return out;
  }
}

/** The credentials the config gives Iris to present elsewhere. */
export function configSecrets(config: Pick<IrisConfig, 'providers' | 'redis_url'>): string[] {
  const secrets = Object.values(config.providers ?? {}).flatMap(providerSecrets);
  if (config.redis_url) {
    try {
      const { password } = new URL(config.redis_url);
      if (password) secrets.push(decodeURIComponent(password));
    } catch {
      // Not a URL: the Redis client refuses it, and the start-up line says so.
    }
  }
  return secrets;
}

/** The credentials one provider presents upstream: its API key and header values. */
export function providerSecrets(provider: { api_key?: string; headers?: Record<string, string> }): string[] {
  const secrets: string[] = [];
  if (provider.api_key) secrets.push(provider.api_key);
  for (const value of Object.values(provider.headers ?? {})) {
    secrets.push(value);
    // `Bearer <token>` and the like: the token alone is what would be quoted back.
    const token = /^\S+\s+(\S+)$/.exec(value)?.[1];
    if (token) secrets.push(token);
  }
  return secrets;
}
