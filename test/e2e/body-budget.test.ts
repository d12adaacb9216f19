// limits.inflight_body_bytes: bodies are held whole until their response ends, so Iris bounds
// the bytes held at once. Past the bound a request is refused before its body is read (503,
// Retry-After, OpenAI-shaped); bodies come back into the budget when their response ends, also
// when the client goes away; a lone body larger than the budget still passes.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertErrorResponse } from '../support/openai-schemas.ts';
import { chatRequestHead, openRawSocket } from '../support/raw-socket.ts';
import { startIris } from '../support/start-iris.ts';
import { bodyOf, chatRequests, postChat, startStack, type Stack } from './e2e-setup.ts';

const MB = 1_000_000;

describe('the budget of request bodies in flight', () => {
  let stack: Stack;
  const post = (body: string, signal?: AbortSignal) => postChat(stack, body, signal);

  before(async () => {
    stack = await startStack({ config: { limits: { max_body_bytes: 2 * MB, inflight_body_bytes: 1.5 * MB } } });
  });
  after(() => stack?.close());

  it('a body that would go over the budget gets 503 server_busy with Retry-After; a small one still fits', async () => {
    stack.upstream.reset();
    stack.upstream.script({ kind: 'hang' });
    const holder = new AbortController();
    const held = post(bodyOf(MB), holder.signal).catch((err: unknown) => err);
    // The first request is at the upstream: its megabyte is held.
    while (chatRequests(stack.upstream).length === 0) await new Promise((r) => setTimeout(r, 10));

    const refused = await post(bodyOf(MB));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = await refused.json();
    assertErrorResponse(body);
    assert.equal(body.error.type, 'server_error');
    assert.equal(body.error.code, 'server_busy');
    assert.match(body.error.message, /busy/);
    assert.equal(chatRequests(stack.upstream).length, 1, 'the refused request never reached the upstream');

    // The official SDK sees the 503 (it would retry it after Retry-After; retries are off here).
    await assert.rejects(
      stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'y'.repeat(MB) }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 503 && err.code === 'server_busy',
    );

    // Small bodies fit beside the held one.
    assert.equal((await post(bodyOf(1000))).status, 200);

    // The holder goes away: its bytes come back, and the large body passes again.
    holder.abort();
    await held;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await post(bodyOf(MB))).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
  });

  it('one body larger than the budget passes when it is alone (the body limit still applies)', async () => {
    assert.equal((await post(bodyOf(1.8 * MB))).status, 200);
    assert.equal((await post(bodyOf(2.1 * MB))).status, 413);
  });

  it('the server stays up and answers after all of it', async () => {
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(completion.object, 'chat.completion');
  });
});

describe('a client that never finishes sending its request (server.request_timeout_s)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      config: { server: { request_timeout_s: 1 }, limits: { max_body_bytes: 2 * MB, inflight_body_bytes: 1.5 * MB } },
      upstream: { chunkDelayMs: 250 },
    });
  });
  after(() => stack?.close());

  it('gets an OpenAI-shaped 408 and its connection closed, and the budget its body held comes back', async () => {
    stack.upstream.reset();
    // Declares a megabyte, sends a little of it, then nothing: it holds a megabyte of the budget.
    const raw = openRawSocket(stack.iris.origin);
    raw.socket.write(chatRequestHead(raw.hostname, stack.iris.apiKey, MB) + '{"model":"gpt-4o-mini","messages":[');
    const started = performance.now();
    const cutOff = await raw.closedWithin(5_000);
    raw.socket.destroy();
    const answer = raw.received();
    assert.ok(cutOff, `the connection is still open ${Math.round(performance.now() - started)} ms later (answer so far: ${JSON.stringify(answer)})`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assertErrorResponse(body);
    assert.equal(body.error.code, 'request_timeout');
    assert.equal(chatRequests(stack.upstream).length, 0);
    // The request's own line says what the client was told, not that the client left.
    const said = await stack.iris.logged((l) => l.code === 'request_timeout' || l.msg === 'aborted');
    assert.deepEqual(said.map((l) => [l.status, l.code]), [[408, 'request_timeout']]);

    // Its megabyte is back: a megabyte body fits again, and the server answers as before.
    const ok = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: bodyOf(MB),
    });
    assert.equal(ok.status, 200);
  });

  it('a request refused before its body was read closes its connection: no 408 lands after the answer', async () => {
    // A wrong key, a declared 100 KB body, 9 bytes of it: the 401 goes out at once.
    const raw = openRawSocket(stack.iris.origin);
    raw.socket.write(chatRequestHead(raw.hostname, 'sk-not-a-key-000000', 100_000) + '{"model":');
    // Past the 1 s request timeout: had the connection stayed open, Node's 408 would follow.
    const cutOff = await raw.closedWithin(2_500);
    raw.socket.destroy();
    const answer = raw.received();
    assert.equal([...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]).join(), '401', answer);
    assert.match(answer, /^connection: close\r$/im);
    assert.ok(cutOff, 'Iris closed the connection');
  });

  it('a pipelined request that times out behind a stream never writes its 408 into the stream', async () => {
    const raw = openRawSocket(stack.iris.origin);
    const head = (length: number) => chatRequestHead(raw.hostname, stack.iris.apiKey, length);
    // A stream that takes longer than the 1 s timeout, and behind it a request that never ends.
    const stream = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'slowly' }] });
    raw.socket.write(head(Buffer.byteLength(stream)) + stream + head(1000) + '{"model":');
    await raw.closedWithin(4_000);
    raw.socket.destroy();
    const wire = raw.received();
    assert.match(wire, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(wire, /HTTP\/1\.1 408/, 'no second status line inside the stream');
  });

  it('a client that hangs up mid-body is logged as a closed request (499), not a bad one', async () => {
    const raw = openRawSocket(stack.iris.origin);
    await new Promise((resolve) => raw.socket.once('connect', resolve));
    raw.socket.write(chatRequestHead(raw.hostname, stack.iris.apiKey, 5000, 'X-Test: hang-up\r\n') + '{"model":');
    const since = stack.iris.logs.length;
    await new Promise((r) => setTimeout(r, 100));
    raw.socket.destroy();
    const earlier = new Set(stack.iris.logs.slice(0, since));
    const said = await stack.iris.logged((l) => !earlier.has(l) && typeof l.status === 'number' && (l.level as number) >= 30);
    assert.deepEqual(said.map((l) => [l.status, l.code]), [[499, 'client_closed_request']]);
  });

  it('takes a timeout in fractions of a second (Node wants whole milliseconds)', async () => {
    for (const seconds of [2.345, 2.01, 16.1]) {
      const iris = await startIris({ server: { request_timeout_s: seconds } });
      await iris.close();
    }
  });

  it('bounds receiving the request only: an answer that takes longer than the timeout is not cut', async () => {
    const started = performance.now();
    const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'take your time' }] });
    let chunks = 0;
    for await (const _ of stream) chunks++;
    const ms = performance.now() - started;
    assert.ok(ms > 1_500, `the stream took ${Math.round(ms)} ms: longer than the 1 s request timeout`);
    assert.ok(chunks > 2);
  });
});
