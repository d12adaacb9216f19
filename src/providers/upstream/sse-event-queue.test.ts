import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventSourceMessage } from 'eventsource-parser';
import { ApiError } from '../../openai/api-error.ts';
import { SseEventQueue } from './sse-event-queue.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

function recordingSource() {
  const calls = { resumed: 0, cancelled: [] as string[] };
  return { calls, source: { resume: () => void calls.resumed++, cancel: (reason: Error) => void calls.cancelled.push(reason.message) } };
}

async function all(queue: AsyncIterable<EventSourceMessage>) {
  const out = [];
  for await (const e of queue) out.push({ event: e.event, data: e.data });
  return out;
}

test('events split across reads, CRLF framing, comments and multi-byte characters split mid-way', async () => {
  const queue = new SseEventQueue(recordingSource().source);
  const euro = bytes('€');
  queue.feed(bytes('event: message_start\r\ndata: {"a":'));
  queue.feed(bytes('1}\r\n\r\n: keep-alive\r\n\r\ndata: "'));
  queue.feed(euro.subarray(0, 1));
  queue.feed(euro.subarray(1));
  queue.feed(bytes('"\n\n'));
  queue.end();
  assert.deepEqual(await all(queue), [
    { event: 'message_start', data: '{"a":1}' },
    { event: undefined, data: '"€"' },
  ]);
});

test('an event cut off before its blank line is discarded at the end of the body (SSE spec)', async () => {
  const queue = new SseEventQueue(recordingSource().source);
  queue.feed(bytes('data: {"x":1}\n\ndata: {"y":2}\n'));
  queue.end();
  assert.deepEqual(await all(queue), [{ event: undefined, data: '{"x":1}' }]);
});

test('a reader waiting for the next event gets it as soon as its bytes arrive', async () => {
  const queue = new SseEventQueue(recordingSource().source);
  const pending = queue.next();
  queue.feed(bytes('data: late\n\n'));
  assert.deepEqual(await pending, { value: { id: undefined, event: undefined, data: 'late' }, done: false });
  const last = queue.next();
  queue.end();
  assert.deepEqual(await last, { value: undefined, done: true });
});

test('a failure reaches the reader after the events that arrived before it, waiting or not', async () => {
  const queue = new SseEventQueue(recordingSource().source);
  queue.feed(bytes('data: 1\n\ndata: 2\n\n'));
  queue.fail(new Error('socket closed'));
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const e of queue) seen.push(e.data);
    })(),
    /socket closed/,
  );
  assert.deepEqual(seen, ['1', '2']);

  const waiting = new SseEventQueue(recordingSource().source);
  const next = waiting.next();
  waiting.fail(new Error('reset'));
  await assert.rejects(next, /reset/);
});

test('too many unread events pause the body; reading them all resumes it', async () => {
  const { calls, source } = recordingSource();
  const queue = new SseEventQueue(source);
  let accepted = true;
  let fed = 0;
  while (accepted) {
    accepted = queue.feed(bytes(`data: ${fed++}\n\n`));
    assert.ok(fed <= 64, 'pauses at the high-water mark');
  }
  assert.equal(fed, 64);
  for (let i = 0; i < 63; i++) await queue.next();
  assert.equal(calls.resumed, 0, 'still events waiting');
  await queue.next();
  assert.equal(calls.resumed, 1);
});

test('the source hears of each event, not of comments or pings; paused says whether the body is held', async () => {
  let received = 0;
  const { source } = recordingSource();
  const queue = new SseEventQueue({ ...source, received: () => void received++ });
  queue.feed(bytes(': keep-alive\n\n: OPENROUTER PROCESSING\n\n'));
  assert.equal(received, 0);
  queue.feed(bytes('data: 1\n\n: ping\n\nevent: x\ndata: 2\n\n'));
  assert.equal(received, 2);
  queue.feed(bytes('event: ping\ndata: {"type": "ping"}\n\n'));
  assert.equal(received, 2, "Anthropic's heartbeat");
  assert.equal(queue.paused, false);
  for (let i = 0; i < 61; i++) queue.feed(bytes(`data: ${i}\n\n`));
  assert.equal(queue.paused, true);
  for (let i = 0; i < 64; i++) await queue.next();
  assert.equal(queue.paused, false);
});

