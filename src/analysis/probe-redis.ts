import { setTimeout as sleep } from 'node:timers/promises';

// Start-up asks Redis (REDIS_URL) once whether it answers, so the banner can say whether
// caches are shared or, for now, in memory. The caches themselves connect and reconnect on
// their own (redis-description-cache.ts): a Redis that is down never fails start-up.

/** Whether Redis answers a PING within 1.5 s: null, or why not. Never fails start-up. */
export async function probeRedis(url: string): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // connect() fails with "Connection is closed."; the reason is in the error event before it.
  let reason: string | undefined;
  redis.on('error', (err: Error) => (reason ??= err.message));
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), sleep(1500, undefined, { ref: false }).then(() => Promise.reject(new Error('no answer within 1.5 s')))]);
    return null;
  } catch (err) {
    return reason ?? (err as Error).message;
  } finally {
    redis.disconnect();
  }
}
