// A newcomer's mistakes, as the README's reader makes them: each gets a message that names the
// fault and says what was meant, and Iris keeps serving. (Config mistakes are in
// src/config/load-config.test.ts and base-url-hints.test.ts.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { closedPort } from '../support/closed-port.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

describe('mistakes a newcomer makes', () => {
  let iris: RunningIris;
  before(async () => {
    const port = await closedPort();
    iris = await startIris({
      providers: { local: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1` } },
      models: [{ name: 'm1', provider: 'local' }],
    });
  });
  after(() => iris.close());

  const post = (path: string, body: unknown) =>
    fetch(`${iris.origin}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  // The OpenAI SDK with `baseURL: 'http://host:8080'` (no /v1) posts here.
  it('POST /chat/completions (the /v1 left out of baseURL) says where the endpoint is', async () => {
    const response = await post('/chat/completions', { model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 404);
    const { error } = (await response.json()) as { error: { message: string; code: string } };
    assert.equal(error.code, 'unknown_url');
    assert.equal(
      error.message,
      "Unknown request URL: POST /chat/completions. Did you mean /v1/chat/completions? Iris serves the OpenAI API under /v1: set your client's base URL to end in /v1.",
    );
    const client = new OpenAI({ baseURL: iris.origin, apiKey: iris.apiKey, maxRetries: 0 });
    await assert.rejects(client.models.list(), (err: unknown) => err instanceof OpenAI.NotFoundError && /Did you mean \/v1\/models\?/.test(err.message));
  });

  // A newcomer trying an image on a local web server: the setting that allows it is named.
  it('an image URL on a private address is refused, naming images.fetch.allow_hosts', async () => {
    const port = await closedPort();
    const response = await post('/v1/chat/completions', {
      model: 'm1',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `http://127.0.0.1:${port}/photo.jpg` } }] }],
    });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { message: string } };
    assert.equal(
      error.message,
      "The image URL points to an address Iris may not fetch from (not a public address); a host on a private network can be allowed in Iris's config (images.fetch.allow_hosts).",
    );
  });

  // README, logs: "each request ends with one `request` line … for a chat completion the
  // model, provider and …": a failed one too (here its upstream is not running).
  it('an upstream that is not running: 502 naming the provider, Iris stays up, the request line names model and provider', async () => {
    const response = await post('/v1/chat/completions', { model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 502);
    const { error } = (await response.json()) as { error: { message: string; code: string } };
    assert.match(error.message, /'local'/);
    assert.equal(error.code, 'upstream_unreachable');
    const health = await fetch(`${iris.origin}/health`);
    assert.equal(health.status, 200, 'still serving');

    // The operator's warn line says where the connection went; the client's message does not.
    assert.doesNotMatch(error.message, /127\.0\.0\.1/);
    const [warn] = await iris.logged((l) => l.code === 'upstream_unreachable', 2_000);
    assert.match(String(warn?.cause), /ECONNREFUSED 127\.0\.0\.1:\d+/, JSON.stringify(warn));
    const [line] = await iris.logged((l) => l.msg === 'request' && l.status === 502, 2_000);
    assert.ok(line, 'a request line');
    assert.equal(line.model, 'm1', JSON.stringify(line));
    assert.equal(line.provider, 'local', JSON.stringify(line));
  });
});
