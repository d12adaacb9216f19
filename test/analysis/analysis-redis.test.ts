import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DEFAULT_ANALYSIS_PROMPT, renderAnalysisPrompt } from '../../src/analysis/analysis-prompt.ts';
import { descriptionKey } from '../../src/analysis/description-cache.ts';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { startAnalysisWorld, textIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// The description cache shared through the real Redis on this machine (REDIS_URL): two Iris
// instances with separate memories; what one paid for, the other reuses.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUESTION = 'What is written here?';

function analysisOf(usage: unknown): AnalysisUsage {
  return (usage as { analysis: AnalysisUsage }).analysis;
}

describe('analysis cache shared through Redis', () => {
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

/** Redis 7's answer to HELLO 2: server, version, proto, id, mode, role, modules. */
const HELLO_REPLY = [
  '*14', '$6', 'server', '$5', 'redis', '$7', 'version', '$6', '7.0.15', '$5', 'proto', ':2', '$2', 'id', ':7',
  '$4', 'mode', '$10', 'standalone', '$4', 'role', '$6', 'master', '$7', 'modules', '*0', '',
].join('\r\n');

/**
 * A Redis that accepts connections and answers the client's handshake (HELLO, CLIENT, INFO), then never
 * answers another command: a server stuck on a long command, or a network that drops replies.
 */
async function startStuckRedis(): Promise<{ url: string; commands: string[]; close(): Promise<void> }> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      // RESP arrays: *N\r\n$len\r\nNAME\r\n…; the command's name is the first bulk string.
      for (const match of data.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
        const name = match[1].toUpperCase();
        commands.push(name);
        if (name === 'HELLO') socket.write(HELLO_REPLY);
        else if (name === 'CLIENT' || name === 'SELECT') socket.write('+OK\r\n');
        else if (name === 'INFO') {
          const info = '# Server\r\nredis_version:7.0.15\r\nloading:0\r\n';
          socket.write(`$${Buffer.byteLength(info)}\r\n${info}\r\n`);
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    commands,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('analysis cache with a Redis that stops answering', () => {
  test('one lookup waits for the command timeout; then Redis is left alone for a while, and requests go at full speed', async () => {
    const stuck = await startStuckRedis();
    const world = await startAnalysisWorld({}, { env: { REDIS_URL: stuck.url } });
    try {
      const ask = async (n: number) => {
        const image = dataUrl(await renderTextPng([`Stuck redis ${n} ${Date.now()}`]));
        const t0 = performance.now();
        await world.iris.client.chat.completions.create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, { type: 'image_url', image_url: { url: image } }] }] });
        return performance.now() - t0;
      };
      const first = await ask(1);
      assert.ok(first >= 900, `the first lookup waited for Redis's answer (${Math.round(first)} ms)`);
      const waited = stuck.commands.filter((c) => c === 'GET' || c === 'SET').length;
      const later = [await ask(2), await ask(3)];
      assert.ok(later.every((ms) => ms < 700), `later requests did not wait on Redis (${later.map(Math.round).join(', ')} ms)`);
      assert.equal(stuck.commands.filter((c) => c === 'GET' || c === 'SET').length, waited, 'nor sent it anything');
      assert.ok(world.iris.logs.some((l) => l.cache === 'redis' && l.level === 40), 'the pause is logged');
    } finally {
      await world.close();
      await stuck.close();
    }
  });
});
