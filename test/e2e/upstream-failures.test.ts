// Upstreams that misbehave, on all three dialects (OpenAI-compatible, Anthropic, Gemini),
// streamed and not. A real Iris on loopback in front of one fake upstream (node:http on
// 127.0.0.1, port 0) that speaks each dialect's wire format (../shared/reference/wire-formats.md)
// and is told, request by request, how to misbehave: never answer, stall, close or reset the
// connection before, during or after the headers, answer 200 with HTML, broken JSON, JSON of the
// wrong shape or far too much of it, error statuses with odd bodies, and SSE oddities. After each
// case Iris must answer the next ordinary request normally.
//
// What the other suites cover already (stream-robustness, upstream-dialects, openai-provider,
// conformance) is not repeated here; each test says what it adds.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dialectAnswer, dialectFrames, type Dialect, type FrameOptions } from '../support/dialect-wire.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

// ---------------------------------------------------------------------------------------------
// Dialects, models, secrets

const DIALECTS: Dialect[] = ['openai', 'anthropic', 'gemini'];
/** Iris models on a short timeout_ms (fast timeouts), and the same providers with a long one. */
const MODEL: Record<Dialect, string> = { openai: 'oai', anthropic: 'ant', gemini: 'gem' };
const SLOW_MODEL: Record<Dialect, string> = { openai: 'oai-slow', anthropic: 'ant-slow', gemini: 'gem-slow' };
const PROVIDER_ID: Record<Dialect, string> = { openai: 'oai', anthropic: 'ant', gemini: 'gem' };
const TIMEOUT_MS = 700;

/** The credentials Iris holds for each upstream: none of them may ever reach a client. */
const SECRET: Record<Dialect, string> = {
  openai: 'sk-proj-UpstreamSecretOpenAI0123456789abcdefXYZ',
  anthropic: 'sk-ant-api03-UpstreamSecretAnthropic0123456789abcdef',
  gemini: 'AIzaSyUpstreamSecretGemini0123456789abcdef',
};

const WORDS = ['All', ' is', ' well.'];
const ANSWER = WORDS.join('');
const messages = [{ role: 'user' as const, content: 'hello' }];

// ---------------------------------------------------------------------------------------------
// The fake upstream

interface Recorded {
  path: string;
  body: { stream?: boolean } & Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

type Handler = (rec: Recorded, res: ServerResponse, req: IncomingMessage) => void | Promise<void>;

function dialectOf(rec: Recorded): Dialect {
  if (rec.path.startsWith('/v1/chat/completions')) return 'openai';
  if (rec.path.startsWith('/v1/messages')) return 'anthropic';
  return 'gemini';
}

function isStream(rec: Recorded): boolean {
  return rec.path.includes('streamGenerateContent') || rec.body?.stream === true;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const JSON_HEADERS = { 'content-type': 'application/json' };

/** The SSE frames of a normal stream in each dialect (an Anthropic ping included; the end marker unless told). */
const frames = (dialect: Dialect, words = WORDS, opts: FrameOptions = {}): string[] => dialectFrames(dialect, words, { ping: true, end: true, ...opts });

/** A normal non-streamed answer in each dialect. */
const jsonAnswer = (dialect: Dialect, text = ANSWER): Record<string, unknown> => dialectAnswer(dialect, text, 3);

/** Each dialect's error body for a status (wire-formats.md: OpenAI, Anthropic, Google RPC). */
function errorBody(dialect: Dialect, status: number, message: string, kind?: string): unknown {
  if (dialect === 'openai') return { error: { message, type: kind ?? 'invalid_request_error', param: null, code: null } };
  if (dialect === 'anthropic') return { type: 'error', error: { type: kind ?? 'invalid_request_error', message }, request_id: 'req_fake' };
  return { error: { code: status, message, status: kind ?? 'INVALID_ARGUMENT' } };
}

const answerNormally: Handler = (rec, res) => {
  const dialect = dialectOf(rec);
  if (isStream(rec)) {
    res.writeHead(200, SSE_HEADERS);
    res.end(frames(dialect).join(''));
  } else {
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON.stringify(jsonAnswer(dialect)));
  }
};

/** A reply of one status, headers and body text. */
const reply = (status: number, body: string, headers: Record<string, string> = JSON_HEADERS): Handler => (_rec, res) => {
  res.writeHead(status, headers);
  res.end(body);
};

/** Never answers: the connection stays open, no status line is ever sent. */
const hang: Handler = () => {};

/** Writes `text` one byte per TCP segment (Nagle off, a timer between writes). */
async function byteByByte(res: ServerResponse, text: string): Promise<void> {
  const socket = res.socket as Socket;
  socket.setNoDelay(true);
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    if (res.destroyed) return;
    res.write(bytes.subarray(i, i + 1));
    await sleep(1);
  }
  res.end();
}

// ---------------------------------------------------------------------------------------------
// Clients

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function post(iris: RunningIris, model: string, stream: boolean, extra: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages, stream, ...extra }),
    // A hang is a failure: nothing here may take this long.
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

/** No secret of any provider (nor a 12-character piece of one), no stack, no internals. */
function assertClean(text: string): void {
  for (const secret of Object.values(SECRET)) {
    for (let i = 0; i + 12 <= secret.length; i++) {
      const piece = secret.slice(i, i + 12);
      assert.ok(!text.includes(piece), `a piece of an upstream credential reached the client (${piece}): ${text.slice(0, 600)}`);
    }
  }
  assert.doesNotMatch(text, /\n\s+at |node:internal|\.ts:\d+|TypeError|Cannot read properties|is not iterable|is not a function/, 'no stack or internal detail');
}

/** An HTTP error answer: status, OpenAI's error shape, JSON content type, nothing leaked. */
function assertHttpError(answer: Answer, status: number, what = ''): ErrorBody {
  assertClean(answer.text);
  let body: ErrorBody;
  try {
    body = JSON.parse(answer.text) as ErrorBody;
  } catch {
    assert.fail(`${what}: not JSON (HTTP ${answer.status}): ${answer.text.slice(0, 300)}`);
  }
  assert.equal(answer.status, status, `${what}: HTTP ${answer.status} ${answer.text.slice(0, 400)}`);
  assertErrorResponse(body);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, what);
  return body;
}

