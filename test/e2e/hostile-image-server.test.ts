// Image URLs on a hostile image server on loopback, fetched by the real Iris: a body trickled
// forever, a Content-Length that lies either way, an endless chunked body, a redirect loop, a
// redirect to another scheme, an HTML page, compressed bodies (one a gzip bomb). Each is a 400
// in OpenAI's shape whose param is the image's path and whose message says what went wrong;
// Iris keeps serving. The server is a raw socket server, so it can send what node:http would not.

import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { assertErrorResponse } from '../support/openai-schemas.ts';
import { chatRequests, startStack, type Stack } from './e2e-setup.ts';

const FETCH_TIMEOUT_MS = 1000;
const MAX_BYTES = 200_000;
const PARAM = 'messages[0].content[1].image_url.url';

let stack: Stack;
let jpeg: Buffer;
const bomb = gzipSync(Buffer.alloc(32 << 20)); // 32 MB of zeros in ~32 kB: 160 times the byte limit once inflated

function head(socket: Socket, status: string, headers: Record<string, string | number>): void {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`HTTP/1.1 ${status}\r\n${lines}connection: close\r\n\r\n`);
}

/** What each path answers; every answer ends the connection (or never ends, for the slow ones). */
const routes: Record<string, (socket: Socket, query: URLSearchParams) => void> = {
  '/photo.jpg': (s) => {
    head(s, '200 OK', { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    s.end(jpeg);
  },
  '/trickle': (s) => {
    head(s, '200 OK', { 'content-type': 'image/jpeg' });
    const timer = setInterval(() => s.write(jpeg.subarray(0, 1)), 50); // a byte every 50 ms, forever
    s.on('close', () => clearInterval(timer));
  },
  '/longer-than-body': (s) => {
    head(s, '200 OK', { 'content-type': 'image/jpeg', 'content-length': jpeg.length * 2 });
    s.end(jpeg);
  },
  '/shorter-than-body': (s) => {
    head(s, '200 OK', { 'content-type': 'image/jpeg', 'content-length': Math.floor(jpeg.length / 2) });
    s.end(jpeg);
  },
  '/endless-chunked': (s) => {
    head(s, '200 OK', { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0xff), Buffer.from('\r\n')]);
    const push = (): void => {
      while (!s.destroyed && s.write(chunk));
      if (!s.destroyed) s.once('drain', push);
    };
    push();
  },
  '/loop': (s, q) => {
    head(s, '302 Found', { location: `/loop?n=${Number(q.get('n') ?? 0) + 1}`, 'content-length': 0 });
    s.end();
  },
  '/to-file': (s) => {
    head(s, '302 Found', { location: 'file:///etc/passwd', 'content-length': 0 });
    s.end();
  },
  '/to-gopher': (s) => {
    head(s, '301 Moved Permanently', { location: 'gopher://127.0.0.1:70/1', 'content-length': 0 });
    s.end();
  },
  '/login': (s) => {
    const page = Buffer.from('<!doctype html><html><title>Sign in</title><body>Please sign in.</body></html>');
    head(s, '200 OK', { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
    s.end(page);
  },
  '/gzip-bomb': (s) => {
    head(s, '200 OK', { 'content-type': 'image/png', 'content-encoding': 'gzip', 'content-length': bomb.length });
    s.end(bomb);
  },
  '/br': (s) => {
    head(s, '200 OK', { 'content-type': 'image/png', 'content-encoding': 'br', 'content-length': 5 });
    s.end('xxxxx');
  },
};

const server = createServer((socket) => {
  socket.on('error', () => {}); // Iris hangs up on the slow ones
  socket.once('data', (request) => {
    const target = new URL(request.toString('latin1').split(' ')[1] ?? '/', 'http://x');
    const route = routes[target.pathname];
    if (route) return route(socket, target.searchParams);
    head(socket, '404 Not Found', { 'content-length': 0 });
    socket.end();
  });
});

before(async () => {
  jpeg = await makeImage('jpeg', 320, 240, { noise: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stack = await startStack({
    provider: { fetch_urls: 'iris' },
    config: { images: { fetch: { allow_hosts: [host()], timeout_ms: FETCH_TIMEOUT_MS, max_bytes: MAX_BYTES, max_redirects: 5 } } },
  });
});

after(async () => {
  await stack?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function host(): string {
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function ask(path: string): Promise<{ status: number; body: { error: { message: string; type: string; code: string | null; param: string | null } } }> {
  const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `http://${host()}${path}` } }] }],
    }),
  });
  return { status: res.status, body: await res.json() };
}

const cases: [name: string, path: string, code: string, message: RegExp][] = [
  ['a body trickled forever: one deadline for the whole fetch', '/trickle', 'image_fetch_failed', /timed out after 1 s/],
  ['a Content-Length longer than the body', '/longer-than-body', 'image_fetch_failed', /closed the connection before the whole image arrived/],
  ['a Content-Length shorter than the body (the rest is never read)', '/shorter-than-body', 'invalid_image', /truncated or corrupt/],
  ['an endless chunked body with no Content-Length', '/endless-chunked', 'image_too_large', /larger than 200 kB/],
  ['a redirect loop', '/loop', 'image_fetch_failed', /redirected more than 5 times/],
  ['a redirect to file:', '/to-file', 'invalid_image_url', /must use http or https, not file/],
  ['a redirect to gopher:', '/to-gopher', 'invalid_image_url', /must use http or https, not gopher/],
  ['a 200 with an HTML page', '/login', 'invalid_image', /answered with text\/html, not an image/],
  ['a gzip bomb (refused, never inflated)', '/gzip-bomb', 'image_fetch_failed', /compressed \(gzip\)/],
  ['a br-compressed body', '/br', 'image_fetch_failed', /compressed \(br\)/],
];

describe('image URLs on a hostile image server', () => {
  for (const [name, path, code, message] of cases) {
    it(`${name} → 400 ${code} at the image's param`, async () => {
      const started = Date.now();
      const upstreamBefore = chatRequests(stack.upstream).length;
      const { status, body } = await ask(`${path}?sig=secret`);
      assert.equal(status, 400, JSON.stringify(body));
      assertErrorResponse(body);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.code, code);
      assert.equal(body.error.param, PARAM);
      assert.match(body.error.message, message);
      assert.ok(!body.error.message.includes('secret'), body.error.message);
      assert.ok(Date.now() - started < FETCH_TIMEOUT_MS + 2000, 'answered within the fetch deadline');
      assert.equal(chatRequests(stack.upstream).length, upstreamBefore, 'nothing went upstream');
    });
  }

  it('keeps serving: the same server\'s real image goes through, /health is ok', async () => {
    const { status } = await ask('/photo.jpg');
    assert.equal(status, 200);
    assert.equal((await fetch(`${stack.iris.origin}/health`)).status, 200);
  });
});
