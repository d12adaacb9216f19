import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';
import { configSecrets, SecretRedactor } from './secret-redactor.ts';

test('masks every occurrence of each secret, the longest first; short values are not secrets', () => {
  const redactor = new SecretRedactor(['sk-upstream-0123456789', 'sk-upstream-0123456789-extended', 'true']);
  assert.equal(redactor.redact('key sk-upstream-0123456789 and sk-upstream-0123456789-extended, true'), 'key [redacted] and [redacted], true');
  assert.equal(redactor.redact('nothing here'), 'nothing here');
  assert.equal(new SecretRedactor(['short']).empty, true);
});

test("the config's secrets: providers' keys, header values and the tokens in them, Redis's password", () => {
  const secrets = configSecrets({
    providers: {
      a: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key: 'sk-aaaaaaaaaaaa', timeout_ms: 1, headers: { 'x-proxy-auth': 'Bearer tok-bbbbbbbbbb' } },
      b: { type: 'gemini', timeout_ms: 1, headers: {} },
    },
    redis_url: 'redis://default:p%40ss-cccccccc@127.0.0.1:6379',
  } as never);
  assert.deepEqual(secrets, ['sk-aaaaaaaaaaaa', 'Bearer tok-bbbbbbbbbb', 'tok-bbbbbbbbbb', 'p@ss-cccccccc']);
});

test('a log line that quotes a secret is written with it masked', () => {
  let written = '';
  const sink = new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) });
  const log = createLogger('info', sink, new SecretRedactor(['sk-upstream-0123456789']));
  log.info({ detail: 'API key sk-upstream-0123456789 is invalid' }, 'upstream said sk-upstream-0123456789');
  assert.ok(!written.includes('sk-upstream-0123456789'), written);
  assert.match(written, /API key \[redacted\] is invalid/);
});
