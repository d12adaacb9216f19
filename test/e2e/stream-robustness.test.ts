// Streams and connections under adverse timing: a real Iris on loopback in front of one fake
// upstream that speaks all three dialects (OpenAI-compatible, Anthropic, Gemini) and is told,
// request by request, how to misbehave in time: hang after the headers, hang mid-stream, send
// only heartbeat comments, cut the socket mid-event, reset it, send one enormous event or never
// stop; and clients that misbehave: disconnect during the upload, during an image fetch, before
// the upstream answers, mid-stream, or read very slowly. After each, the upstream must have seen
// its request end (no leaked upstream sockets), Iris's budgets must be whole again, and Iris must
// keep answering.
//
// Deterministic signals over sleeps: the fake records when Iris goes away from it, and what the
// client sees is read to its end under a generous deadline.

import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { startFakeServer, type Exchange, type FakeServer, type RecordedRequest } from '../support/fake-upstream-server.ts';
import { dialectAnswer, dialectFrames, type Dialect } from '../support/dialect-wire.ts';
import { assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

// ---------------------------------------------------------------------------------------------
// The fake upstream: each request is answered by the next scripted handler, else normally.

type Handler = (record: RecordedRequest, res: ServerResponse, exchange: Exchange<Handler>) => void | Promise<void>;

const DIALECTS: Dialect[] = ['openai', 'anthropic', 'gemini'];
/** The Iris model that goes to each dialect. */
const MODEL: Record<Dialect, string> = { openai: 'oai', anthropic: 'ant', gemini: 'gem' };
const TIMEOUT_MS = 1500;

function dialectOf(record: RecordedRequest): Dialect {
  if (record.path.startsWith('/v1/chat/completions')) return 'openai';
  if (record.path.startsWith('/v1/messages')) return 'anthropic';
  return 'gemini';
}

function isStream(record: RecordedRequest): boolean {
  return record.path.includes('streamGenerateContent') || (record.body as { stream?: boolean } | undefined)?.stream === true;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** The wire events of a stream that says `words`, then (if `finish`) ends as each dialect ends. */
const streamFrames = (dialect: Dialect, words: string[], finish = true): string[] => dialectFrames(dialect, words, { finish });

/** A non-streamed answer in each dialect. */
const jsonAnswer = (dialect: Dialect, text: string): unknown => dialectAnswer(dialect, text);

const REPLY_WORDS = ['All', ' is', ' well.'];

const answerNormally: Handler = (record, res) => {
  const dialect = dialectOf(record);
  if (isStream(record)) {
    res.writeHead(200, SSE_HEADERS);
    res.end(streamFrames(dialect, REPLY_WORDS).join(''));
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jsonAnswer(dialect, REPLY_WORDS.join(''))));
  }
};

/** Headers, then (unless `count` is 0) a stream's first `count` words, then nothing more, ever. */
const hangAfter = (count: number): Handler => (record, res) => {
  res.writeHead(200, SSE_HEADERS);
  if (count > 0) res.write(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, count), false).join(''));
  else res.flushHeaders();
};

/**
 * Headers, then an SSE comment every 200 ms (OpenRouter's and a generic one, in turn) until the
 * client goes; with `then`, a stream's first `words` words at `at` ms, the comments going on.
 */
const heartbeats = (then?: { at: number; words: number }): Handler => (record, res) => {
  res.writeHead(200, SSE_HEADERS);
  let beats = 0;
  const timer = setInterval(() => res.write(beats++ % 2 ? ': keep-alive\n\n' : ': OPENROUTER PROCESSING\n\n'), 200);
  const events = then && setTimeout(() => res.write(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, then.words), false).join('')), then.at);
  res.on('close', () => {
    clearInterval(timer);
    clearTimeout(events);
  });
};

/** A JSON body written a character every 50 ms, until it ends or the client goes. */
async function trickle(res: ServerResponse, status: number, text: string): Promise<void> {
  res.writeHead(status, { 'content-type': 'application/json' });
  for (const ch of text) {
    if (res.destroyed) return;
    res.write(ch);
    await sleep(50);
  }
  res.end();
}

