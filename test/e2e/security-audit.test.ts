// Attacks on the real server, on loopback only (no test sends traffic anywhere else), from a
// security audit: each defect it found (now fixed) has its test here, and the attacks marked
// "coverage" held already but no other test tried them.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openRawSocket, type RawSocket } from '../support/raw-socket.ts';
import { longestStall } from '../support/event-loop-stall.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { chatRequests, PNG_DATA_URL, startStack, type Stack } from './e2e-setup.ts';

const MB = 1_000_000;

function postChat(iris: RunningIris, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
}

/** Sends `request` on a fresh connection and returns the status line and body of the answer. */
async function rawExchange(origin: string, request: string): Promise<{ status: number; text: string }> {
  const raw = openRawSocket(origin);
  raw.socket.write(request);
  await raw.closedWithin(2_000);
  const text = raw.received();
  raw.socket.destroy();
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text };
}

// ---------------------------------------------------------------------------------------------
// Auth

describe('security audit: auth cannot be side-stepped', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.close());

  // coverage: path, method, version and header tricks on the raw wire; none of these is in auth.test.ts.
  it('coverage: no path, method, HTTP version or header trick reaches /v1 without the key', async () => {
    const { origin, apiKey } = stack.iris;
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const post = (target: string, headers = '', version = '1.1') =>
      `POST ${target} HTTP/${version}\r\nHost: x\r\n${headers}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    const get = (target: string, headers = '', method = 'GET', version = '1.1') => `${method} ${target} HTTP/${version}\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`;
    const attempts: [string, string][] = [
      ['trailing slash', post('/v1/chat/completions/')],
      ['double leading slash', post('//v1/chat/completions')],
      ['absolute-form target', post('http://x/v1/chat/completions')],
      ['percent-encoded letter', post('/v1/chat/%63ompletions')],
      ['percent-encoded slash', post('/v1%2Fchat%2Fcompletions')],
      ['empty query', post('/v1/chat/completions?')],
      ['key in the query string', post(`/v1/chat/completions?api_key=${apiKey}&key=${apiKey}`)],
      ['HTTP/1.0', post('/v1/chat/completions', '', '1.0')],
      ['HEAD on the models list', get('/v1/models', '', 'HEAD')],
      ['models with a dot-dot path', get('/v1/models/../../health')],
      ['Bearer with no key and an empty x-api-key', get('/v1/models', 'Authorization: Bearer \r\nx-api-key: \r\n')],
      ['a scheme-less Authorization', get('/v1/models', `Authorization: ${apiKey}x\r\n`)],
      ['Basic with a user name (a proxy\'s)', get('/v1/models', `Authorization: Basic ${Buffer.from(`user:${apiKey}x`).toString('base64')}\r\n`)],
      ['a wrong key first, the right one in a second Authorization header', get('/v1/models', `Authorization: Bearer wrong-key-0000\r\nAuthorization: Bearer ${apiKey}\r\n`)],
      ['the key with a suffix after a space', get('/v1/models', `Authorization: Bearer ${apiKey} extra\r\n`)],
      ['the key split across two x-api-key headers', get('/v1/models', `x-api-key: ${apiKey.slice(0, 10)}\r\nx-api-key: ${apiKey.slice(10)}\r\n`)],
    ];
    for (const [name, request] of attempts) {
      const { status, text } = await rawExchange(origin, request);
      assert.ok(status === 401 || status === 404, `${name}: expected 401 or 404, got ${status}: ${text.slice(0, 200)}`);
      assert.ok(!text.includes('"object":"list"') && !text.includes('chat.completion'), `${name}: served`);
    }
    assert.equal(chatRequests(stack.upstream).length, 0, 'nothing reached the upstream');
    // Whitespace around the key is only framing: still the key (so no key was being refused by accident above).
    assert.equal((await rawExchange(origin, get('/v1/models', `Authorization: Bearer\t ${apiKey} \t\r\n`))).status, 200);
  });
});

// coverage: a web page cannot drive an Iris whose auth is off with a "simple" cross-site POST
// (no preflight): no text/plain or form content type that smuggles `application/json` is parsed.
describe('security audit: CSRF against an Iris with auth off', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ config: { auth: { enabled: false } } });
  });
  after(() => stack?.close());

  it('coverage: simple-request content types that mention application/json are refused 415, unsent upstream', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    for (const type of [
      'text/plain; application/json',
      'text/plain;charset=application/json',
      'text/plain; boundary=application/json',
      'application/x-www-form-urlencoded; application/json',
      'multipart/form-data; boundary=application/json',
      'text/plain, application/json',
    ]) {
      const res = await fetch(`${stack.iris.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': type, origin: 'https://evil.example' }, body });
      assert.equal(res.status, 415, type);
      assert.equal(res.headers.get('access-control-allow-origin'), null, type);
      await res.arrayBuffer();
    }
    assert.equal(chatRequests(stack.upstream).length, 0);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets

describe("security audit: Iris's own provider key never reaches a client", () => {
  let stack: Stack;
  const PROVIDER_KEY = 'sk-upstream-secret'; // e2e-setup.ts's providers.fake.api_key
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.close());

  // Upstream error text is passed on, and an upstream or proxy may quote the credential it was
  // sent: Iris's provider key is masked in what the client gets and in the log (secret-redactor.ts).
  it('an upstream error that quotes the provider key does not pass the key to the client or the log', async () => {
    const echoes = [
      { status: 401, message: `API key ${PROVIDER_KEY} is invalid` },
      { status: 400, message: `Bad header 'authorization: Bearer ${PROVIDER_KEY}'` },
    ];
    for (const { status, message } of echoes) {
      for (const stream of [false, true]) {
        stack.upstream.script({ kind: 'error', status, body: { error: { message, type: 'invalid_request_error', param: null, code: null } } });
        const res = await postChat(stack.iris, { model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] });
        const text = await res.text();
        assert.equal(res.status, status);
        assert.ok(!text.includes(PROVIDER_KEY), `the client got the provider key (HTTP ${status}, stream ${stream}): ${text}`);
      }
    }
    const leaked = stack.iris.logs.filter((line) => JSON.stringify(line).includes(PROVIDER_KEY));
    assert.deepEqual(leaked, [], 'the provider key is in the log');
  });

  // coverage: control characters in an upstream's Retry-After (header injection toward the client).
  it('coverage: an upstream Retry-After holding control characters is refused whole, not passed on', async () => {
    const upstream: Server = createServer((socket) =>
      socket.once('data', () =>
        socket.end(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\x01X-Injected: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`),
      ),
    );
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as { port: number }).port;
    const iris = await startIris({ providers: { raw: { type: 'openai', base_url: `http://127.0.0.1:${port}/v1`, timeout_ms: 3000 } }, models: [{ name: 'm', provider: 'raw' }] });
    try {
      const res = await postChat(iris, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('x-injected'), null);
      assert.equal(res.headers.get('retry-after'), null);
      await res.arrayBuffer();
      assert.equal((await fetch(`${iris.origin}/health`)).status, 200);
    } finally {
      await iris.close();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Resource exhaustion: one request must not freeze the server for everyone

describe('security audit: a small request cannot stall the event loop (token counting)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.close());

  // Token counting runs on the main thread; BPE is quadratic in the length of one pre-token (a
  // run of letters with no space): 80 KB of 'b' took ~3 s whole (count-tokens.ts slices it).
  it('an 80 KB word in the prompt, to an upstream that reports no usage, does not block the event loop for a second', async () => {
    const completion = { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
    stack.upstream.script({ kind: 'json', body: completion });
    const { result, stallMs } = await longestStall(async () => {
      const res = await postChat(stack.iris, { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'b'.repeat(80_000) }, { role: 'user', content: 'hi' }] });
      await res.arrayBuffer();
      return res.status;
    });
    assert.equal(result, 200);
    assert.ok(stallMs < 1_000, `the event loop was blocked for ${Math.round(stallMs)} ms by one 80 KB request`);
  });
});

describe('security audit: a small request cannot stall the event loop (the engine, on by default)', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 1 } });
    for (let i = 0; i < 300 && (await fetch(`${iris.origin}/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(() => iris?.close());

  const ask = (text: string) =>
    longestStall(async () => {
      const res = await postChat(iris, {
        model: 'Image-Recognition',
        messages: [{ role: 'user', content: [{ type: 'text', text }, { type: 'image_url', image_url: { url: PNG_DATA_URL } }] }],
      });
      await res.arrayBuffer();
      return res.status;
    });

  // The engine counts prompt tokens for every request: the same, with no upstream needed.
  it('an 80 KB word in the question to Image-Recognition does not block the event loop for a second', async () => {
    const { result, stallMs } = await ask('c'.repeat(80_000));
    assert.equal(result, 200);
    assert.ok(stallMs < 1_000, `the event loop was blocked for ${Math.round(stallMs)} ms by one 80 KB request`);
  });

  // The engine's question parsing joined every tail of the phrase (coco-vocabulary.ts): "how
  // many a a a … ?" of 40 KB took ~4 s.
  it('a 40 KB "how many …" question to Image-Recognition does not block the event loop for a second', async () => {
    const { result, stallMs } = await ask(`how many ${'a '.repeat(20_000)}?`);
    assert.equal(result, 200);
    assert.ok(stallMs < 1_000, `the event loop was blocked for ${Math.round(stallMs)} ms by one 40 KB request`);
  });
});

describe('security audit: the budget of request bodies in flight (limits.inflight_body_bytes)', () => {
  let stack: Stack;
  const sockets: RawSocket[] = [];
  before(async () => {
    stack = await startStack({ config: { limits: { max_body_bytes: 2 * MB, inflight_body_bytes: 1.5 * MB } } });
  });
  after(async () => {
    for (const raw of sockets) raw.socket.destroy();
    await stack?.close();
  });

  // A chunked body (no Content-Length) counts against limits.inflight_body_bytes as it arrives,
  // as any other does (body-budget-hook.ts): otherwise any client could bypass the bound.
  it('a chunked body is held to the budget like one with a Content-Length', async () => {
    stack.upstream.reset();
    stack.upstream.script({ kind: 'hang' });
    const holder = new AbortController();
    const big = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(MB) }] });
    const holding = fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: big,
      signal: holder.signal,
    }).catch((err: unknown) => err);
    await stack.upstream.until(() => chatRequests(stack.upstream).length >= 1);
    try {
      // The same megabyte with a Content-Length is refused 503 (body-budget.test.ts); chunked:
      const bytes = new TextEncoder().encode(big);
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
        body: chunked,
        duplex: 'half',
        signal: AbortSignal.timeout(10_000),
      } as RequestInit);
      await res.arrayBuffer();
      assert.equal(res.status, 503, 'a chunked megabyte was let in past a full budget');
    } finally {
      holder.abort();
      await holding;
    }
  });

  // A body declared but never sent holds none of the budget: charged with its Content-Length,
  // one idle connection had every other request with a body refused 503 until the request
  // timeout (300 s).
  it('a connection that declares a large body and sends none does not get other requests refused', async () => {
    stack.upstream.reset();
    const idle = openRawSocket(stack.iris.origin);
    sockets.push(idle);
    idle.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.iris.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${1.5 * MB}\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 200)); // its head is read and admitted; no body byte ever follows
    const res = await postChat(stack.iris, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    const text = await res.text();
    assert.equal(res.status, 200, `a 100-byte request was refused because of a body that never came: ${text}`);
    idle.socket.destroy();
  });
});
