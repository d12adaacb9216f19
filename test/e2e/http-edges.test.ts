// Requests Iris does not serve, or that no ordinary client sends: each still gets an
// OpenAI-shaped error, answered before any body is read or held.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertErrorResponse } from '../support/openai-schemas.ts';
import { openRawSocket } from '../support/raw-socket.ts';
import { PNG_DATA_URL, chatRequests, startStack, type Stack } from './e2e-setup.ts';

/** The status, headers and JSON body of the first response in `wire`. */
function firstResponse(wire: string): { status: number; headers: string; body: { error: { message: string; type: string; param: string | null; code: string | null } } } {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(wire)?.[1]);
  const end = wire.indexOf('\r\n\r\n');
  const headers = wire.slice(0, end);
  const length = Number(/^content-length: (\d+)\r?$/im.exec(headers)?.[1]);
  const body = JSON.parse(wire.slice(end + 4, end + 4 + length));
  assertErrorResponse(body);
  return { status, headers, body };
}

describe('requests Iris does not serve', () => {
  let stack: Stack;
  before(async () => {
    // A short request timeout: a request still held open would get Node's 408 after 1 s.
    stack = await startStack({ config: { server: { request_timeout_s: 1 } } });
  });
  after(() => stack.close());

  it('a POST to an unknown URL gets its 404 at once, with no key, without its body being read or held', async () => {
    const arrayBuffers = process.memoryUsage().arrayBuffers;
    const sockets = Array.from({ length: 10 }, () => {
      const raw = openRawSocket(stack.iris.origin);
      // 50 MB declared, a few bytes sent: nothing of it may be allocated for a URL Iris does not serve.
      raw.socket.write(`POST /v1/responses HTTP/1.1\r\nHost: ${raw.hostname}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"model":`);
      return raw;
    });
    const closed = await Promise.all(sockets.map((raw) => raw.closedWithin(800)));
    const grown = process.memoryUsage().arrayBuffers - arrayBuffers;
    for (const raw of sockets) raw.socket.destroy();
    const wire = sockets[0].received();
    assert.equal([...wire.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]).join(), '404', wire);
    const { headers, body } = firstResponse(wire);
    assert.equal(body.error.code, 'unknown_url');
    assert.match(body.error.message, /Chat Completions/, 'the hint for Responses-API clients');
    assert.match(headers, /^x-request-id: req_/im);
    assert.match(headers, /^connection: close\r?$/im, 'the unread body is not waited for');
    assert.ok(closed.every(Boolean), 'every connection closed');
    assert.ok(grown < 50_000_000, `${Math.round(grown / 1e6)} MB allocated for bodies of unknown URLs`);
  });

  it('a wrong URL or method is 404 whatever its body: not 415 for the content type, not 400 for the JSON', async () => {
    const cases: [string, string, RequestInit][] = [
      ['text/plain', '/v1/completions', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }],
      ['invalid JSON', '/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' }],
      ['PUT with a body', '/v1/chat/completions', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['GET', '/v1/chat/completions', { method: 'GET' }],
    ];
    for (const [name, path, init] of cases) {
      const res = await fetch(`${stack.iris.origin}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${stack.iris.apiKey}` } });
      const text = await res.text();
      assert.equal(res.status, 404, `${name}: ${text}`);
      const body = JSON.parse(text);
      assertErrorResponse(body);
      assert.equal(body.error.code, 'unknown_url', name);
      assert.equal(body.error.type, 'invalid_request_error', name);
    }
  });

  it('a malformed URL gets an OpenAI-shaped 400 with a request id, not Fastify\'s', async () => {
    for (const path of ['/v1/models/x%zz', '/v1/chat/completions%']) {
      const raw = openRawSocket(stack.iris.origin);
      raw.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${raw.hostname}\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nConnection: close\r\n\r\n`);
      const wire = await raw.closed;
      const { status, headers, body } = firstResponse(wire);
      assert.equal(status, 400, wire);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.code, 'invalid_url');
      assert.match(headers, /^x-request-id: req_/im);
    }
  });

  it('an Expect other than 100-continue gets an OpenAI-shaped 417', async () => {
    const raw = openRawSocket(stack.iris.origin);
    raw.socket.write(`GET /v1/models HTTP/1.1\r\nHost: ${raw.hostname}\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n`);
    const wire = await raw.closed;
    const { status, body } = firstResponse(wire);
    assert.equal(status, 417, wire);
    assert.equal(body.error.code, 'expectation_failed');
  });

  it('Expect: 100-continue is honoured: the body follows, the request is answered', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const raw = openRawSocket(stack.iris.origin);
    raw.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${raw.hostname}\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    const deadline = Date.now() + 2000;
    while (!raw.received().includes('100 Continue') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    raw.socket.write(body);
    const wire = await raw.closed;
    assert.match(wire, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('a body that is not UTF-8 is refused 400 invalid_json, not forwarded with its bytes replaced', async () => {
    const post = (bytes: Buffer) =>
      fetch(`${stack.iris.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json; charset=utf-8' },
        body: new Uint8Array(bytes),
      });
    const json = (text: string, url = PNG_DATA_URL) => Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image_url', image_url: { url } }] }] }));
    // Long enough to be cut out of the body before parsing (src/json/cut-data-urls.ts).
    const longDataUrl = `data:image/png;base64,${'A'.repeat(40_000)}`;
    // "café" in Latin-1, a lone continuation byte, a cut-off sequence, an overlong "/"; beside a
    // short data URL, and beside a long one.
    for (const [bad, url] of [[[0x63, 0x61, 0x66, 0xe9]], [[0x80]], [[0xe2, 0x82]], [[0xc0, 0xaf]], [[0xff], longDataUrl]] as [number[], string?][]) {
      stack.upstream.reset();
      const body = json('@@', url);
      const at = body.indexOf('@@');
      const res = await post(Buffer.concat([body.subarray(0, at), Buffer.from(bad), body.subarray(at + 2)]));
      const text = await res.text();
      assert.equal(res.status, 400, `${bad}: ${text}`);
      const error = JSON.parse(text);
      assertErrorResponse(error);
      assert.equal(error.error.code, 'invalid_json');
      assert.match(error.error.message, /UTF-8/);
      assert.equal(chatRequests(stack.upstream).length, 0, 'nothing reached the upstream');
    }
    // A BOM is tolerated, as OpenAI's JSON reader does, and UTF-8 of every width passes.
    const ok = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json('café ✓ 𝄞')]));
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.match(((await ok.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content, /café ✓ 𝄞/);
  });

  it('a chunked body the HTTP parser refuses half-way: the client gets a 400, and the log says that 400, not a closed request', async () => {
    const raw = openRawSocket(stack.iris.origin);
    raw.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${raw.hostname}\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nX-Test: bad-chunk\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n`,
    );
    // The request reaches its route and waits for the rest of its body; then a chunk size that is no number.
    const since = stack.iris.logs.length;
    await new Promise((r) => setTimeout(r, 100));
    raw.socket.write('zz\r\nxx\r\n');
    const wire = await raw.closed;
    const { status, body } = firstResponse(wire);
    assert.equal(status, 400, wire);
    assert.equal(body.error.code, 'invalid_http_request');
    const said = await stack.iris.logged((l) => stack.iris.logs.indexOf(l) >= since && typeof l.reqId === 'string' && typeof l.status === 'number');
    assert.deepEqual(said.map((l) => [l.status, l.code]), [[400, 'invalid_http_request']]);
  });

  it('still answers after all of it', async () => {
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.object, 'chat.completion');
  });
});
