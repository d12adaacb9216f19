import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSseEvents } from './read-sse-events.ts';

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}
async function all(source: AsyncIterable<Uint8Array>) {
  const out = [];
  for await (const e of readSseEvents(source)) out.push({ event: e.event, data: e.data });
  return out;
}

test('events split across reads, CRLF framing, comments and multi-byte characters split mid-way', async () => {
  const euro = new TextEncoder().encode('€');
  async function* split(): AsyncGenerator<Uint8Array> {
    yield* pieces('event: message_start\r\ndata: {"a":', '1}\r\n\r\n: keep-alive\r\n\r\ndata: "');
    yield euro.subarray(0, 1);
    yield euro.subarray(1);
    yield new TextEncoder().encode('"\n\n');
  }
  assert.deepEqual(await all(split()), [
    { event: 'message_start', data: '{"a":1}' },
    { event: undefined, data: '"€"' },
  ]);
});

test('an event cut off before its blank line is discarded at the end of the body (SSE spec)', async () => {
  assert.deepEqual(await all(pieces('data: {"x":1}\n\ndata: {"y":2}\n')), [{ event: undefined, data: '{"x":1}' }]);
});

test('an error from the body propagates', async () => {
  async function* broken(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode('data: 1\n\n');
    throw new Error('socket closed');
  }
  await assert.rejects(all(broken()), /socket closed/);
});
