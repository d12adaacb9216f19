import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';
import { requestLogger } from './request-logger.ts';
import { SecretRedactor } from './secret-redactor.ts';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { lines, log: createLogger(level, sink, new SecretRedactor(['sk-upstream-0123456789'])) };
}

test("a request's lines carry its id, as pino's own child's do", () => {
  const { lines, log } = capture();
  const mine = requestLogger(log, { reqId: 'req_00ab0001' });
  const theirs = log.child({ reqId: 'req_00ab0001' });
  mine.info({ status: 200 }, 'request');
  theirs.info({ status: 200 }, 'request');
  const [a, b] = lines.map(({ time: _time, ...rest }) => rest);
  assert.deepEqual(a, b);
  assert.deepEqual(a, { level: 30, reqId: 'req_00ab0001', status: 200, msg: 'request' });
  assert.deepEqual(mine.bindings(), { reqId: 'req_00ab0001' });
});

test('the server logger is untouched; levels, children, redaction and masking still apply', () => {
  const { lines, log } = capture('warn');
  const request = requestLogger(log, { reqId: 'req_1' });
  request.info('not at warn');
  assert.equal(request.isLevelEnabled('info'), false);
  request.child({ provider: 'up' }).warn({ api_key: 'sk-own-secret', detail: 'sent sk-upstream-0123456789' }, 'upstream failed');
  log.warn('server line');
  assert.deepEqual(
    lines.map(({ time: _time, ...rest }) => rest),
    [
      { level: 40, reqId: 'req_1', provider: 'up', api_key: '[redacted]', detail: 'sent [redacted]', msg: 'upstream failed' },
      { level: 40, msg: 'server line' },
    ],
  );
});

test('binding values are written as JSON, whatever they hold', () => {
  const { lines, log } = capture();
  requestLogger(log, { reqId: 'a"b\\c\n' }).info('x');
  assert.equal(lines[0].reqId, 'a"b\\c\n');
});
