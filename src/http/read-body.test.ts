import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readBody } from './read-body.ts';

// readBody over a real stream: the bytes, the limits and errors Fastify would give, and the
// chunks freed once copied. (The HTTP path is covered end to end in test/e2e.)

interface Outcome {
  err: (Error & { code?: string; statusCode?: number }) | null;
  body?: Buffer;
}

function read(chunks: (Buffer | Error)[], declared: number, limit = 1 << 30): Promise<Outcome> {
  const stream = new PassThrough();
  const result = new Promise<Outcome>((resolve) => readBody(stream, declared, limit, (err, body) => resolve({ err, body })));
  for (const chunk of chunks) {
    if (chunk instanceof Error) stream.destroy(chunk);
    else stream.write(chunk);
  }
  stream.end();
  return result;
}

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

test('readBody: chunks with a Content-Length are copied into one body and freed as they come', async () => {
  const parts = [bytes(40_000, 1), bytes(70_000, 2), bytes(5, 3)];
  const expected = Buffer.concat(parts);
  const { err, body } = await read(parts, expected.length);
  assert.equal(err, null);
  assert.deepEqual(body, expected);
  assert.deepEqual(
    parts.map((p) => p.length),
    [0, 0, 5],
    'large chunks are freed once copied; small ones are left to the collector',
  );
});

test('readBody: a body that came as one chunk of its own is used as it is', async () => {
  const only = bytes(100_000, 4);
  const { body } = await read([only], only.length);
  assert.equal(body, only);
});

test('readBody: without a Content-Length (chunked) the chunks are joined, then freed', async () => {
  const parts = [bytes(50_000, 5), bytes(50_000, 6)];
  const expected = Buffer.concat(parts);
  const { err, body } = await read(parts, Number.NaN);
  assert.equal(err, null);
  assert.deepEqual(body, expected);
  assert.deepEqual(parts.map((p) => p.length), [0, 0]);
});

test('readBody: an empty body is an empty buffer', async () => {
  assert.deepEqual((await read([], 0)).body, Buffer.alloc(0));
  assert.deepEqual((await read([], Number.NaN)).body, Buffer.alloc(0));
});

test('readBody: over the limit is 413 FST_ERR_CTP_BODY_TOO_LARGE, by Content-Length before reading or as bytes arrive', async () => {
  const declared = await read([bytes(10, 7)], 2_000, 1_000);
  assert.equal(declared.err?.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
  assert.equal(declared.err?.statusCode, 413);
  const streamed = await read([bytes(600, 8), bytes(600, 9)], Number.NaN, 1_000);
  assert.equal(streamed.err?.code, 'FST_ERR_CTP_BODY_TOO_LARGE');
});

test('readBody: more or fewer bytes than the Content-Length is 400 FST_ERR_CTP_INVALID_CONTENT_LENGTH', async () => {
  const more = await read([bytes(60, 10), bytes(60, 11)], 100);
  assert.equal(more.err?.code, 'FST_ERR_CTP_INVALID_CONTENT_LENGTH');
  assert.equal(more.err?.statusCode, 400);
  const fewer = await read([bytes(60, 12)], 100);
  assert.equal(fewer.err?.code, 'FST_ERR_CTP_INVALID_CONTENT_LENGTH');
});

test('readBody: a stream error is a 400 unless it says otherwise', async () => {
  const { err } = await read([bytes(10, 13), new Error('socket hang up')], 100);
  assert.equal(err?.message, 'socket hang up');
  assert.equal(err?.statusCode, 400);
});