/** The data payloads of an SSE body. */
function dataEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
}

/** A stream that began (200) and ended with one OpenAI error event, no [DONE]; returns the error. */
function assertStreamEndsWithError(answer: Answer, what = ''): ErrorBody {
  assertClean(answer.text);
  assert.equal(answer.status, 200, `${what}: ${answer.text.slice(0, 300)}`);
  const events = dataEvents(answer.text);
  assert.ok(events.length >= 1, `${what}: no events`);
  assert.equal(events.includes('[DONE]'), false, `${what}: no [DONE] after an error`);
  const last = JSON.parse(events.at(-1)!) as ErrorBody;
  assertErrorResponse(last);
  for (const event of events.slice(0, -1)) assertChatCompletionChunk(JSON.parse(event));
  return last;
}

/** The text of a complete, successful stream (chunks valid, [DONE] last). */
function streamText(answer: Answer, what = ''): string {
  assert.equal(answer.status, 200, `${what}: ${answer.text.slice(0, 400)}`);
  const events = dataEvents(answer.text);
  assert.equal(events.at(-1), '[DONE]', `${what}: ends with [DONE]: ${answer.text.slice(-400)}`);
  let text = '';
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event) as { choices: Array<{ delta: { content?: string | null } }>; error?: unknown };
    assert.equal(chunk.error, undefined, `${what}: an error event in a stream that ended with [DONE]`);
    assertChatCompletionChunk(chunk);
    for (const choice of chunk.choices) text += choice.delta.content ?? '';
  }
  return text;
}

// ---------------------------------------------------------------------------------------------

