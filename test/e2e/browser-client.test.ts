// The official openai SDK in a real browser (headless Chromium), on a page from another
// origin, calling Iris as a web app would with `dangerouslyAllowBrowser`: a completion with an
// image, a stream, the request id and Retry-After read from response headers, an error body
// read back; and a page whose origin is not in `server.cors_origins` is stopped by the browser.
//
// Needs Chromium (`apt-get install -y chromium`; .ci/run installs it). Without it these tests
// are skipped with a note saying so, except under IRIS_REQUIRE_BROWSER (set by CI).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG_DATA_URL, startStack, type Stack } from './e2e-setup.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OPENAI_PACKAGE = fileURLToPath(new URL('../../node_modules/openai/', import.meta.url));
const missing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
// CI sets IRIS_REQUIRE_BROWSER, so there a missing browser fails instead of skipping.
if (missing && process.env.IRIS_REQUIRE_BROWSER) throw new Error(missing);
const skip = missing ?? false;

const PAGE = `<!doctype html>
<script type="importmap">{ "imports": { "openai": "/openai/index.mjs" } }</script>
<script type="module">import OpenAI from 'openai'; window.OpenAI = OpenAI; window.ready = true;</script>`;

/** Serves the page and the openai package's ES modules: a web app's origin, apart from Iris's. */
async function startPageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const file = normalize(join(OPENAI_PACKAGE, path.replace(/^\/openai\//, '')));
    if (!path.startsWith('/openai/') || !file.startsWith(OPENAI_PACKAGE) || !existsSync(file)) return res.writeHead(404).end();
    const type = extname(file) === '.mjs' ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What a call made in the page came to, as plain data the test can read. */
interface Outcome {
  ok: boolean;
  content?: string;
  requestId?: string | null;
  status?: number;
  code?: string;
  retryAfter?: string | null;
  name?: string;
}

describe('the openai SDK in a browser, on another origin', { skip }, () => {
  let browser: Browser;
  let pages: { origin: string; server: Server };
  let stack: Stack;
  let page: Page;

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // No calls home: this machine's network is closed, and the tests use loopback only.
      args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    pages = await startPageServer();
    stack = await startStack();
    page = await browser.newPage();
    await page.goto(pages.origin);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  });
  after(async () => {
    await browser?.close();
    pages?.server.close();
    await stack?.close();
  });

  /** Runs `call` in the page with a client for Iris; the outcome comes back as data. */
  function inPage(call: string, apiKey = stack.iris.apiKey, baseURL = stack.iris.baseURL): Promise<Outcome> {
    return page.evaluate(
      async ({ call, apiKey, baseURL }) => {
        const OpenAI = (window as unknown as { OpenAI: new (o: object) => unknown }).OpenAI;
        const client = new OpenAI({ baseURL, apiKey, dangerouslyAllowBrowser: true, maxRetries: 0 });
        try {
          return (await new Function('client', `return (async () => { ${call} })()`)(client)) as Outcome;
        } catch (err) {
          const e = err as { status?: number; code?: string; headers?: Headers; constructor: { name: string } };
          return { ok: false, status: e.status, code: e.code, retryAfter: e.headers?.get('retry-after') ?? null, name: e.constructor.name };
        }
      },
      { call, apiKey, baseURL },
    );
  }

  it('gets a completion for an image, and reads the request id from the response headers', async () => {
    const outcome = await inPage(`
      const { data, request_id } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: '${PNG_DATA_URL}' } } ] }] })
        .withResponse();
      return { ok: true, content: data.choices[0].message.content, requestId: request_id };`);
    assert.deepEqual(outcome, { ok: true, content: 'I see 1 image. You said: What is this?', requestId: outcome.requestId });
    assert.match(outcome.requestId ?? '', /^req_[0-9a-f]+$/);
  });

  it('streams', async () => {
    const outcome = await inPage(`
      const { data: stream, request_id } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream to a page' }] })
        .withResponse();
      let content = '';
      for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
      return { ok: true, content, requestId: request_id };`);
    assert.equal(outcome.content, 'I see 0 images. You said: stream to a page');
    assert.match(outcome.requestId ?? '', /^req_[0-9a-f]+$/, 'the stream carries the request id too');
  });

  it('reads an error body and Retry-After', async () => {
    const wrongKey = await inPage(`await client.models.list(); return { ok: true };`, 'sk-not-a-key-at-all');
    assert.deepEqual(wrongKey, { ok: false, status: 401, code: 'invalid_api_key', retryAfter: null, name: 'AuthenticationError' });

    stack.upstream.script({ kind: 'error', status: 429 });
    const limited = await inPage(`await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }); return { ok: true };`);
    assert.equal(limited.status, 429);
    assert.equal(limited.name, 'RateLimitError');
    assert.match(limited.retryAfter ?? '', /^\d+$/, 'Retry-After is exposed to the page');
  });

  it('is refused by the browser when the page is not an allowed origin', async () => {
    const strict = await startStack({ config: { server: { cors_origins: ['https://app.example.com'] } } });
    try {
      const outcome = await inPage(`await client.models.list(); return { ok: true };`, strict.iris.apiKey, strict.iris.baseURL);
      assert.deepEqual(outcome, { ok: false, status: undefined, code: undefined, retryAfter: null, name: 'APIConnectionError' });
      // The browser sent the request (a simple GET needs no preflight) but kept the answer from the page.
      const allowed = await fetch(`${strict.iris.baseURL}/models`, { headers: { origin: 'https://app.example.com', authorization: `Bearer ${strict.iris.apiKey}` } });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com');
    } finally {
      await strict.close();
    }
  });
});