/** Writes `frames` and waits for each to drain; stops when the client goes or after `limit` bytes. */
async function writeAll(res: ServerResponse, next: () => string | null, counter: { bytes: number }, limit = Infinity): Promise<void> {
  while (!res.destroyed && counter.bytes < limit) {
    const frame = next();
    if (frame === null) return;
    counter.bytes += Buffer.byteLength(frame);
    if (!res.write(frame)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clients

interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** POSTs with node:http and reads the whole answer (rejects after `timeoutMs`: a hang). */
function post(iris: RunningIris, body: unknown, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.end(JSON.stringify(body));
  });
}

/** The data payloads of an SSE body. */
function dataEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
}

/** Asserts the body is chunks then one OpenAI error event, and no [DONE]; returns the error. */
function assertEndsWithError(text: string): { error: { type: string; code?: string | null; message: string } } {
  const events = dataEvents(text);
  assert.ok(events.length >= 1, `events: ${JSON.stringify(text.slice(0, 300))}`);
  assert.equal(events.includes('[DONE]'), false, 'no [DONE] after an error');
  const last = JSON.parse(events.at(-1)!) as { error: { type: string; code?: string | null; message: string } };
  assertErrorResponse(last);
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event) as { choices: unknown[]; usage?: unknown };
    assertChatCompletionChunk(chunk);
    assert.notEqual(chunk.choices.length, 0, 'no usage chunk on a failed stream');
  }
  return last;
}

