// CORS at the HTTP level, for every browser-facing default (the browser itself is in
// browser-client.test.ts): a preflight needs no key, pages may read the request id and
// Retry-After, and an Iris with auth off answers no page unless told to.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startIris } from '../support/start-iris.ts';

const ORIGIN = 'https://app.example.com';

function preflight(base: string): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os' },
  });
}

describe('CORS', () => {
  it('with auth on: any origin, preflight without a key, the headers a client reads exposed', async () => {
    const running = await startIris();
    try {
      const pre = await preflight(running.origin);
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), '*');
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization, content-type, x-stainless-os');
      assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'keys are bearer tokens, never cookies');
      assert.equal(pre.headers.get('access-control-allow-private-network'), null);

      const refused = await fetch(`${running.origin}/v1/models`, { headers: { origin: ORIGIN } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('access-control-allow-origin'), '*', 'a page can read why it was refused');
      assert.deepEqual(refused.headers.get('access-control-expose-headers')?.split(/,\s*/), ['x-request-id', 'retry-after', 'retry-after-ms', 'x-should-retry']);

      // An OPTIONS that is no preflight (no Origin, or no Access-Control-Request-Method: curl, a
      // monitor) is no error: it gets what a preflight gets, never a text/plain 400.
      for (const headers of [{}, { origin: ORIGIN }, { 'access-control-request-method': 'POST' }] as Record<string, string>[]) {
        const plain = await fetch(`${running.origin}/v1/chat/completions`, { method: 'OPTIONS', headers });
        assert.equal(plain.status, 204, `${JSON.stringify(headers)}: ${await plain.text()}`);
        assert.match(plain.headers.get('access-control-allow-methods') ?? '', /POST/);
      }
    } finally {
      await running.close();
    }
  });

  it('with auth off: no origin unless server.cors_origins names it', async () => {
    const open = await startIris({ auth: { enabled: false } });
    try {
      assert.equal((await preflight(open.origin)).headers.get('access-control-allow-origin'), null);
      const models = await fetch(`${open.origin}/v1/models`, { headers: { origin: ORIGIN } });
      assert.equal(models.status, 200);
      assert.equal(models.headers.get('access-control-allow-origin'), null);
    } finally {
      await open.close();
    }
    const named = await startIris({ auth: { enabled: false }, server: { cors_origins: [ORIGIN] } });
    try {
      assert.equal((await preflight(named.origin)).headers.get('access-control-allow-origin'), ORIGIN);
      const other = await fetch(`${named.origin}/v1/models`, { headers: { origin: 'https://elsewhere.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.equal(other.headers.get('vary'), 'Origin', 'caches keep answers for different origins apart');
    } finally {
      await named.close();
    }
  });
});
