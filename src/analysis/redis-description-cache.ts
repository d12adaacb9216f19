import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CachedDescription, DescriptionCache } from './description-cache.ts';

// The shared tier: descriptions in Redis (REDIS_URL), so every Iris instance behind a load
// balancer reuses what any of them paid for. Redis is an optimisation here, never a
// dependency: when it is down, lookups miss and writes are dropped, and requests go on.

const PREFIX = 'iris:analysis:v1:';

/**
 * How long Redis is left alone after a command timed out. A Redis that is connected but does not
 * answer (stuck on a long command, replies dropped on the way) would otherwise cost every
 * analysis request a lookup and a write of commandTimeout each; now one in this long does.
 */
const PAUSE_AFTER_TIMEOUT_MS = 10_000;

export class RedisDescriptionCache implements DescriptionCache {
  private readonly redis: Redis;
  private readonly ttlSeconds: number;
  private readonly log: Logger;
  private lastWarning = 0;
  private pausedUntil = 0;

  constructor(url: string, ttlSeconds: number, log: Logger) {
    this.ttlSeconds = ttlSeconds;
    this.log = log;
    this.redis = new Redis(url, {
      // Fail fast rather than queue: a slow cache must not slow the request it serves.
      maxRetriesPerRequest: 1,
      commandTimeout: 1000,
      connectTimeout: 2000,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
    this.redis.on('error', (err: Error) => this.warn(err, 'redis error'));
  }

  /** Resolves once connected (tests and start-up checks); rejects if Redis cannot be reached. */
  async ready(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => { this.redis.off('error', onError); resolve(); };
      const onError = (err: Error) => { this.redis.off('ready', onReady); reject(err); };
      this.redis.once('ready', onReady);
      this.redis.once('error', onError);
    });
  }

  async get(key: string): Promise<CachedDescription | undefined> {
    if (this.paused()) return undefined;
    try {
      const raw = await this.redis.get(PREFIX + key);
      if (raw === null) return undefined;
      const value = JSON.parse(raw) as Partial<CachedDescription>;
      if (typeof value.text !== 'string' || typeof value.model !== 'string') return undefined;
      return { text: value.text, model: value.model };
    } catch (err) {
      this.failed(err, 'analysis cache lookup in redis failed; treating as a miss');
      return undefined;
    }
  }

  async set(key: string, value: CachedDescription): Promise<void> {
    if (this.paused()) return;
    try {
      await this.redis.set(PREFIX + key, JSON.stringify(value), 'EX', this.ttlSeconds);
    } catch (err) {
      this.failed(err, 'analysis cache write to redis failed');
    }
  }

  private paused(): boolean {
    return this.pausedUntil > Date.now();
  }

  private failed(err: unknown, message: string): void {
    if ((err as Error)?.message === 'Command timed out') {
      this.pausedUntil = Date.now() + PAUSE_AFTER_TIMEOUT_MS;
      // Said at once, whatever the warning rate: it explains the requests that skip Redis.
      this.lastWarning = 0;
      message = `${message}; redis did not answer in time: left alone for ${PAUSE_AFTER_TIMEOUT_MS / 1000} s`;
    }
    this.warn(err, message);
  }

  async close(): Promise<void> {
    // Not connected (Redis down): stop reconnecting now rather than wait on QUIT.
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** At most one warning every 10 s: a Redis outage should not flood the log. */
  private warn(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.log.warn({ err: { message: (err as Error)?.message } }, message);
  }
}