/** A raw socket that sends a request's head and part of its body, for upload disconnects. */
function openRawSocket(iris: RunningIris): Promise<Socket> {
  const { port } = new URL(iris.origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Sends a request with node:http; `response` resolves at its headers, the body left unread. */
function startRequest(iris: RunningIris, body: unknown): { response: Promise<IncomingMessage>; destroy(): void } {
  const req = httpRequest(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.on('response', resolve);
  });
  response.catch(() => {});
  req.end(JSON.stringify(body));
  return { response, destroy: () => req.destroy() };
}

/** Starts a stream and resolves at its headers, with the response left unread. */
async function openStream(iris: RunningIris, body: unknown): Promise<{ res: IncomingMessage; destroy(): void }> {
  const started = startRequest(iris, body);
  return { res: await started.response, destroy: started.destroy };
}

/** How many streams Iris has logged as closed by their client. */
const closedLogs = (iris: RunningIris) => iris.logs.filter((l) => l.msg === 'request' && l.status === 499).length;

const userMessage = [{ role: 'user' as const, content: 'hello' }];

// ---------------------------------------------------------------------------------------------

describe('streams and connections under adverse timing', () => {
  let upstream: FakeServer<Handler, unknown>;
  let iris: RunningIris;

  before(async () => {
    upstream = await startFakeServer<Handler>({
      handle: (record, res, exchange) => (exchange.nextStep() ?? answerNormally)(record, res, exchange),
    });
    iris = await startIris({
      providers: {
        oai: { type: 'openai', base_url: `${upstream.origin}/v1`, api_key: 'sk-up', timeout_ms: TIMEOUT_MS },
        ant: { type: 'anthropic', base_url: upstream.origin, api_key: 'sk-ant', timeout_ms: TIMEOUT_MS },
        gem: { type: 'gemini', base_url: upstream.origin, api_key: 'gem-key', timeout_ms: TIMEOUT_MS },
      },
      models: [
        { name: 'oai', provider: 'oai', upstream: 'gpt-4o' },
        { name: 'ant', provider: 'ant', upstream: 'claude-x' },
        { name: 'gem', provider: 'gem', upstream: 'gemini-x' },
      ],
    });
  });
  after(async () => {
    await iris?.close();
    await upstream?.close();
  });

  /** Iris still answers a stream and a plain request on every dialect. */
  async function assertStillServing(): Promise<void> {
    for (const dialect of DIALECTS) {
      const stream = await iris.client.chat.completions.create({ model: MODEL[dialect], messages: userMessage, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, REPLY_WORDS.join(''), `${dialect} stream`);
      const completion = await iris.client.chat.completions.create({ model: MODEL[dialect], messages: userMessage });
      assert.equal(completion.choices[0].message.content, REPLY_WORDS.join(''), `${dialect} completion`);
    }
  }

  /** The last request the fake saw, once Iris has gone away from it. */
  async function lastRequestClosed(): Promise<void> {
    const record = upstream.requests.at(-1)!;
    await upstream.until(() => record.aborted, 10_000);
  }

  it('answers normally on all three dialects', async () => {
    await assertStillServing();
  });

  for (const dialect of DIALECTS) {
    describe(`${dialect} upstream`, () => {
      it('headers, then silence before the first event: 504 timeout_error, and the upstream request is closed', async () => {
        upstream.script(hangAfter(0));
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } });
        assert.equal(answer.status, 504, answer.text);
        const body = JSON.parse(answer.text) as { error: { type: string } };
        assertErrorResponse(body);
        assert.equal(body.error.type, 'timeout_error');
        await lastRequestClosed();
      });

      it('some events, then silence: the idle timeout (timeout_ms) ends it with an error event, no usage chunk, no [DONE]', async () => {
        upstream.script(hangAfter(2));
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } });
        assert.equal(answer.status, 200);
        const error = assertEndsWithError(answer.text);
        assert.equal(error.error.type, 'timeout_error');
        assert.match(error.error.message, new RegExp(`${TIMEOUT_MS} ms`));
        const content = dataEvents(answer.text).slice(0, -1).map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0].delta.content ?? '').join('');
        assert.equal(content, REPLY_WORDS.slice(0, 2).join(''), 'what came before the failure got through');
        await lastRequestClosed();
      });

      // Heartbeats (OpenRouter's `: OPENROUTER PROCESSING` while queued, `: keep-alive`) keep
      // intermediaries from closing an idle connection; they do not extend Iris's wait for an event.
      it('headers, then only heartbeat comments: 504 timeout_error at timeout_ms, and the upstream request is closed', async () => {
        upstream.script(heartbeats());
        const started = Date.now();
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } }, 8_000);
        const took = Date.now() - started;
        assert.equal(answer.status, 504, answer.text);
        const body = JSON.parse(answer.text) as { error: { type: string } };
        assertErrorResponse(body);
        assert.equal(body.error.type, 'timeout_error');
        assert.ok(took >= TIMEOUT_MS - 50, `ended after ${took} ms`);
        await lastRequestClosed();
      });

      it('heartbeats, some events, then only heartbeats: an error event timeout_ms after the last event', async () => {
        const eventsAt = TIMEOUT_MS * 0.6;
        upstream.script(heartbeats({ at: eventsAt, words: 2 }));
        const started = Date.now();
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } }, 8_000);
        const took = Date.now() - started;
        assert.equal(answer.status, 200);
        const error = assertEndsWithError(answer.text);
        assert.equal(error.error.type, 'timeout_error');
        assert.match(error.error.message, new RegExp(`${TIMEOUT_MS} ms`));
        const content = dataEvents(answer.text).slice(0, -1).map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0].delta.content ?? '').join('');
        assert.equal(content, REPLY_WORDS.slice(0, 2).join(''));
        // Counted from the events (which re-arm the wait), not from the headers.
        assert.ok(took >= eventsAt + TIMEOUT_MS - 50, `ended after ${took} ms`);
        await lastRequestClosed();
      });

      // RamaLama's RAG proxy labels its SSE text/plain; NEAR AI's vLLM proxy sent no Content-Type.
      it('a stream answered as SSE under text/plain or no Content-Type: read as the stream it is', async () => {
        for (const type of ['text/plain; charset=utf-8', undefined]) {
          upstream.script((record, res) => {
            res.writeHead(200, type ? { 'content-type': type } : {});
            res.end(streamFrames(dialectOf(record), REPLY_WORDS).join(''));
          });
          const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
          assert.equal(answer.status, 200, answer.text);
          const events = dataEvents(answer.text);
          assert.equal(events.at(-1), '[DONE]', String(type));
          const content = events.slice(0, -1).map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '').join('');
          assert.equal(content, REPLY_WORDS.join(''));
        }
      });

      it('the socket closes in the middle of a data: line: an error event, no [DONE]', async () => {
        upstream.script((record, res, exchange) => {
          exchange.serverCloses();
          res.writeHead(200, SSE_HEADERS);
          // Gemini's stream has one event per word; the others open with a role/start event.
          const frames = streamFrames(dialectOf(record), REPLY_WORDS, true);
          const whole = frames.slice(0, 2).join('');
          const half = frames[2].slice(0, Math.floor(frames[2].length / 2));
          res.write(whole + half, () => setTimeout(() => res.socket?.destroy(), 20));
        });
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } });
        assert.equal(answer.status, 200);
        assert.equal(assertEndsWithError(answer.text).error.type, 'upstream_error');
      });

      it('the connection is reset mid-stream: an error event, no [DONE]', async () => {
        upstream.script((record, res, exchange) => {
          exchange.serverCloses();
          res.writeHead(200, SSE_HEADERS);
          res.write(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, 2), false).join(''), () =>
            setTimeout(() => res.socket?.resetAndDestroy(), 20),
          );
        });
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } });
        assert.equal(answer.status, 200);
        assert.equal(assertEndsWithError(answer.text).error.type, 'upstream_error');
      });

      it('the connection is reset before the headers: 502', async () => {
        upstream.script((_record, res, exchange) => {
          exchange.serverCloses();
          res.socket?.resetAndDestroy();
        });
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
        assert.equal(answer.status, 502, answer.text);
        assertErrorResponse(JSON.parse(answer.text));
      });

      it('a 5xx before the stream starts is 502; a non-streamed request that never answers is 504', async () => {
        upstream.script((_record, res) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'boom', type: 'server_error' } }));
        });
        const failed = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
        assert.equal(failed.status, 502, failed.text);
        upstream.script(() => {});
        const hung = await post(iris, { model: MODEL[dialect], messages: userMessage });
        assert.equal(hung.status, 504, hung.text);
        await lastRequestClosed();
      });

      it('a non-streamed answer trickled byte by byte past timeout_ms: 504, the upstream request is closed', async () => {
        upstream.script((record, res) => trickle(res, 200, JSON.stringify(jsonAnswer(dialectOf(record), 'x'.repeat(200)))));
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage });
        assert.equal(answer.status, 504, answer.text);
        await lastRequestClosed();
      });

      it('a stream request answered by a JSON body trickled past timeout_ms: 504, not a hang', async () => {
        upstream.script((record, res) => trickle(res, 200, JSON.stringify(jsonAnswer(dialectOf(record), 'x'.repeat(200)))));
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
        assert.equal(answer.status, 504, answer.text);
        await lastRequestClosed();
      });

      it('a 5xx error answer to a stream request trickled past timeout_ms: 502 at timeout_ms, not a hang', async () => {
        upstream.script((_record, res) => trickle(res, 500, JSON.stringify({ error: { message: 'y'.repeat(200), type: 'server_error' } })));
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
        // Cut at timeout_ms; its status said what it is (the body, cut short, says what it can).
        assert.equal(answer.status, 502, answer.text);
        assertErrorResponse(JSON.parse(answer.text));
        await lastRequestClosed();
      });

      it('one enormous event (tens of MB, never finished): an error event; the upstream is cut off, memory stays bounded', async () => {
        const written = { bytes: 0 };
        const LIMIT = 200_000_000;
        upstream.script(async (record, res) => {
          res.writeHead(200, SSE_HEADERS);
          res.write(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, 1), false).join(''));
          res.write('data: {"x":"');
          const piece = 'a'.repeat(1 << 20);
          await writeAll(res, () => piece, written, LIMIT);
        });
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true }, 60_000);
        assert.equal(answer.status, 200);
        const error = assertEndsWithError(answer.text);
        assert.equal(error.error.type, 'upstream_error');
        assert.equal(error.error.code, 'upstream_event_too_large');
        await lastRequestClosed();
        assert.ok(written.bytes < 100_000_000, `Iris stopped reading (read ${written.bytes} bytes)`);
      });

      for (const ending of ['the connection cut', 'the body ended cleanly'] as const) {
      it(`n = 2 with one choice finished early, then ${ending} before the other: an error event, no [DONE]`, async () => {
        const cut = (frames: string[]): Handler => (_record, res, exchange) => {
          exchange.serverCloses();
          res.writeHead(200, SSE_HEADERS);
          if (ending === 'the body ended cleanly') res.end(frames.join(''));
          else res.write(frames.join(''), () => setTimeout(() => res.socket?.destroy(), 20));
        };
        if (dialect === 'openai') {
          const chunk = (index: number, delta: unknown, finish: string | null = null) =>
            `data: ${JSON.stringify({ id: 'chatcmpl-n2', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
          upstream.script(cut([chunk(0, { role: 'assistant', content: 'A' }), chunk(1, { role: 'assistant', content: 'B' }), chunk(1, {}, 'stop'), chunk(0, { content: ' and' })]));
        } else if (dialect === 'anthropic') {
          // Anthropic has no n: two calls, one complete, one cut off.
          upstream.script(answerNormally, (record, res, exchange) => cut(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, 2), false))(record, res, exchange));
        } else {
          const ev = (candidates: unknown[]) => `data: ${JSON.stringify({ candidates, modelVersion: 'gemini-x', responseId: 'n2' })}\n\n`;
          upstream.script(cut([
            ev([{ content: { role: 'model', parts: [{ text: 'A' }] }, index: 0 }, { content: { role: 'model', parts: [{ text: 'B' }] }, index: 1, finishReason: 'STOP' }]),
            ev([{ content: { role: 'model', parts: [{ text: ' and' }] }, index: 0 }]),
          ]));
        }
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, n: 2, stream_options: { include_usage: true } });
        assert.equal(answer.status, 200, answer.text);
        assert.equal(assertEndsWithError(answer.text).error.type, 'upstream_error');
      });
      }

      it("an upstream's error event mid-stream: the SDK's APIError names the provider, as an HTTP error would", async () => {
        // Each dialect's way of saying "overloaded" after the stream has begun.
        const errorFrame = {
          openai: 'event: error\ndata: {"error":{"message":"Overloaded","type":"server_error","param":null,"code":null}}\n\n',
          anthropic: 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
          gemini: 'data: {"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}\n\n',
        }[dialect];
        upstream.script((record, res) => {
          res.writeHead(200, SSE_HEADERS);
          res.end(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, 2), false).join('') + errorFrame);
        });
        const stream = await iris.client.chat.completions.create({ model: MODEL[dialect], messages: userMessage, stream: true });
        let text = '';
        const error = await (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })().then(() => assert.fail('the stream ended without an error'), (err: unknown) => err);
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.equal(text, REPLY_WORDS.slice(0, 2).join(''));
        assert.match(error.message, new RegExp(`^The upstream provider '${MODEL[dialect]}' .*: Overloaded$`));
        // The upstream's own type and code are kept (OpenAI's mid-stream error has always been upstream_error).
        const expected = { openai: ['upstream_error', 'upstream_error'], anthropic: ['overloaded_error', 'overloaded_error'], gemini: ['overloaded_error', 'UNAVAILABLE'] }[dialect];
        assert.deepEqual([error.type, error.code], expected);
      });

      it('a stream that fails before its first chunk with include_usage: an HTTP error, no usage', async () => {
        upstream.script((_record, res, exchange) => {
          exchange.serverCloses();
          res.writeHead(200, SSE_HEADERS);
          res.write(': hello\n\n', () => setTimeout(() => res.socket?.destroy(), 20));
        });
        const answer = await post(iris, { model: MODEL[dialect], messages: userMessage, stream: true, stream_options: { include_usage: true } });
        assert.equal(answer.status, 502, answer.text);
        assertErrorResponse(JSON.parse(answer.text));
      });
    });
  }

  it('a slow reader: Iris pauses the upstream instead of buffering an endless stream', async () => {
    const written = { bytes: 0 };
    let blocked = false;
    const LIMIT = 500_000_000;
    upstream.script(async (record, res) => {
      res.writeHead(200, SSE_HEADERS);
      const [first, word] = streamFrames(dialectOf(record), ['x'.repeat(1000)], false);
      let sentFirst = false;
      const next = () => {
        if (!sentFirst) {
          sentFirst = true;
          return first;
        }
        return word;
      };
      await writeAll(res, next, written, LIMIT);
      blocked = false;
    });
    const stream = await openStream(iris, { model: 'oai', messages: userMessage, stream: true });
    assert.equal(stream.res.statusCode, 200);
    stream.res.pause();
    // Wait until the fake has written nothing for a while: it is blocked on back-pressure.
    let last = -1;
    for (let i = 0; i < 400 && !blocked; i++) {
      await sleep(50);
      if (written.bytes === last && written.bytes > 0) blocked = true;
      last = written.bytes;
    }
    assert.ok(blocked, 'the upstream is held back');
    assert.ok(written.bytes < 64_000_000, `bounded: ${written.bytes} bytes written upstream`);
    const closedBefore = closedLogs(iris);
    stream.destroy();
    await lastRequestClosed();
    await upstream.until(() => closedLogs(iris) > closedBefore, 10_000);
  });

  it('a client that stops reading is cut off after server.client_read_timeout_s, and the upstream call with it', async () => {
    const strict = await startIris({
      server: { client_read_timeout_s: 0.5 },
      providers: { oai: { type: 'openai', base_url: `${upstream.origin}/v1`, api_key: 'sk-up', timeout_ms: TIMEOUT_MS } },
      models: [{ name: 'oai', provider: 'oai', upstream: 'gpt-4o' }],
    });
    let stream: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      const written = { bytes: 0 };
      upstream.script(async (record, res) => {
        res.writeHead(200, SSE_HEADERS);
        const [first, word] = streamFrames(dialectOf(record), ['z'.repeat(1000)], false);
        let sentFirst = false;
        await writeAll(res, () => (sentFirst ? word : ((sentFirst = true), first)), written, 500_000_000);
      });
      stream = await openStream(strict, { model: 'oai', messages: userMessage, stream: true });
      stream.res.pause(); // connected, reading nothing, ever (so it never reads the close either)
      await lastRequestClosed();
      assert.equal(strict.logs.filter((l) => l.msg === 'the client read nothing of its stream in time: cut off').length, 1);
      assert.equal(closedLogs(strict), 1, 'and logged as a closed stream (499)');
      // A slow reader that does read is not cut off: the earlier slow-reader test runs under the 60 s default.
    } finally {
      stream?.destroy();
      await strict.close();
    }
  });

  it('a client that goes away while Iris is held back by it releases everything: image budget, upstream, log', async () => {
    // Run under an image budget that fits one request's image: a lease kept by a stuck stream
    // would turn the next image request away with 503.
    const small = await startIris({
      providers: { oai: { type: 'openai', base_url: `${upstream.origin}/v1`, api_key: 'sk-up', timeout_ms: TIMEOUT_MS } },
      models: [{ name: 'oai', provider: 'oai', upstream: 'gpt-4o' }],
      images: { inflight_bytes: 100, inflight_wait_ms: 300 },
    });
    try {
      const image = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
      const messages = [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: image } }] }];
      const written = { bytes: 0 };
      upstream.script(async (record, res) => {
        res.writeHead(200, SSE_HEADERS);
        const [first, word] = streamFrames(dialectOf(record), ['y'.repeat(1000)], false);
        let sentFirst = false;
        await writeAll(res, () => (sentFirst ? word : ((sentFirst = true), first)), written, 500_000_000);
      });
      const stream = await openStream(small, { model: 'oai', messages, stream: true });
      stream.res.pause();
      let last = -1;
      for (let i = 0; i < 400; i++) {
        await sleep(50);
        if (written.bytes === last && written.bytes > 0) break;
        last = written.bytes;
      }
      stream.destroy();
      await lastRequestClosed();
      // The stream lets go of its image lease: the next request with an image gets in (within
      // inflight_wait_ms, else 503), though the budget fits one image at a time.
      await upstream.until(() => closedLogs(small) > 0, 10_000).catch(() => {});
      const answer = await post(small, { model: 'oai', messages, stream: true });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(closedLogs(small), 1, 'logged as closed by its client (499)');
    } finally {
      await small.close();
    }
  });

  it('a client that disconnects while Iris fetches its image aborts the fetch; nothing reaches the upstream', async () => {
    const imageRequests: { closed: boolean }[] = [];
    const images = createServer((req, res) => {
      const seen = { closed: false };
      imageRequests.push(seen);
      res.on('close', () => (seen.closed = true));
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '100000' });
      res.write(Buffer.alloc(8)); // a few bytes, then nothing
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    const { port } = images.address() as AddressInfo;
    const fetching = await startIris({
      providers: { oai: { type: 'openai', base_url: `${upstream.origin}/v1`, api_key: 'sk-up', timeout_ms: 30_000, fetch_urls: 'iris' } },
      models: [{ name: 'oai', provider: 'oai', upstream: 'gpt-4o' }],
      images: { fetch: { allow_hosts: [`127.0.0.1:${port}`], timeout_ms: 30_000 } },
    });
    try {
      const before = upstream.requests.length;
      const messages = [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `http://127.0.0.1:${port}/cat.png` } }] }];
      for (const stream of [true, false]) {
        const started = startRequest(fetching, { model: 'oai', messages, stream });
        const count = imageRequests.length;
        await upstream.until(() => imageRequests.length > count, 10_000);
        started.destroy();
        await upstream.until(() => imageRequests.at(-1)!.closed, 10_000);
      }
      assert.equal(upstream.requests.length, before, 'nothing went upstream');
      // Still serving, and the image budget is whole: a request without images goes through.
      const answer = await post(fetching, { model: 'oai', messages: userMessage, stream: true });
      assert.equal(answer.status, 200, answer.text);
    } finally {
      await fetching.close();
      images.closeAllConnections();
      await new Promise<void>((resolve) => images.close(() => resolve()));
    }
  });

  it('a client that disconnects while waiting for the upstream headers aborts the upstream request', async () => {
    for (const dialect of DIALECTS) {
      let arrived!: () => void;
      const atUpstream = new Promise<void>((resolve) => (arrived = resolve));
      upstream.script(() => arrived());
      const started = startRequest(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
      await atUpstream;
      const record = upstream.requests.at(-1)!;
      started.destroy();
      await upstream.until(() => record.aborted, 10_000);
    }
    await assertStillServing();
  });

  it('a client that disconnects mid-stream aborts the upstream, on every dialect', async () => {
    for (const dialect of DIALECTS) {
      let release!: () => void;
      upstream.script(async (record, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(streamFrames(dialectOf(record), REPLY_WORDS.slice(0, 2), false).join(''));
        await new Promise<void>((resolve) => {
          release = resolve;
          res.once('close', resolve);
        });
      });
      const stream = await openStream(iris, { model: MODEL[dialect], messages: userMessage, stream: true });
      await new Promise<void>((resolve) => stream.res.once('data', () => resolve()));
      const record = upstream.requests.at(-1)!;
      stream.destroy();
      await upstream.until(() => record.aborted, 10_000);
      release?.();
    }
    await assertStillServing();
  });

  /**
   * An Iris whose body budget is exactly one `budgetBody`: a request with that body gets in only
   * while no other body is held, so its answer says whether the budget has come back whole.
   */
  async function startBudgeted(): Promise<{ iris: RunningIris; budgetBody: string }> {
    const budgetBody = JSON.stringify({ model: 'oai', messages: [{ role: 'user', content: 'b'.repeat(20_000) }], stream: true });
    const budgeted = await startIris({
      providers: { oai: { type: 'openai', base_url: `${upstream.origin}/v1`, api_key: 'sk-up', timeout_ms: 30_000 } },
      models: [{ name: 'oai', provider: 'oai', upstream: 'gpt-4o' }],
      limits: { inflight_body_bytes: Buffer.byteLength(budgetBody) },
    });
    return { iris: budgeted, budgetBody };
  }

  /** Posts `budgetBody` until it gets in (its budget comes back once every 'close' has run). */
  async function assertBudgetWhole(budgeted: RunningIris, budgetBody: string): Promise<void> {
    let answer: RawAnswer | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
      answer = await post(budgeted, JSON.parse(budgetBody));
      if (answer.status !== 503) break;
    }
    assert.equal(answer?.status, 200, answer?.text);
  }

  it('many concurrent mid-stream disconnects: every upstream request is closed, the body budget comes back whole', async () => {
    const { iris: budgeted, budgetBody } = await startBudgeted();
    try {
      const N = 20;
      const first = upstream.requests.length;
      for (let i = 0; i < N; i++) {
        upstream.script(async (record, res) => {
          res.writeHead(200, SSE_HEADERS);
          const [head, word] = streamFrames(dialectOf(record), ['z'], false);
          res.write(head + word);
          await new Promise<void>((resolve) => res.once('close', resolve));
        });
      }
      // All under way at once (their bodies fit the budget together), then all cut at once.
      const streams = await Promise.all(
        Array.from({ length: N }, async () => {
          const s = await openStream(budgeted, { model: 'oai', messages: userMessage, stream: true });
          assert.equal(s.res.statusCode, 200);
          await new Promise<void>((resolve) => s.res.once('data', () => resolve()));
          return s;
        }),
      );
      const records = upstream.requests.slice(first);
      assert.equal(records.length, N);
      for (const s of streams) s.destroy();
      await upstream.until(() => records.every((r) => r.aborted), 10_000);
      await upstream.until(() => closedLogs(budgeted) === N, 10_000);
      await assertBudgetWhole(budgeted, budgetBody);
    } finally {
      await budgeted.close();
    }
  });

  it('clients that disconnect during the upload give their body budget back', async () => {
    const { iris: budgeted, budgetBody } = await startBudgeted();
    try {
      const sockets: Socket[] = [];
      for (let i = 0; i < 5; i++) {
        const socket = await openRawSocket(budgeted);
        const { host } = new URL(budgeted.origin);
        const body = JSON.stringify({ model: 'oai', messages: userMessage, stream: true });
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${budgeted.apiKey}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
        );
        sockets.push(socket);
      }
      // Half-sent bodies are held: the budget's own body is turned away meanwhile.
      const meanwhile = await post(budgeted, JSON.parse(budgetBody));
      assert.equal(meanwhile.status, 503, meanwhile.text);
      for (const socket of sockets) socket.destroy();
      await assertBudgetWhole(budgeted, budgetBody);
    } finally {
      await budgeted.close();
    }
  });

  it('a large event that fits (8 MB of content in one chunk) passes through whole', async () => {
    const big = 'q'.repeat(8_000_000);
    upstream.script((record, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.end(streamFrames(dialectOf(record), [big, '!']).join(''));
    });
    const answer = await post(iris, { model: 'oai', messages: userMessage, stream: true }, 60_000);
    assert.equal(answer.status, 200);
    const events = dataEvents(answer.text);
    assert.equal(events.at(-1), '[DONE]');
    const text = events.slice(0, -1).map((e) => (JSON.parse(e) as { choices: { delta: { content?: string } }[] }).choices[0].delta.content ?? '').join('');
    assert.equal(text.length, big.length + 1);
  });

  it('still answers after all of it', async () => {
    await assertStillServing();
  });
});