describe('upstream failures audit', () => {
  let server: Server;
  let origin: string;
  let iris: RunningIris;
  /** Handlers for the next requests, in order; then `sticky`, if set; then a normal answer. */
  let queue: Handler[] = [];
  let sticky: Handler | null = null;
  let seen: Recorded[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: Recorded['body'] = {};
        try {
          body = JSON.parse(raw) as Recorded['body'];
        } catch {
          // not JSON: left empty
        }
        const rec: Recorded = { path: req.url ?? '', body, headers: req.headers };
        seen.push(rec);
        const handler = queue.shift() ?? sticky ?? answerNormally;
        void Promise.resolve(handler(rec, res, req)).catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const providers = (timeout: number) => ({
      openai: { type: 'openai', base_url: `${origin}/v1`, api_key: SECRET.openai, timeout_ms: timeout },
      anthropic: { type: 'anthropic', base_url: origin, api_key: SECRET.anthropic, timeout_ms: timeout },
      gemini: { type: 'gemini', base_url: origin, api_key: SECRET.gemini, timeout_ms: timeout },
    });
    const fast = providers(TIMEOUT_MS);
    const slow = providers(5_000);
    iris = await startIris({
      providers: {
        oai: fast.openai, ant: fast.anthropic, gem: fast.gemini,
        'oai-slow': slow.openai, 'ant-slow': slow.anthropic, 'gem-slow': slow.gemini,
      },
      models: [
        { name: 'oai', provider: 'oai', upstream: 'gpt-4o' },
        { name: 'ant', provider: 'ant', upstream: 'claude-x' },
        { name: 'gem', provider: 'gem', upstream: 'gemini-x' },
        { name: 'oai-slow', provider: 'oai-slow', upstream: 'gpt-4o' },
        { name: 'ant-slow', provider: 'ant-slow', upstream: 'claude-x' },
        { name: 'gem-slow', provider: 'gem-slow', upstream: 'gemini-x' },
      ],
    });
  });

  after(async () => {
    await iris?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Every later request misbehaves this way (a retry on a new connection too), until `serves`. */
  function always(handler: Handler): void {
    queue = [];
    sticky = handler;
  }
  function next(...handlers: Handler[]): void {
    queue.push(...handlers);
  }

  /** Iris answers an ordinary request to this dialect normally, streamed and not. */
  async function serves(dialect: Dialect): Promise<void> {
    queue = [];
    sticky = null;
    const plain = await post(iris, MODEL[dialect], false);
    assert.equal(plain.status, 200, `${dialect}: the next request fails: ${plain.text.slice(0, 300)}`);
    const completion = JSON.parse(plain.text) as { choices: Array<{ message: { content: string } }> };
    assertChatCompletion(completion);
    assert.equal(completion.choices[0].message.content, ANSWER);
    const stream = await post(iris, MODEL[dialect], true);
    assert.equal(streamText(stream, `${dialect}: the next stream`), ANSWER);
    assert.equal((await fetch(`${iris.origin}/health`)).status, 200);
  }

  it('answers normally on all three dialects (the fake speaks each wire format)', async () => {
    for (const dialect of DIALECTS) await serves(dialect);
  });

  // -------------------------------------------------------------------------------------------
  // Transport: no headers, stalls, closes and resets

  describe('transport', () => {
    // Covered elsewhere: a non-streamed hang (conformance), SSE headers then silence, heartbeats
    // only, a reset before the headers of a stream, a cut mid data line, a reset mid-stream.
    for (const dialect of DIALECTS) {
      it(`${dialect}: a stream request whose upstream accepts the connection but never sends headers is a 504 timeout_error at timeout_ms`, async () => {
        always(hang);
        const started = performance.now();
        const body = assertHttpError(await post(iris, MODEL[dialect], true), 504, dialect);
        assert.equal(body.error.type, 'timeout_error');
        assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[dialect]}'`));
        assert.ok(performance.now() - started < TIMEOUT_MS + 4000, 'answered soon after timeout_ms');
        await serves(dialect);
      });

      it(`${dialect}: a 200 whose body stalls after the headers is a 504 timeout_error, streamed (non-SSE body) and not`, async () => {
        for (const stream of [false, true]) {
          always((_rec, res) => {
            res.writeHead(200, { ...JSON_HEADERS, 'content-length': '4000' });
            res.write('{"id":"chatcmpl-x",');
          });
          const body = assertHttpError(await post(iris, MODEL[dialect], stream), 504, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'timeout_error');
        }
        await serves(dialect);
      });

      // Closes and resets go to the providers with the long timeout: on a loaded machine a close and
      // its retry on a new connection (a kept-alive one closed) could outlast the short one.
      it(`${dialect}: an upstream that closes the connection before any header is a 502 naming the provider, streamed and not`, async () => {
        for (const stream of [false, true]) {
          always((_rec, _res, req) => void req.socket.destroy());
          const body = assertHttpError(await post(iris, SLOW_MODEL[dialect], stream), 502, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'upstream_error');
          assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[dialect]}-slow'`));
        }
        await serves(dialect);
      });

      it(`${dialect}: an upstream that closes the connection in the middle of its status line or headers is a 502, streamed and not`, async () => {
        for (const cut of ['HTTP/1.1 20', 'HTTP/1.1 200 OK\r\nContent-Type: text/event-str']) {
          for (const stream of [false, true]) {
            always((_rec, _res, req) => {
              req.socket.write(cut);
              setTimeout(() => req.socket.destroy(), 10);
            });
            const body = assertHttpError(await post(iris, SLOW_MODEL[dialect], stream), 502, `${dialect} stream=${stream} cut=${JSON.stringify(cut)}`);
            assert.equal(body.error.type, 'upstream_error');
          }
        }
        await serves(dialect);
      });

      it(`${dialect}: an upstream that resets the connection right after its headers is a 502, streamed and not`, async () => {
        for (const stream of [false, true]) {
          always((rec, res, req) => {
            res.writeHead(200, isStream(rec) ? SSE_HEADERS : { ...JSON_HEADERS, 'content-length': '500' });
            res.flushHeaders();
            setTimeout(() => req.socket.resetAndDestroy(), 20);
          });
          const body = assertHttpError(await post(iris, SLOW_MODEL[dialect], stream), 502, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'upstream_error');
        }
        await serves(dialect);
      });

      it(`${dialect}: garbage instead of an HTTP answer is a 502, not a hang`, async () => {
        always((_rec, _res, req) => {
          req.socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n');
          setTimeout(() => req.socket.destroy(), 20);
        });
        assertHttpError(await post(iris, SLOW_MODEL[dialect], false), 502, dialect);
        await serves(dialect);
      });
    }

    it('openai: a reset after the last chunk (finish_reason and usage sent) but before [DONE] ends the stream, never a hang', async (t) => {
      always((_rec, res, req) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(frames('openai', WORDS, { end: false }).join(''));
        setTimeout(() => req.socket.resetAndDestroy(), 30);
      });
      const answer = await post(iris, MODEL.openai, true);
      // Either reading is defensible (the answer was whole; the marker never came): it must end.
      const events = dataEvents(answer.text);
      assert.equal(answer.status, 200);
      assert.ok(events.at(-1) === '[DONE]' || (JSON.parse(events.at(-1)!) as Partial<ErrorBody>).error, answer.text.slice(-300));
      t.diagnostic(`ended with: ${events.at(-1)!.slice(0, 200)}`);
      assertClean(answer.text);
      await serves('openai');
    });

    it('anthropic: a reset after message_delta but before message_stop ends the stream with an error event', async () => {
      always((_rec, res, req) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(frames('anthropic', WORDS, { end: false }).join(''));
        setTimeout(() => req.socket.resetAndDestroy(), 30);
      });
      const error = assertStreamEndsWithError(await post(iris, MODEL.anthropic, true), 'anthropic');
      assert.equal(error.error.type, 'upstream_error');
      await serves('anthropic');
    });

    it('anthropic: a stream that ends cleanly without message_stop ends with an error event, not a short answer', async () => {
      always((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(frames('anthropic', WORDS, { end: false }).join(''));
      });
      const error = assertStreamEndsWithError(await post(iris, MODEL.anthropic, true), 'anthropic');
      assert.match(error.error.message, /'ant'/);
      await serves('anthropic');
    });

    it('gemini: a reset right after the last event (every candidate finished) ends the stream, never a hang', async (t) => {
      always((_rec, res, req) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(frames('gemini').join(''));
        setTimeout(() => req.socket.resetAndDestroy(), 30);
      });
      const answer = await post(iris, MODEL.gemini, true);
      const events = dataEvents(answer.text);
      assert.equal(answer.status, 200);
      assert.ok(events.at(-1) === '[DONE]' || (JSON.parse(events.at(-1)!) as Partial<ErrorBody>).error, answer.text.slice(-300));
      t.diagnostic(`ended with: ${events.at(-1)!.slice(0, 200)}`);
      assertClean(answer.text);
      await serves('gemini');
    });
  });

  // -------------------------------------------------------------------------------------------
  // 200 answers that are not answers

  describe('200 with a body that is not an answer', () => {
    const HTML = '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1><script>var x=1</script></body></html>';

    for (const dialect of DIALECTS) {
      it(`${dialect}: a 200 HTML page is a 502 upstream error without the markup, streamed and not`, async () => {
        for (const stream of [false, true]) {
          next(reply(200, HTML, { 'content-type': 'text/html' }));
          const body = assertHttpError(await post(iris, MODEL[dialect], stream), 502, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'upstream_error');
          assert.doesNotMatch(body.error.message, /<html|<script/i);
        }
        await serves(dialect);
      });

      it(`${dialect}: a 200 with truncated JSON is a 502, streamed and not`, async () => {
        for (const stream of [false, true]) {
          next(reply(200, JSON.stringify(jsonAnswer(dialect)).slice(0, 40)));
          const body = assertHttpError(await post(iris, MODEL[dialect], stream), 502, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'upstream_error');
        }
        await serves(dialect);
      });
    }

    it('anthropic and gemini: a 200 with an empty body is a 502, streamed and not', async () => {
      for (const dialect of ['anthropic', 'gemini'] as const) {
        for (const stream of [false, true]) {
          next(reply(200, ''));
          const body = assertHttpError(await post(iris, MODEL[dialect], stream), 502, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'upstream_error');
        }
        await serves(dialect);
      }
    });

    it('openai: choices that is an object, or a choice that is null, is a 502', async () => {
      for (const choices of [{ 0: { message: { content: 'x' } } }, [null], 'choices']) {
        next(reply(200, JSON.stringify({ ...jsonAnswer('openai'), choices })));
        const body = assertHttpError(await post(iris, MODEL.openai, false), 502, JSON.stringify(choices));
        assert.equal(body.error.type, 'upstream_error');
      }
      await serves('openai');
    });

    it('openai: a completion with no choices at all (choices: []) is a 502, as the same answer streamed is', async () => {
      // Streamed, an answer without a choice is a 502 ("ended the stream before it was complete").
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 } })}\n\ndata: [DONE]\n\n`);
      });
      assertHttpError(await post(iris, MODEL.openai, true), 502, 'streamed');
      // Not streamed: the SDK's `completion.choices[0].message` would throw a TypeError in the client.
      next(reply(200, JSON.stringify({ ...jsonAnswer('openai'), choices: [] })));
      const body = assertHttpError(await post(iris, MODEL.openai, false), 502, 'not streamed');
      assert.equal(body.error.type, 'upstream_error');
      await serves('openai');
    });

    // Answers of the wrong shape, one per test: each should be the upstream's fault (502
    // upstream_error), not Iris's (500 server_error, "The server had an error", a stack logged).
    const sseOf = (...events: unknown[]): Handler => (_rec, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.end(events.map((e) => (typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`)).join(''));
    };
    const oaiChunk = (choices: unknown[]) => ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices });
    const antEvent = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const gemGood = jsonAnswer('gemini');
    const wrongShapes: { name: string; dialect: Dialect; stream: boolean; handler: Handler }[] = [
      {
        name: 'openai: a message whose tool_calls list holds null',
        dialect: 'openai', stream: false,
        handler: reply(200, JSON.stringify({ ...jsonAnswer('openai'), choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [null] }, finish_reason: 'tool_calls' }] })),
      },
      {
        name: 'openai: a first chunk whose delta.tool_calls holds null',
        dialect: 'openai', stream: true,
        handler: sseOf(oaiChunk([{ index: 0, delta: { role: 'assistant', tool_calls: [null] }, finish_reason: null }]), 'data: [DONE]\n\n'),
      },
      {
        name: 'anthropic: a message whose content list holds null',
        dialect: 'anthropic', stream: false,
        handler: reply(200, JSON.stringify({ ...jsonAnswer('anthropic'), content: [null] })),
      },
      {
        name: 'anthropic: a stream whose message_start has message: null',
        dialect: 'anthropic', stream: true,
        handler: sseOf(antEvent('message_start', { message: null }), ...frames('anthropic').slice(1)),
      },
      {
        name: 'gemini: candidates that is a string',
        dialect: 'gemini', stream: false,
        handler: reply(200, JSON.stringify({ ...gemGood, candidates: 'x' })),
      },
      {
        name: 'gemini: a candidates list holding null',
        dialect: 'gemini', stream: false,
        handler: reply(200, JSON.stringify({ ...gemGood, candidates: [null] })),
      },
      {
        name: 'gemini: content.parts that is an object, not a list',
        dialect: 'gemini', stream: false,
        handler: reply(200, JSON.stringify({ ...gemGood, candidates: [{ content: { role: 'model', parts: { text: 'x' } }, finishReason: 'STOP', index: 0 }] })),
      },
      {
        name: 'gemini: a stream event whose candidates is an object',
        dialect: 'gemini', stream: true,
        handler: sseOf({ ...gemGood, candidates: { 0: {} } }),
      },
      {
        name: 'gemini: a stream event whose candidates list holds null',
        dialect: 'gemini', stream: true,
        handler: sseOf({ ...gemGood, candidates: [null] }),
      },
    ];
    for (const c of wrongShapes) {
      it(`${c.name} (${c.stream ? 'streamed' : 'not streamed'}) is a 502 upstream_error, not a 500 server_error`, async () => {
        next(c.handler);
        const body = assertHttpError(await post(iris, MODEL[c.dialect], c.stream), 502, c.name);
        assert.equal(body.error.type, 'upstream_error');
        assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[c.dialect]}'`));
        await serves(c.dialect);
      });
    }

    // The same, after the stream has begun: the stream ends with an error event (it does), and
    // that error should say the upstream failed, not that Iris did.
    const midStream: { dialect: Dialect; name: string; handler: Handler }[] = [
      { dialect: 'openai', name: 'a chunk whose delta.tool_calls holds null', handler: sseOf(...frames('openai').slice(0, 2), oaiChunk([{ index: 0, delta: { tool_calls: [null] }, finish_reason: null }]), ...frames('openai').slice(2)) },
      { dialect: 'anthropic', name: 'a content_block_delta with delta: null', handler: sseOf(...frames('anthropic').slice(0, 4), antEvent('content_block_delta', { index: 0, delta: null }), ...frames('anthropic').slice(4)) },
      { dialect: 'anthropic', name: 'a content_block_start without content_block (after message_start)', handler: sseOf(frames('anthropic')[0], antEvent('content_block_start', { index: 0 }), ...frames('anthropic').slice(2)) },
      { dialect: 'gemini', name: 'an event whose candidates list holds null', handler: sseOf(frames('gemini')[0], { ...gemGood, candidates: [null] }, ...frames('gemini').slice(1)) },
    ];
    for (const c of midStream) {
      it(`${c.dialect}: ${c.name} mid-stream ends the stream with an upstream_error event naming the provider, not server_error`, async () => {
        next(c.handler);
        const error = assertStreamEndsWithError(await post(iris, MODEL[c.dialect], true), c.name);
        assert.equal(error.error.type, 'upstream_error', JSON.stringify(error));
        assert.match(error.error.message, new RegExp(`'${PROVIDER_ID[c.dialect]}'`));
        await serves(c.dialect);
      });
    }

    it('usage whose counts are strings never reaches the client as strings or broken sums, on every dialect: it is estimated, not metered as zero', async () => {
      const broken: Record<Dialect, Record<string, unknown>> = {
        openai: { ...jsonAnswer('openai'), usage: { prompt_tokens: '5', completion_tokens: '3', total_tokens: '8' } },
        anthropic: { ...jsonAnswer('anthropic'), usage: { input_tokens: '5', output_tokens: '3' } },
        gemini: { ...jsonAnswer('gemini'), usageMetadata: { promptTokenCount: '5', candidatesTokenCount: '3', totalTokenCount: '8' } },
      };
      for (const dialect of DIALECTS) {
        next(reply(200, JSON.stringify(broken[dialect])));
        const answer = await post(iris, MODEL[dialect], false);
        assert.equal(answer.status, 200, answer.text);
        const completion = JSON.parse(answer.text) as { usage: { prompt_tokens: unknown; completion_tokens: unknown; total_tokens: unknown } };
        assertChatCompletion(completion);
        const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
        assert.ok(Number.isInteger(prompt_tokens) && Number.isInteger(completion_tokens), `${dialect}: ${JSON.stringify(completion.usage)}`);
        assert.equal(total_tokens, (prompt_tokens as number) + (completion_tokens as number));
        assert.ok((prompt_tokens as number) > 0 && (completion_tokens as number) > 0, `${dialect}: estimated, ${JSON.stringify(completion.usage)}`);
      }
      for (const dialect of DIALECTS) await serves(dialect);
    });

    it('openai: a 200 answer far over 64 MiB is cut and a 502 upstream_bad_response, quickly; an error status that large still says what it can', async () => {
      const big = (status: number, contentType: string, open: string) => (_rec: Recorded, res: ServerResponse) => {
        res.writeHead(status, { 'content-type': contentType });
        const block = Buffer.alloc(1 << 20, 'a');
        res.write(open);
        let sent = 0;
        const pump = () => {
          while (!res.destroyed && sent < 80) {
            sent++;
            if (!res.write(block)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end('"}');
        };
        pump();
      };
      const started = performance.now();
      next(big(200, 'application/json', '{"id":"'));
      let body = assertHttpError(await post(iris, SLOW_MODEL.openai, false), 502, '200');
      assert.equal(body.error.code, 'upstream_bad_response');
      next(big(500, 'text/html', '<html><head><title>Oops</title></head><body>'));
      body = assertHttpError(await post(iris, SLOW_MODEL.openai, false), 502, '500');
      assert.ok(body.error.message.length < 1000, 'a short message');
      assert.ok(performance.now() - started < 15_000);
      await serves('openai');
    });
  });

  // -------------------------------------------------------------------------------------------
  // Error statuses with odd bodies

  describe('error statuses', () => {
    for (const dialect of DIALECTS) {
      it(`${dialect}: a streamed request whose upstream answers 401 is a 401 upstream_authentication_failed naming the provider, never invalid_api_key`, async () => {
        next(reply(401, JSON.stringify(errorBody(dialect, 401, 'invalid x-api-key', dialect === 'anthropic' ? 'authentication_error' : dialect === 'gemini' ? 'UNAUTHENTICATED' : 'invalid_request_error'))));
        const body = assertHttpError(await post(iris, MODEL[dialect], true), 401, dialect);
        assert.equal(body.error.code, 'upstream_authentication_failed');
        assert.match(body.error.message, new RegExp(`upstream provider '${PROVIDER_ID[dialect]}' rejected the credentials Iris holds`));
        await serves(dialect);
      });

      it(`${dialect}: a 404 (the upstream does not know the model) stays 404, OpenAI-shaped`, async () => {
        next(reply(404, JSON.stringify(errorBody(dialect, 404, 'model: claude-x not found', dialect === 'anthropic' ? 'not_found_error' : dialect === 'gemini' ? 'NOT_FOUND' : 'invalid_request_error'))));
        const body = assertHttpError(await post(iris, MODEL[dialect], false), 404, dialect);
        assert.match(body.error.message, /not found/);
        await serves(dialect);
      });

      it(`${dialect}: a 429 keeps a Retry-After given as an HTTP date, streamed and not`, async () => {
        const date = new Date(Date.now() + 30_000).toUTCString();
        for (const stream of [false, true]) {
          next(reply(429, JSON.stringify(errorBody(dialect, 429, 'Rate limited', dialect === 'anthropic' ? 'rate_limit_error' : dialect === 'gemini' ? 'RESOURCE_EXHAUSTED' : 'rate_limit_error')), { ...JSON_HEADERS, 'retry-after': date }));
          const answer = await post(iris, MODEL[dialect], stream);
          const body = assertHttpError(answer, 429, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'rate_limit_error');
          assert.equal(answer.headers.get('retry-after'), date);
        }
        await serves(dialect);
      });

      it(`${dialect}: a 429 keeps retry-after-ms, as the README promises for every upstream`, async () => {
        next(reply(429, JSON.stringify(errorBody(dialect, 429, 'Rate limited', dialect === 'gemini' ? 'RESOURCE_EXHAUSTED' : 'rate_limit_error')), { ...JSON_HEADERS, 'retry-after': '2', 'retry-after-ms': '1500' }));
        const answer = await post(iris, MODEL[dialect], false);
        assertHttpError(answer, 429, dialect);
        assert.equal(answer.headers.get('retry-after'), '2');
        assert.equal(answer.headers.get('retry-after-ms'), '1500', `${dialect}: retry-after-ms dropped`);
        await serves(dialect);
      });

      it(`${dialect}: a 500 with an HTML page is a 502 whose message is the page's title, not its markup`, async () => {
        next(reply(500, '<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n', { 'content-type': 'text/html' }));
        const body = assertHttpError(await post(iris, MODEL[dialect], false), 502, dialect);
        assert.equal(body.error.type, 'upstream_error');
        assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[dialect]}'`));
        assert.match(body.error.message, /500 Internal Server Error/);
        assert.doesNotMatch(body.error.message, /<\/?(html|head|title|center|body|hr)\b/i, `${dialect}: markup in the message: ${body.error.message}`);
        await serves(dialect);
      });

      for (const stream of [false, true]) {
        it(`${dialect}: a 503 with an empty body is a 503 overloaded_error that keeps Retry-After (${stream ? 'streamed' : 'not streamed'})`, async () => {
          next(reply(503, '', { 'retry-after': '3' }));
          const answer = await post(iris, MODEL[dialect], stream);
          const body = assertHttpError(answer, 503, `${dialect} stream=${stream}`);
          assert.equal(body.error.type, 'overloaded_error');
          assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[dialect]}'`));
          assert.equal(answer.headers.get('retry-after'), '3', `${dialect} stream=${stream}: Retry-After dropped`);
          await serves(dialect);
        });
      }

      it(`${dialect}: a 413 page from a proxy stays 413 with a readable message`, async () => {
        next(reply(413, '<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>cloudflare</center></body></html>', { 'content-type': 'text/html' }));
        const body = assertHttpError(await post(iris, MODEL[dialect], false), 413, dialect);
        assert.match(body.error.message, /413 Request Entity Too Large/);
        assert.doesNotMatch(body.error.message, /<\/?(html|head|title|center|body|hr)\b/i, `${dialect}: markup in the message: ${body.error.message}`);
        await serves(dialect);
      });
    }

    it('anthropic: 529 overloaded to a stream request is a 503 before the stream starts; an overloaded error as the first event too', async () => {
      next(reply(529, JSON.stringify(errorBody('anthropic', 529, 'Overloaded', 'overloaded_error')), { ...JSON_HEADERS, 'retry-after': '4' }));
      let answer = await post(iris, MODEL.anthropic, true);
      let body = assertHttpError(answer, 503, '529');
      assert.equal(body.error.type, 'overloaded_error');
      assert.equal(answer.headers.get('retry-after'), '4');
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
      });
      answer = await post(iris, MODEL.anthropic, true);
      body = assertHttpError(answer, 503, 'first event error');
      assert.match(body.error.message, /'ant' is overloaded: Overloaded/);
      await serves('anthropic');
    });

    it('gemini: a 429 error chunk as the first stream event is a 429 before the stream starts; 400 API_KEY_INVALID is upstream_authentication_failed', async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(`data: ${JSON.stringify({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } })}\n\n`);
      });
      let body = assertHttpError(await post(iris, MODEL.gemini, true), 429, 'first event');
      assert.equal(body.error.type, 'rate_limit_error');
      next(reply(400, JSON.stringify({ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } })));
      body = assertHttpError(await post(iris, MODEL.gemini, false), 401, 'API_KEY_INVALID');
      assert.equal(body.error.code, 'upstream_authentication_failed');
      await serves('gemini');
    });

    const authInside = JSON.stringify({ error: { message: 'No auth credentials found', code: 401 } });
    it('openai: a 401 carried inside a 200 stream answer (OpenRouter style) is upstream_authentication_failed naming the provider', async () => {
      next(reply(200, authInside));
      const body = assertHttpError(await post(iris, MODEL.openai, true), 401, 'streamed');
      assert.equal(body.error.code, 'upstream_authentication_failed');
      assert.match(body.error.message, /'oai'/);
      await serves('openai');
    });

    it('openai: a 401 carried inside a 200 non-streamed answer (OpenRouter style) is upstream_authentication_failed naming the provider, as it is streamed', async () => {
      next(reply(200, authInside));
      const body = assertHttpError(await post(iris, MODEL.openai, false), 401, 'not streamed');
      assert.equal(body.error.code, 'upstream_authentication_failed', `the client is told its own key is wrong: ${JSON.stringify(body)}`);
      assert.match(body.error.message, /'oai'/);
      await serves('openai');
    });

    for (const dialect of ['anthropic', 'gemini'] as const) {
      it(`${dialect}: an upstream 403 about Iris's own key names the provider, so it is not read as the client's key lacking permission`, async () => {
        const message = dialect === 'anthropic'
          ? 'Your API key does not have permission to use the specified resource.'
          : 'Permission denied: Your API key was reported as leaked. Please use another API key.';
        next(reply(403, JSON.stringify(errorBody(dialect, 403, message, dialect === 'anthropic' ? 'permission_error' : 'PERMISSION_DENIED'))));
        const body = assertHttpError(await post(iris, MODEL[dialect], false), 403, dialect);
        assert.equal(body.error.type, 'permission_error');
        assert.notEqual(body.error.code, 'invalid_api_key');
        assert.match(body.error.message, new RegExp(`'${PROVIDER_ID[dialect]}'`), `reads as the client's own key: ${body.error.message}`);
        await serves(dialect);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  // SSE oddities

  describe('SSE oddities', () => {
    /** A normal stream with CRLF line endings, comments, `id:`/`retry:` lines, and multi-byte text. */
    const oddWords = ['Ça', ' va', ' 👍 ', 'bien.'];
    function oddFrames(dialect: Dialect): string {
      const base = frames(dialect, oddWords).join('');
      const withFields = base.split('\n\n').filter(Boolean).map((block, i) => `: heartbeat ${i}\nid: ${i}\nretry: 1000\n${block}`).join('\n\n') + '\n\n';
      return ': OPENROUTER PROCESSING\n\n' + withFields.replace(/\n/g, '\r\n');
    }

    it('openai: a stream whose upstream holds the connection after its usage chunk (no [DONE]) ends at once, whole', async () => {
      const chunk = (choices: unknown[], extra = {}) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices, ...extra })}\n\n`;
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(
          chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]) +
            chunk([{ index: 0, delta: { content: 'All there.' }, finish_reason: null }]) +
            chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]) +
            chunk([], { usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }),
        );
        // …and nothing more: no [DONE], the connection held open.
      });
      const started = performance.now();
      const answer = await post(iris, SLOW_MODEL.openai, true, { stream_options: { include_usage: true } });
      assert.equal(streamText(answer, 'held open'), 'All there.');
      assert.ok(performance.now() - started < 4_500, `ended before timeout_ms (5 s): ${Math.round(performance.now() - started)} ms`);
      assert.match(answer.text, /"completion_tokens":3/);
      await serves('openai');
    });

    it('openai: a stream whose upstream holds the connection after every choice finished, without usage or [DONE], ends whole after a short wait', async () => {
      const chunk = (choices: unknown[]) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices })}\n\n`;
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(
          chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]) +
            chunk([{ index: 0, delta: { content: 'Nothing after this.' }, finish_reason: null }]) +
            chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        );
        // …and nothing more: no usage, no [DONE], the connection held open.
      });
      const started = performance.now();
      const answer = await post(iris, SLOW_MODEL.openai, true, { stream_options: { include_usage: true } });
      const took = performance.now() - started;
      assert.equal(streamText(answer, 'held open'), 'Nothing after this.');
      assert.ok(took < 4_500, `ended well before timeout_ms (5 s): ${Math.round(took)} ms`);
      assert.match(answer.text, /"finish_reason":"stop"/);
      assert.match(answer.text, /"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+/, 'an estimated usage chunk');
      assert.match(answer.text, /data: \[DONE\]\n\n$/);
      assert.doesNotMatch(answer.text, /"error"/);
      await serves('openai');
    });

    for (const dialect of DIALECTS) {
      it(`${dialect}: a stream sent one byte per TCP segment, CRLF line endings, comments, id/retry fields and multi-byte text reads whole`, async () => {
        next((_rec, res) => {
          res.writeHead(200, SSE_HEADERS);
          return byteByByte(res, oddFrames(dialect));
        });
        const answer = await post(iris, SLOW_MODEL[dialect], true);
        assert.equal(streamText(answer, dialect), oddWords.join(''));
        await serves(dialect);
      });

      it(`${dialect}: a data line that is not JSON is a 502 before the first chunk, and an error event after it`, async () => {
        next((_rec, res) => {
          res.writeHead(200, SSE_HEADERS);
          res.end(`data: hello, not json\n\n${frames(dialect).join('')}`);
        });
        const body = assertHttpError(await post(iris, MODEL[dialect], true), 502, `${dialect} first`);
        assert.equal(body.error.type, 'upstream_error');
        next((_rec, res) => {
          res.writeHead(200, SSE_HEADERS);
          const f = frames(dialect);
          res.end(f.slice(0, 2).join('') + 'data: {"truncated":\n\n' + f.slice(2).join(''));
        });
        const error = assertStreamEndsWithError(await post(iris, MODEL[dialect], true), `${dialect} mid`);
        assert.equal(error.error.type, 'upstream_error');
        await serves(dialect);
      });
    }

    it('openai: CR-only line endings and a JSON event split over two data lines read whole', async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        const f = frames('openai');
        // The first chunk's JSON across two `data:` lines (joined with \n, still JSON).
        const first = f[0].replace('data: ', '').trim();
        const cut = first.indexOf(',"choices"');
        const split = `data: ${first.slice(0, cut)}\ndata: ${first.slice(cut)}\n\n`;
        res.end([split, ...f.slice(1)].join('').replace(/\n/g, '\r'));
      });
      assert.equal(streamText(await post(iris, MODEL.openai, true), 'CR'), ANSWER);
      await serves('openai');
    });

    it('openai: an SSE body labelled text/plain, sent one byte per segment, is sniffed and read whole', async () => {
      next((_rec, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return byteByByte(res, frames('openai').join(''));
      });
      assert.equal(streamText(await post(iris, SLOW_MODEL.openai, true), 'text/plain'), ANSWER);
      await serves('openai');
    });

    it('openai: `event:` lines naming ordinary events (message, ping with {}) do not disturb the stream', async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        const f = frames('openai');
        res.end(['event: ping\ndata: {}\n\n', ...f.slice(0, 2).map((x) => `event: message\n${x}`), ...f.slice(2)].join(''));
      });
      assert.equal(streamText(await post(iris, MODEL.openai, true), 'event lines'), ANSWER);
      await serves('openai');
    });

    it('every dialect: a 200 event stream that ends cleanly with no event at all (or only comments) is a 502 before the stream starts', async () => {
      for (const dialect of DIALECTS) {
        for (const body of ['', ': keep-alive\n\n: keep-alive\n\n']) {
          next(reply(200, body, SSE_HEADERS));
          const error = assertHttpError(await post(iris, MODEL[dialect], true), 502, `${dialect} ${JSON.stringify(body)}`);
          assert.equal(error.error.type, 'upstream_error');
        }
        await serves(dialect);
      }
    });

    it('openai: a UTF-8 byte order mark before the first event is ignored, as the SSE spec says', async () => {
      next(reply(200, '\uFEFF' + frames('openai').join(''), SSE_HEADERS));
      assert.equal(streamText(await post(iris, MODEL.openai, true), 'BOM'), ANSWER);
      await serves('openai');
    });

    it('openai and anthropic: an upstream that keeps sending after its end marker does not hold the client; the stream ends whole at once', async () => {
      for (const dialect of ['openai', 'anthropic'] as const) {
        next((_rec, res) => {
          res.writeHead(200, SSE_HEADERS);
          res.write(frames(dialect).join(''));
          const extra = frames(dialect)[1];
          const timer = setInterval(() => res.write(extra), 20);
          res.on('close', () => clearInterval(timer));
        });
        const started = performance.now();
        assert.equal(streamText(await post(iris, SLOW_MODEL[dialect], true), dialect), ANSWER);
        assert.ok(performance.now() - started < 3_000, `${dialect}: the client waited ${Math.round(performance.now() - started)} ms (timeout_ms: 5 s)`);
        await serves(dialect);
      }
    });

    it('an error event mid-stream that quotes the provider key never passes the key on (anthropic, gemini)', async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(frames('anthropic', WORDS, { finish: false, end: false }).join('') + `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: `key ${SECRET.anthropic} failed` } })}\n\n`);
      });
      assertStreamEndsWithError(await post(iris, MODEL.anthropic, true), 'anthropic');
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(frames('gemini', WORDS, { finish: false }).join('') + `data: ${JSON.stringify({ error: { code: 500, message: `key=${SECRET.gemini} failed`, status: 'INTERNAL' } })}\n\n`);
      });
      assertStreamEndsWithError(await post(iris, MODEL.gemini, true), 'gemini');
      await serves('anthropic');
      await serves('gemini');
    });
  });

  // -------------------------------------------------------------------------------------------
  // Credentials

  describe('credentials', () => {
    for (const dialect of DIALECTS) {
      it(`${dialect}: an error page that echoes the provider key where Iris cuts it short leaks no part of the key, to the client or the log`, async () => {
        // A proxy's plain-text page quoting the request's key header. Iris keeps the first 200
        // (Anthropic, Gemini) or 500 (OpenAI-compatible) characters of a body that is not JSON,
        // then masks the whole key: a key cut at the boundary is not masked.
        const cutAt = dialect === 'openai' ? 500 : 200;
        const secret = SECRET[dialect];
        const lead = 'Unauthorized. ';
        const pad = 'x'.repeat(cutAt - lead.length - (secret.length - 2));
        const page = `${lead}${pad}${secret} was refused by the gateway.`;
        const leaks: string[] = [];
        const logsBefore = iris.logs.length;
        for (const status of [401, 502]) {
          next(reply(status, page, { 'content-type': 'text/plain' }));
          const answer = await post(iris, MODEL[dialect], false);
          assert.equal(answer.status, status);
          if (answer.text.includes(secret.slice(0, -2))) leaks.push(`client, HTTP ${status}: …${answer.text.slice(-160)}`);
        }
        await sleep(50);
        for (const line of iris.logs.slice(logsBefore)) {
          const text = JSON.stringify(line);
          if (text.includes(secret.slice(0, -2))) leaks.push(`log: ${text.slice(0, 100)}…`);
        }
        assert.deepEqual(leaks, [], 'all but the last 2 characters of the provider key got out');
        await serves(dialect);
      });
    }

    it("openai: an error inside a 200 answer or a stream event (OpenRouter's) whose provider detail quotes the key where Iris cuts it leaks no part of it", async () => {
      // OpenRouter's metadata.raw is cut to 497 characters and '...'.
      const secret = SECRET.openai;
      const raw = `${'y'.repeat(497 - (secret.length - 2))}${secret} was refused`;
      const error = { error: { message: 'Provider returned error', code: 401, metadata: { raw, provider_name: 'Upstream' } } };
      const leaks: string[] = [];
      next(reply(200, JSON.stringify(error)));
      const plain = await post(iris, MODEL.openai, false);
      assert.equal(plain.status, 401);
      if (plain.text.includes(secret.slice(0, -2))) leaks.push(`in a 200 answer: …${plain.text.slice(-120)}`);
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(`data: ${JSON.stringify(error)}\n\n`);
      });
      const streamed = await post(iris, MODEL.openai, true);
      if (streamed.text.includes(secret.slice(0, -2))) leaks.push(`in a stream event: …${streamed.text.slice(-120)}`);
      assert.deepEqual(leaks, [], 'all but the last 2 characters of the provider key got out');
      await serves('openai');
    });

    it("an upstream error that puts the provider key in its code, param or type does not pass the key on (every dialect)", async () => {
      const leaks: string[] = [];
      const cases: { dialect: Dialect; body: unknown }[] = [
        { dialect: 'openai', body: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: SECRET.openai, code: null } } },
        { dialect: 'openai', body: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: `invalid_key_${SECRET.openai}` } } },
        { dialect: 'anthropic', body: { type: 'error', error: { type: `bad_key_${SECRET.anthropic}`, message: 'invalid x-api-key' } } },
        { dialect: 'gemini', body: { error: { code: 400, message: 'API key not valid.', status: `KEY_${SECRET.gemini}` } } },
      ];
      for (const c of cases) {
        next(reply(400, JSON.stringify(c.body)));
        const answer = await post(iris, MODEL[c.dialect], false);
        if (answer.text.includes(SECRET[c.dialect])) leaks.push(`${c.dialect}: ${answer.text}`);
      }
      assert.deepEqual(leaks, [], 'the provider key reached the client');
      for (const dialect of DIALECTS) await serves(dialect);
    });
  });

  describe('more transport edges (regression coverage)', () => {
    it('openai: a response header block far over any sane size is a 502, and Iris serves on', async () => {
      always((_rec, _res, req) => {
        req.socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Junk: ${'a'.repeat(200_000)}\r\nContent-Length: 2\r\n\r\n{}`);
        setTimeout(() => req.socket.destroy(), 50);
      });
      for (const stream of [false, true]) assertHttpError(await post(iris, MODEL.openai, stream), 502, `stream=${stream}`);
      await serves('openai');
    });

    it('openai: a status line and headers trickled a byte at a time, never finished, is a 504 at timeout_ms', async () => {
      always((_rec, _res, req) => {
        const head = `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n${'X-Slow: 1\r\n'.repeat(1000)}`;
        let i = 0;
        const timer = setInterval(() => {
          if (req.socket.destroyed || i >= head.length) return clearInterval(timer);
          req.socket.write(head[i++]);
        }, 20);
        req.socket.on('close', () => clearInterval(timer));
      });
      for (const stream of [false, true]) {
        const body = assertHttpError(await post(iris, MODEL.openai, stream), 504, `stream=${stream}`);
        assert.equal(body.error.type, 'timeout_error');
      }
      await serves('openai');
    });

    it('every dialect: a 103 Early Hints before the answer is skipped, streamed and not', async () => {
      for (const dialect of DIALECTS) {
        for (const stream of [false, true]) {
          next((rec, res) => {
            res.writeEarlyHints({ link: '</x>; rel=preload' });
            answerNormally(rec, res, undefined as unknown as IncomingMessage);
          });
          const answer = await post(iris, MODEL[dialect], stream);
          if (stream) assert.equal(streamText(answer, dialect), ANSWER);
          else assert.equal((JSON.parse(answer.text) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content, ANSWER, answer.text);
        }
      }
    });

    it("anthropic: a stream that goes on sending only `event: ping` after some text ends with a timeout error event at timeout_ms, never a hang", async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.write(frames('anthropic', WORDS.slice(0, 1), { finish: false, end: false }).join(''));
        const timer = setInterval(() => res.write('event: ping\ndata: {"type":"ping"}\n\n'), 100);
        res.on('close', () => clearInterval(timer));
      });
      const started = performance.now();
      const error = assertStreamEndsWithError(await post(iris, MODEL.anthropic, true), 'pings');
      assert.equal(error.error.type, 'timeout_error');
      assert.ok(performance.now() - started < TIMEOUT_MS + 4000);
      await serves('anthropic');
    });

    it('openai: 200 text/event-stream to a non-stream request is a 502, not a hang or a 500', async () => {
      next((_rec, res) => {
        res.writeHead(200, SSE_HEADERS);
        res.end(frames('openai').join(''));
      });
      const body = assertHttpError(await post(iris, MODEL.openai, false), 502, 'sse to json');
      assert.equal(body.error.type, 'upstream_error');
      await serves('openai');
    });
  });

  it('still answers on every dialect after all of it', async () => {
    for (const dialect of DIALECTS) await serves(dialect);
  });
});
