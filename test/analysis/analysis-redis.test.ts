import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_ANALYSIS_PROMPT, renderAnalysisPrompt } from '../../src/analysis/analysis-prompt.ts';
import { descriptionKey } from '../../src/analysis/description-cache.ts';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { startAnalysisWorld, textIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// The description cache shared through the real Redis on this machine (REDIS_URL): two Iris
// instances with separate memories; what one paid for, the other reuses.
//
// Needs Redis at REDIS_URL (default 127.0.0.1:6379). Without one, the tests that use it are
// skipped with a note saying so, except under IRIS_REQUIRE_REDIS (set by CI), where that fails.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis cannot be used here, or null when it answers. */
async function redisMissing(): Promise<string | null> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause = ''; // the socket's error (ECONNREFUSED…): connect() itself only says the connection closed
  probe.on('error', (err: Error) => (cause ||= err.message));
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (err) {
    return `no Redis answers at ${REDIS_URL} (${cause || (err as Error).message}): start redis-server, or set REDIS_URL`;
  } finally {
    probe.disconnect();
  }
}
const missing = await redisMissing();
if (missing && process.env.IRIS_REQUIRE_REDIS) throw new Error(missing);
const skip = missing ?? false;
const QUESTION = 'What is written here?';

function analysisOf(usage: unknown): AnalysisUsage {
  return (usage as { analysis: AnalysisUsage }).analysis;
}

describe('analysis cache shared through Redis', { skip }, () => {
  let a: AnalysisWorld;
  let b: AnalysisWorld;
  let redis: Redis;
  const written: string[] = [];

  before(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    a = await startAnalysisWorld({}, { env: { REDIS_URL } });
    b = await startAnalysisWorld({}, { env: { REDIS_URL } });
  });
  after(async () => {
    if (written.length) await redis.del(...written);
    await Promise.all([a?.close(), b?.close()]);
    await redis.quit();
  });

  test('a description paid for on one instance is a cache hit on another', async () => {
    const png = await renderTextPng([`Shared ${Date.now()} ${Math.random().toString(36).slice(2, 8)}`]);
    const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: QUESTION }, { type: 'image_url' as const, image_url: { url: dataUrl(png) } }] }];

    const first = await a.iris.client.chat.completions.create({ model: 'text-1', messages });
    assert.equal(a.visionCalls(), 1);
    assert.equal(analysisOf(first.usage).cached_images, 0);

    // It is in Redis under the content hash, analysis model and prompt.
    const sha = createHash('sha256').update(png).digest('hex');
    const key = `iris:analysis:v1:${descriptionKey(sha, 'vision-1', renderAnalysisPrompt(DEFAULT_ANALYSIS_PROMPT, QUESTION))}`;
    written.push(key);
    const stored = JSON.parse((await redis.get(key)) ?? 'null');
    assert.equal(stored?.model, 'vision-1');
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 7 * 24 * 3600, `ttl ${ttl}`);

    const second = await b.iris.client.chat.completions.create({ model: 'text-1', messages });
    assert.equal(b.visionCalls(), 0, 'instance b never called its analysis model');
    const analysis = analysisOf(second.usage);
    assert.equal(analysis.cached_images, 1);
    assert.equal(analysis.prompt_tokens, 0);
    assert.ok(textIn(b.textBodies()[0]).includes(stored.text.trim()));
  });
});

describe('analysis cache with Redis unreachable', () => {
  test('requests still succeed: lookups miss, the memory cache still works', async () => {
    // Nothing listens on port 1 of loopback: connection refused at once.
    const world = await startAnalysisWorld({}, { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const image = dataUrl(await renderTextPng([`No redis ${Date.now()}`]));
      const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Read.' }, { type: 'image_url' as const, image_url: { url: image } }] }];
      const t0 = performance.now();
      const first = await world.iris.client.chat.completions.create({ model: 'text-1', messages });
      assert.ok(performance.now() - t0 < 3000);
      assert.equal(analysisOf(first.usage).cached_images, 0);
      const second = await world.iris.client.chat.completions.create({ model: 'text-1', messages });
      assert.equal(analysisOf(second.usage).cached_images, 1);
      assert.equal(world.visionCalls(), 1);
      assert.ok(world.iris.logs.some((l) => l.component === 'analysis' && l.cache === 'redis' && l.level === 40), 'the outage is logged');
    } finally {
      await world.close();
    }
  });
});

describe('analysis cache with a Redis that stops answering', { skip }, () => {
  test('one lookup waits for the command timeout; then Redis is left alone for a while, and requests go at full speed', async () => {
    const world = await startAnalysisWorld({}, { env: { REDIS_URL } });
    const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const PAUSE_MS = 4_000;
    let pausedAt = 0;
    try {
      const ask = async (n: number) => {
        const image = dataUrl(await renderTextPng([`Stalled redis ${n} ${Date.now()}`]));
        const t0 = performance.now();
        await world.iris.client.chat.completions.create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, { type: 'image_url', image_url: { url: image } }] }] });
        return performance.now() - t0;
      };
      await ask(0); // connected and answering
      // The real Redis stops answering every client (a server stuck on a long command) for a while.
      await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
      pausedAt = performance.now();
      const first = await ask(1);
      assert.ok(first >= 900, `the first lookup waited for Redis's answer (${Math.round(first)} ms)`);
      const later = [await ask(2), await ask(3)];
      assert.ok(later.every((ms) => ms < 700), `later requests did not wait on Redis (${later.map(Math.round).join(', ')} ms)`);
      assert.ok(performance.now() - pausedAt < PAUSE_MS, 'still paused: the test measured what it meant to');
      assert.ok(world.iris.logs.some((l) => l.cache === 'redis' && l.level === 40), 'the pause is logged');
    } finally {
      // Other tests use this Redis: let the pause run out before going on.
      if (pausedAt) await new Promise((resolve) => setTimeout(resolve, Math.max(0, PAUSE_MS - (performance.now() - pausedAt)) + 100));
      await world.close();
      await admin.quit();
    }
  });
});