test('a reader that stops early cancels the upstream request; one that read to the end does not', async () => {
  const early = recordingSource();
  const queue = new SseEventQueue(early.source);
  queue.feed(bytes('data: 1\n\ndata: 2\n\n'));
  for await (const e of queue) if (e.data === '1') break;
  assert.deepEqual(early.calls.cancelled, ['the reader of the upstream stream stopped']);
  assert.equal(queue.feed(bytes('data: 3\n\n')), true, 'bytes after the reader left are dropped');
  assert.deepEqual(await queue.next(), { value: undefined, done: true });

  const whole = recordingSource();
  const done = new SseEventQueue(whole.source);
  done.feed(bytes('data: [DONE]\n\n'));
  done.end();
  for await (const e of done) if (e.data === '[DONE]') break;
  assert.deepEqual(whole.calls.cancelled, [], 'a finished body is not aborted (the connection stays reusable)');
});

test('a reader that finish()es at the end marker drains the body (the connection is kept), unless events wait after it', async () => {
  const drained: string[] = [];
  const { calls, source } = recordingSource();
  const queue = new SseEventQueue({ ...source, drain: () => void drained.push('drain') });
  queue.feed(bytes('data: 1\n\ndata: [DONE]\n\n'));
  for await (const e of queue) {
    if (e.data !== '[DONE]') continue;
    queue.finish();
    break;
  }
  assert.deepEqual([drained, calls.cancelled], [['drain'], []]);
  assert.equal(queue.feed(bytes(': more\n\n')), true, 'the rest is read and dropped');
  queue.end();

  const going = recordingSource();
  const on = new SseEventQueue({ ...going.source, drain: () => void drained.push('again') });
  on.feed(bytes('data: [DONE]\n\ndata: 2\n\n'));
  assert.equal((await on.next()).value?.data, '[DONE]');
  on.finish();
  assert.deepEqual([drained.length, going.calls.cancelled], [1, ['the reader of the upstream stream stopped']]);
});

test('large unread events pause the body by their size, not only by their count', async () => {
  const { calls, source } = recordingSource();
  const queue = new SseEventQueue(source);
  const big = 'x'.repeat(600_000);
  assert.equal(queue.feed(bytes(`data: ${big}\n\n`)), true);
  assert.equal(queue.feed(bytes(`data: ${big}\n\n`)), false, 'over a MiB of data waits unread');
  await queue.next();
  assert.equal(calls.resumed, 0);
  await queue.next();
  assert.equal(calls.resumed, 1);
});

test('an event that grows past maxEventChars fails the reader with a 502 and cancels the upstream request', async () => {
  const { calls, source } = recordingSource();
  const queue = new SseEventQueue(source, { maxEventChars: 1000 });
  assert.equal(queue.feed(bytes('data: {"ok":1}\n\n')), true);
  assert.equal(queue.feed(bytes(`data: ${'y'.repeat(600)}`)), true);
  assert.equal(queue.feed(bytes('y'.repeat(600))), false, 'past the bound: stop reading');
  assert.equal(queue.feed(bytes('y'.repeat(600))), false, 'bytes still in flight are dropped, not parsed');
  assert.deepEqual((await queue.next()).value?.data, '{"ok":1}', 'the events before it still reach the reader');
  await assert.rejects(queue.next(), (err: ApiError) => err.status === 502 && err.code === 'upstream_event_too_large');
  await Promise.resolve();
  assert.equal(calls.cancelled.length, 1);
});

test('an event just under maxEventChars passes whole', async () => {
  const queue = new SseEventQueue(recordingSource().source, { maxEventChars: 1000 });
  const data = 'z'.repeat(900);
  queue.feed(bytes(`data: ${data.slice(0, 450)}`));
  queue.feed(bytes(`${data.slice(450)}\n\n`));
  queue.end();
  assert.deepEqual((await queue.next()).value?.data, data);
});
