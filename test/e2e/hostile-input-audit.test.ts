// Hostile input, from clients and from upstreams, against the real server on loopback only (no
// test sends traffic anywhere else; the address classifier is tested as a pure function). What
// test/e2e/security-audit.test.ts covers already (auth tricks on the wire, CSRF content types,
// a provider key quoted in an upstream's error text, control characters in Retry-After, BPE on
// one long word, the body budget) is not repeated here.
//
// Tests whose names end "(found by the audit)" each failed before their fix (session 16): what
// happened then is in their comments. Tests named `coverage: …` held already and pin behaviour
// that no other test tried.

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { classifyAddress } from '../../src/images/address-policy.ts';
import { FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream } from '../support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, startFakeGemini, type FakeGeminiUpstream } from '../support/fake-gemini-upstream.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion, assertErrorResponse, schemaViolations } from '../support/openai-schemas.ts';
import { openRawSocket } from '../support/raw-socket.ts';
import { postChatJson, type ChatAnswer } from '../support/chat-http.ts';
import { longestStall } from '../support/event-loop-stall.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

const MB = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Helpers

type Answer = ChatAnswer;

const post = (iris: RunningIris, body: unknown, timeoutMs = 30_000): Promise<Answer> => postChatJson(iris, body, timeoutMs);

/** The server still answers, and quickly. */
async function assertAlive(iris: RunningIris): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${iris.origin}/health`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  assert.equal(res.status, 200, '/health');
  assert.ok(performance.now() - started < 1_000, `/health took ${Math.round(performance.now() - started)} ms`);
}

/** An OpenAI-shaped error with this status (and the body's text for the message). */
function assertApiError(answer: Answer, status: number | number[], what: string): void {
  const statuses = [status].flat();
  assert.ok(statuses.includes(answer.status), `${what}: expected HTTP ${statuses.join(' or ')}, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  assertErrorResponse(answer.json);
}

/** JSON text nested `depth` levels deep, built as text (JSON.stringify would overflow). */
function deepItemsSchema(depth: number): string {
  return `${'{"type":"array","items":'.repeat(depth)}{"type":"string"}${'}'.repeat(depth)}`;
}

/** A raw upstream on loopback: each request is answered by `handler`, which tests replace. */
interface RawUpstream {
  origin: string;
  seen: { url: string; headers: IncomingHttpHeaders; body: string }[];
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  close(): Promise<void>;
}

async function startRawUpstream(): Promise<RawUpstream> {
  const upstream: RawUpstream = {
    origin: '',
    seen: [],
    handler: (_req, res) => res.end(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      upstream.seen.push({ url: req.url ?? '', headers: req.headers, body });
      upstream.handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return upstream;
}

/** Iris with one model of each dialect (gpt, claude, gemini), all on the raw upstream. */
function startOnRawUpstream(upstream: RawUpstream, key: string, timeoutMs: number): Promise<RunningIris> {
  const provider = (type: string, baseUrl: string) => ({ type, base_url: baseUrl, api_key: key, timeout_ms: timeoutMs });
  return startIris({
    providers: { oai: provider('openai', `${upstream.origin}/v1`), ant: provider('anthropic', upstream.origin), gem: provider('gemini', upstream.origin) },
    models: [
      { name: 'gpt', provider: 'oai', upstream: 'gpt-4o' },
      { name: 'claude', provider: 'ant', upstream: 'claude-sonnet-4-5' },
      { name: 'gemini', provider: 'gem', upstream: 'gemini-2.5-flash' },
    ],
  });
}

const jsonReply = (status: number, body: string, headers: Record<string, string> = {}) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

const hi = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

const OPENAI_OK = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

// ---------------------------------------------------------------------------------------------
// Deep nesting and blow-up in what Iris walks of a client's request

describe('hostile input audit: schemas and nesting from a client', () => {
  let gemini: FakeGeminiUpstream;
  let anthropic: FakeAnthropicUpstream;
  let openai: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    gemini = await startFakeGemini();
    anthropic = await startFakeAnthropic();
    openai = await startFakeOpenAI();
    iris = await startIris({
      providers: {
        gem: { type: 'gemini', base_url: gemini.baseUrl, api_key: FAKE_GEMINI_KEY, timeout_ms: 10_000 },
        ant: { type: 'anthropic', base_url: anthropic.baseUrl, api_key: FAKE_ANTHROPIC_KEY, timeout_ms: 10_000 },
        oai: { type: 'openai', base_url: openai.url, api_key: 'sk-upstream-secret-audit', timeout_ms: 10_000 },
      },
      models: [
        // Before 2.5: schemas are converted to Gemini's OpenAPI subset (convert-to-gemini-schema.ts).
        { name: 'gemini-old', provider: 'gem', upstream: 'gemini-2.0-flash' },
        // 2.5 and later: JSON Schema as it is (to-gemini-json-schema.ts).
        { name: 'gemini-new', provider: 'gem', upstream: 'gemini-2.5-flash' },
        { name: 'claude', provider: 'ant', upstream: 'claude-sonnet-4-5' },
        { name: 'gpt', provider: 'oai', upstream: 'gpt-4o' },
      ],
    });
  });
  after(async () => {
    await iris?.close();
    await Promise.all([gemini?.close(), anthropic?.close(), openai?.close()]);
  });

  // convertToGeminiSchema inlines every local $ref, cutting recursion only for the name on the
  // current path: definitions d0…d19 where each refers twice to the next expand to 2^19 copies.
  // Before the fix: a 2 KB request blocks the event loop ~2 s, builds ~30 MB of schema, and is then
  // refused 413 "Send fewer or smaller images". Each further level doubles time and memory (k=20:
  // 5 s and 370 MB of heap in isolation), so a few more bytes exhaust the heap. Expected: the
  // expansion bounded (each definition converted once, or a node budget) and a 400 at once.
  it('a 2 KB tool schema whose $refs double at each level is a 400 at once, not seconds of blocked event loop (Gemini before 2.5) (found by the audit)', async () => {
    const k = 19;
    const $defs: Record<string, unknown> = { [`d${k}`]: { type: 'string' } };
    for (let i = 0; i < k; i++) $defs[`d${i}`] = { type: 'object', properties: { a: { $ref: `#/$defs/d${i + 1}` }, b: { $ref: `#/$defs/d${i + 1}` } } };
    const parameters = { type: 'object', properties: { root: { $ref: '#/$defs/d0' } }, $defs };
    const body = JSON.stringify(hi('gemini-old', { tools: [{ type: 'function', function: { name: 'f', parameters } }] }));
    assert.ok(body.length < 2_500);
    const { result, stallMs } = await longestStall(() => post(iris, body));
    await assertAlive(iris);
    assert.ok(stallMs < 1_000, `the event loop was blocked for ${Math.round(stallMs)} ms by a ${body.length}-byte request (then HTTP ${result.status}: ${result.text.slice(0, 170)})`);
    assertApiError(result, 400, 'a $ref bomb');
  });

  // The Gemini converters recurse over the client's schema; a RangeError from the client's own
  // nesting becomes unreadableAnswer()'s 502 "sent an answer Iris could not read", blaming an
  // upstream that was never called (and logged as a warning with its stack). The same JSON to
  // Anthropic or an OpenAI upstream is a 400 nested_too_deeply (stringify-client-json.ts).
  it('a deeply nested schema to Gemini is a 400 nested_too_deeply, not a 502 blaming an upstream never called (found by the audit)', async () => {
    gemini.reset();
    const deep = `{"type":"object","properties":{"a":${deepItemsSchema(20_000)}}}`;
    const cases: [string, string][] = [
      ['tool parameters, Gemini 2.0 (convertToGeminiSchema)', `{"model":"gemini-old","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`],
      ['tool parameters, Gemini 2.5 (toGeminiJsonSchema)', `{"model":"gemini-new","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`],
      ['response_format, Gemini 2.0', `{"model":"gemini-old","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deep}}}}`],
      ['response_format beside tools (the JSON instruction), Gemini 2.5', `{"model":"gemini-new","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deep}}}}`],
    ];
    const wrong: string[] = [];
    for (const [name, body] of cases) {
      for (const stream of [false, true]) {
        const answer = await post(iris, stream ? body.replace('{"model"', '{"stream":true,"model"') : body);
        assertErrorResponse(answer.json);
        if (answer.status !== 400) wrong.push(`${name}${stream ? ' (stream)' : ''}: HTTP ${answer.status} ${answer.text.slice(0, 140)}`);
      }
    }
    assert.equal(gemini.requests.length, 0, 'nothing was sent upstream');
    await assertAlive(iris);
    assert.deepEqual(wrong, [], 'the client\'s own nesting was blamed on the upstream');
  });

  it('coverage: deep schemas, tool-call arguments and extra fields to Anthropic and OpenAI upstreams are a 400 nested_too_deeply', async () => {
    const deep = `{"type":"object","properties":{"a":${deepItemsSchema(20_000)}}}`;
    const deepArguments = JSON.stringify(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
    const toolHistory = `[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":${deepArguments}}}]},{"role":"tool","tool_call_id":"call_1","content":"ok"}]`;
    for (const model of ['claude', 'gpt']) {
      for (const body of [
        `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`,
        `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${deep}}}}`,
        // Fields Iris passes on as they are (Anthropic's translation leaves this one out).
        ...(model === 'gpt' ? [`{"model":"gpt","messages":[{"role":"user","content":"hi"}],"web_search_options":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`] : []),
      ]) {
        const answer = await post(iris, body);
        assertApiError(answer, 400, model);
        assert.equal((answer.json as { error: { code: string } }).error.code, 'nested_too_deeply');
      }
    }
    // Tool-call arguments are parsed to objects for Anthropic and Gemini.
    for (const model of ['claude', 'gemini-old', 'gemini-new']) {
      const answer = await post(iris, `{"model":"${model}","messages":${toolHistory},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`);
      assertApiError(answer, 400, `${model}: deep tool-call arguments`);
    }
    await assertAlive(iris);
  });

  it('coverage: __proto__ and constructor.prototype keys anywhere in a body are refused 400; nothing is polluted', async () => {
    openai.reset();
    const bodies = [
      '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":"yes"}}',
      '{"model":"gpt","messages":[{"role":"user","content":"hi","__proto__":{"polluted":"yes"}}]}',
      '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"metadata":{"__proto__":"x"}}',
      '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"logit_bias":{"__proto__":{"polluted":1}}}',
      '{"model":"gemini-old","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"__proto__":{"type":"string","polluted":"yes"}}}}}]}',
      '{"model":"claude","messages":[{"role":"user","content":"hi"}],"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"model":"gpt","messages":[{"role":"user","content":"hi"}],"\\u005f_proto__":{"polluted":"yes"}}',
    ];
    for (const body of bodies) {
      const answer = await post(iris, body);
      assertApiError(answer, 400, body.slice(0, 80));
    }
    // Inside strings (tool-call arguments, a tool's result) they are text, which the Gemini and
    // Anthropic translations parse into objects: answered, and nothing polluted.
    for (const model of ['gemini-new', 'gemini-old', 'claude']) {
      const answer = await post(iris, `{"model":"${model}","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\\"__proto__\\":{\\"polluted\\":1},\\"constructor\\":{\\"prototype\\":{\\"polluted\\":1}}}"}}]},{"role":"tool","tool_call_id":"c","content":"{\\"__proto__\\":{\\"polluted\\":1}}"}],"tools":[{"type":"function","function":{"name":"f"}}]}`);
      assert.equal(answer.status, 200, `${model}: ${answer.text.slice(0, 200)}`);
    }
    // A `constructor` key alone is a legitimate property name (of a tool's arguments, say).
    const ok = await post(iris, { model: 'gemini-old', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { constructor: { type: 'string' }, toString: { type: 'string' } }, required: ['constructor', 'hasOwnProperty'] } } }] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(openai.requests.length, 0);
  });
});

// The engine (model Image-Recognition, on by default) checks a response_format schema on the
// main thread: JSON.stringify(schema) in checkResponseSchema (json-schema-answer.ts) overflows on
// a deep schema, and the local provider's errors are passed on as they are: a 500.
describe('hostile input audit: the local engine', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 1 } });
    for (let i = 0; i < 300 && (await fetch(`${iris.origin}/health`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  });
  after(() => iris?.close());

  it('a deeply nested response_format schema to Image-Recognition is a 400, not a 500 (found by the audit)', async () => {
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    const body = `{"model":"Image-Recognition","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"${png}"}}]}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":${deepItemsSchema(20_000)}}}}}}`;
    const answer = await post(iris, body);
    await assertAlive(iris);
    assertApiError(answer, 400, 'a deep schema to the engine');
  });
});

// ---------------------------------------------------------------------------------------------
// A hostile upstream

describe('hostile input audit: a hostile upstream', () => {
  let upstream: RawUpstream;
  let iris: RunningIris;
  const KEY = 'sk-upstream-hostile-0123456789';
  before(async () => {
    upstream = await startRawUpstream();
    iris = await startOnRawUpstream(upstream, KEY, 1_500);
  });
  after(async () => {
    await iris?.close();
    await upstream?.close();
  });

  // OpenAI-compatible answers keep the fields Iris does not know; Fastify's serializer (and the
  // SSE writer's JSON.stringify) overflow on one nested 200,000 levels deep: a 500 "The server had
  // an error", logged as Iris's own error, and a server_error event mid-stream. The answer is the
  // upstream's fault: expected 502 upstream_bad_response, as for any answer Iris cannot read.
  it('an upstream answer with a deeply nested extra field is a 502 upstream_bad_response, not a 500 (found by the audit)', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    upstream.handler = jsonReply(200, OPENAI_OK.replace('"content":"ok"', `"content":"ok","x_extra":${deep}`));
    const plain = await post(iris, hi('gpt'));
    upstream.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"a","x_extra":${deep}},"finish_reason":null}]}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    const streamed = await post(iris, hi('gpt', { stream: true }));
    await assertAlive(iris);
    assertApiError(plain, 502, 'non-streamed');
    assert.doesNotMatch(streamed.text, /"type":"server_error"/, `streamed: ${streamed.text.slice(0, 300)}`);
  });

  // mapGeminiError passes the body's `error.status` on as the error's `code` whatever its JSON
  // type; clientErrorBody (error-handler.ts) then calls secrets.redact(code), i.e.
  // code.includes(…), and the error handler itself throws. Fastify answers with its own shape and
  // Iris's internal message: {"statusCode":400,"error":"Bad Request","message":"out.includes is
  // not a function"}. (An array code passes through as `code: ["x"]`.)
  it('a Gemini error whose `status` is not a string is an OpenAI-shaped error, not a crash of the error handler (found by the audit)', async () => {
    const failures: string[] = [];
    for (const status of [{ reason: 'x' }, 12345, true, ['x']]) {
      upstream.handler = jsonReply(400, JSON.stringify({ error: { code: 400, message: 'bad request', status } }));
      for (const stream of [false, true]) {
        const answer = await post(iris, hi('gemini', { stream }));
        const violations = schemaViolations('ErrorResponse', answer.json);
        if (answer.status !== 400 || violations.length > 0) failures.push(`status ${JSON.stringify(status)}${stream ? ' (stream)' : ''}: HTTP ${answer.status} ${answer.text}`);
      }
    }
    await assertAlive(iris);
    assert.deepEqual(failures, []);
  });

  // withImageTokens keeps what the upstream counted: 1e308 + 1e308 is Infinity, written as
  // `"total_tokens": null`; a negative cached_tokens passes on as it came.
  it('usage counts from a hostile upstream (huge, negative) give a usage that keeps OpenAI\'s schema (found by the audit)', async () => {
    const odd = [
      { prompt_tokens: 1e308, completion_tokens: 1e308, total_tokens: 1 },
      { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: -9 }, completion_tokens_details: { reasoning_tokens: -4 } },
    ];
    const broken: string[] = [];
    for (const usage of odd) {
      upstream.handler = jsonReply(200, OPENAI_OK.replace(/"usage":\{[^}]*\}/, `"usage":${JSON.stringify(usage)}`));
      const answer = await post(iris, hi('gpt'));
      assert.equal(answer.status, 200, answer.text);
      const got = (answer.json as { usage: Record<string, unknown> }).usage;
      const violations = schemaViolations('CreateChatCompletionResponse', answer.json);
      const negative = JSON.stringify(got).match(/-\d+/g);
      if (violations.length || negative || typeof got.total_tokens !== 'number') broken.push(`${JSON.stringify(usage)} → ${JSON.stringify(got)} ${violations.join('; ')}`);
    }
    assert.deepEqual(broken, []);
  });

  it('coverage: enormous headers, a body that never ends, gzip, a redirect, invalid UTF-8, a 40 MB SSE line, 5000 tool calls', async () => {
    // Another loopback server a redirect points to: it must never be called.
    const elsewhere = await startRawUpstream();
    try {
      const cases: [string, RawUpstream['handler'], unknown, number | number[]][] = [
        ['100 KB response header', (_q, res) => { res.writeHead(200, { 'content-type': 'application/json', 'x-big': 'a'.repeat(100_000) }); res.end(OPENAI_OK); }, hi('gpt'), 502],
        ['a JSON body that never ends', (_q, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50);
        }, hi('gpt'), 504],
        ['a stream that only sends comments', (_q, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(': ping\n\n')), 50);
        }, hi('gpt', { stream: true }), 504],
        ['a gzip bomb (50 MB of spaces)', (_q, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); res.end(gzipSync(Buffer.alloc(50 * MB, 0x20))); }, hi('gpt'), 502],
        ['a 307 to another host', (_q, res) => { res.writeHead(307, { location: `${elsewhere.origin}/v1/chat/completions` }); res.end(); }, hi('gpt'), 502],
        ['a 302 to another host (Anthropic)', (_q, res) => { res.writeHead(302, { location: `${elsewhere.origin}/v1/messages` }); res.end(); }, hi('claude'), 502],
        ['a 40 MB SSE line', (_q, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: {"choices":[{"index":0,"delta":{"content":"${'x'.repeat(40 * MB)}`);
          res.end('"}}]}\n\n');
        }, hi('gpt', { stream: true }), 502],
      ];
      for (const [name, handler, body, status] of cases) {
        upstream.handler = handler;
        const answer = await post(iris, body);
        assertApiError(answer, status, name);
        assert.ok(!answer.text.includes(KEY), name);
      }
      assert.equal(elsewhere.seen.length, 0, 'a redirect was followed');

      // Invalid UTF-8 in an answer is replaced, not passed on as bytes nor a failure.
      upstream.handler = (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const [head, tail] = OPENAI_OK.split('"ok"');
        res.end(Buffer.concat([Buffer.from(`${head}"o`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`k"${tail}`)]));
      };
      const utf8 = await post(iris, hi('gpt'));
      assert.equal(utf8.status, 200, utf8.text);
      assertChatCompletion(utf8.json);

      // Thousands of tool-call deltas: streamed through, bounded.
      let events = '';
      for (let i = 0; i < 5_000; i++) {
        events += `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":${i},"id":"call_${i}","type":"function","function":{"name":"f${i}","arguments":"{}"}}]},"finish_reason":null}]}\n\n`;
      }
      upstream.handler = (_q, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(events);
        res.end('data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\ndata: [DONE]\n\n');
      };
      const many = await post(iris, hi('gpt', { stream: true }));
      assert.equal(many.status, 200);
      assert.equal(many.text.match(/"id":"call_/g)?.length, 5_000);
      assert.ok(many.text.endsWith('data: [DONE]\n\n'));
    } finally {
      await elsewhere.close();
    }
    await assertAlive(iris);
  });

  it('coverage: __proto__ and constructor keys in upstream answers (all three dialects) pollute nothing', async () => {
    const poison = '"__proto__":{"polluted":"yes","content":"injected"},"constructor":{"prototype":{"polluted":"yes"}}';
    const openaiAnswer = `{${poison},"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{${poison},"index":0,"message":{${poison},"role":"assistant","content":null,"tool_calls":[{${poison},"id":"call_1","type":"function","function":{${poison},"name":"f","arguments":"{\\"__proto__\\":{\\"polluted\\":1}}"}}]},"finish_reason":"tool_calls"}],"usage":{${poison},"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{${poison},"cached_tokens":0}}}`;
    const anthropicAnswer = `{${poison},"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{${poison},"type":"text","text":"ok"},{"type":"tool_use","id":"toolu_1","name":"f","input":{${poison}}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{${poison},"input_tokens":1,"output_tokens":1}}`;
    const geminiAnswer = `{${poison},"candidates":[{${poison},"content":{${poison},"role":"model","parts":[{${poison},"text":"ok"},{"functionCall":{"name":"f","args":{${poison}}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{${poison},"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}`;
    const tools = { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] };
    const cases: [string, string, string][] = [
      ['gpt', openaiAnswer, 'application/json'],
      ['claude', anthropicAnswer, 'application/json'],
      ['gemini', geminiAnswer, 'application/json'],
      ['gpt', `data: ${openaiAnswer.replace('"chat.completion"', '"chat.completion.chunk"').replace('"message":', '"delta":')}\n\ndata: [DONE]\n\n`, 'text/event-stream'],
      ['gemini', `data: ${geminiAnswer}\n\n`, 'text/event-stream'],
      ['gpt', `{"error":{${poison},"message":"no","type":"invalid_request_error"}}`, 'application/json'],
    ];
    for (const [model, answer, type] of cases) {
      upstream.handler = (_q, res) => {
        res.writeHead(answer.startsWith('{"error"') ? 400 : 200, { 'content-type': type });
        res.end(answer);
      };
      const result = await post(iris, hi(model, { ...tools, stream: type === 'text/event-stream' }));
      assert.ok(result.status === 200 || result.status === 400 || result.status === 502, `${model}: ${result.status} ${result.text.slice(0, 200)}`);
      // The upstream's own `__proto__` members pass on as data (JSON.parse makes them own
      // properties); nothing may be read *through* them: no field of the answer says "injected".
      const passedOn = result.text.replaceAll('\\"', '"').replaceAll('"__proto__":{"polluted":"yes","content":"injected"}', '');
      assert.ok(!passedOn.includes('injected'), `${model}: a field was read through an upstream's __proto__: ${result.text.slice(0, 300)}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal(Object.prototype.hasOwnProperty.call(Array.prototype, 'polluted'), false);
    await assertAlive(iris);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets

describe('hostile input audit: secrets', () => {
  let upstream: RawUpstream;
  let iris: RunningIris;
  // As long as an OpenAI project key (sk-proj-…, ~164 characters).
  const KEY = `sk-proj-${'K'.repeat(156)}`;
  before(async () => {
    upstream = await startRawUpstream();
    iris = await startOnRawUpstream(upstream, KEY, 3_000);
  });
  after(async () => {
    await iris?.close();
    await upstream?.close();
  });

  /** The credential the upstream was sent, in whichever header its dialect uses. */
  const credential = (req: IncomingMessage) => String(req.headers.authorization ?? req.headers['x-api-key'] ?? req.headers['x-goog-api-key']);

  it('coverage: the client\'s key never goes upstream; request headers echoed in an error body are masked in every dialect', async () => {
    upstream.handler = (req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      const text = `echo ${JSON.stringify(req.headers)}`;
      res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: text, status: text, code: 400 } }));
    };
    for (const model of ['gpt', 'claude', 'gemini']) {
      for (const stream of [false, true]) {
        const answer = await post(iris, hi(model, { stream }));
        assertApiError(answer, 400, model);
        assert.ok(!answer.text.includes(KEY.slice(0, 40)), `${model}: the provider key reached the client: ${answer.text.slice(0, 300)}`);
      }
    }
    const sent = JSON.stringify(upstream.seen.map((s) => s.headers));
    assert.ok(!sent.includes(iris.apiKey), 'the client\'s key was sent upstream');
    assert.ok(!JSON.stringify(iris.logs).includes(KEY.slice(0, 40)));
  });

  // retryHeaders (retry-headers.ts) passes Retry-After, retry-after-ms and x-should-retry on to
  // the client as the upstream wrote them: neither checked (Retry-After is a number of seconds or
  // an HTTP date) nor masked. An upstream (or a proxy) that reflects the request's credential
  // there hands Iris's provider key to every client that hits a 429.
  it('a provider key reflected into Retry-After / retry-after-ms / x-should-retry does not reach the client (found by the audit)', async () => {
    upstream.handler = (req, res) => {
      const key = credential(req);
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': key, 'retry-after-ms': key, 'x-should-retry': key });
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 429, status: 'RESOURCE_EXHAUSTED' } }));
    };
    const leaked: string[] = [];
    for (const model of ['gpt', 'claude', 'gemini']) {
      const answer = await post(iris, hi(model));
      assert.equal(answer.status, 429, answer.text);
      for (const [name, value] of answer.headers) if (value.includes(KEY.slice(0, 40))) leaked.push(`${model}: ${name}: ${value.slice(0, 60)}…`);
    }
    assert.deepEqual(leaked, [], 'the provider key is in response headers');
  });

  // withUpstreamRequestId (attribute-upstream-error.ts) cuts the upstream's request id to 200
  // characters before the log line is written; the logger masks only whole secrets, so a key
  // that straddles the cut is logged in part (here its first 100 characters).
  it('a provider key in the upstream\'s request-id header is not logged, whole or in part (found by the audit)', async () => {
    upstream.handler = (req, res) => {
      const id = `req_${'0'.repeat(96)}${credential(req).replace(/^Bearer /, '')}`;
      res.writeHead(400, { 'content-type': 'application/json', 'request-id': id, 'x-request-id': id });
      res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'no' } }));
    };
    for (const model of ['gpt', 'claude', 'gemini']) await post(iris, hi(model));
    const lines = iris.logs.filter((line) => JSON.stringify(line).includes(KEY.slice(0, 40)));
    assert.deepEqual(lines.map((line) => String(line.upstream_request_id).slice(90, 150)), [], 'part of the provider key is in the log');
  });
});

// ---------------------------------------------------------------------------------------------
// Fan-out and sizes

describe('hostile input audit: fan-out', () => {
  let upstream: RawUpstream;
  let openai: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    upstream = await startRawUpstream();
    openai = await startFakeOpenAI();
    iris = await startIris({
      providers: {
        ant: { type: 'anthropic', base_url: upstream.origin, api_key: 'sk-ant-fanout-0123', timeout_ms: 20_000 },
        oai: { type: 'openai', base_url: openai.url, api_key: 'sk-upstream-fanout', timeout_ms: 20_000 },
      },
      models: [
        { name: 'claude', provider: 'ant', upstream: 'claude-sonnet-4-5' },
        { name: 'gpt', provider: 'oai', upstream: 'gpt-4o' },
      ],
    });
  });
  after(async () => {
    await iris?.close();
    await upstream?.close();
    await openai?.close();
  });

  /** The most the heap grew (MB) while a request with `n` choices of a `bytes`-long prompt was in flight upstream. */
  async function heapGrowth(n: number, bytes: number): Promise<number> {
    upstream.seen.length = 0;
    upstream.handler = () => {}; // reads each call's body, never answers
    const body = JSON.stringify({ model: 'claude', n, messages: [{ role: 'user', content: 'word '.repeat(bytes / 5) }] });
    await new Promise((r) => setTimeout(r, 50));
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const client = new AbortController();
    const request = fetch(`${iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
      body,
      signal: client.signal,
    }).catch(() => undefined);
    try {
      const deadline = performance.now() + 15_000;
      while (upstream.seen.length < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(upstream.seen.length, n);
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    } finally {
      clearInterval(sampler);
      client.abort();
      await request;
    }
    return (peak - base) / MB;
  }

  // Anthropic has no `n`: each of up to 16 calls plans and serializes the same request on its
  // own (anthropic-provider.ts completeOnce → call → stringifyClientJson), and every copy is held
  // until its call ends. Before the fix: a 10 MB prompt with n=16 grows the heap ~120 MB (a 25 MB one:
  // +400 MB of heap and +1 GB of buffers, RSS 1.15 GB), beyond what limits.inflight_body_bytes
  // charges the request (its 10 MB). Expected: one serialized body shared by the n calls.
  it('n=16 to Anthropic shares one serialized request, not 16 copies at once (found by the audit)', async () => {
    const bytes = 10 * MB;
    const one = await heapGrowth(1, bytes);
    const sixteen = await heapGrowth(16, bytes);
    await assertAlive(iris);
    assert.ok(sixteen < 5 * (bytes / MB), `n=16 grew the heap by ${Math.round(sixteen)} MB for a ${bytes / MB} MB prompt (n=1: ${Math.round(one)} MB)`);
  });

  // Token counting (count-tokens.ts) runs on the main thread for every answer without usage
  // (and for every request to the engine). security-audit.test.ts bounds one long *word*; text
  // in a script without spaces costs ~4 µs a character in o200k's BPE, however it is sliced:
  // 1.8 MB of CJK text blocks the event loop for seconds (50 MB, the body limit: about a
  // minute), where 4 MB of English takes 0.2 s. Expected: counting bounded, or off the loop.
  it('a 1.8 MB prompt of CJK text to an upstream that reports no usage is counted without blocking the event loop for seconds (found by the audit)', async () => {
    const completion = { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
    openai.script({ kind: 'json', body: completion });
    let seed = 1;
    const cjk = Array.from({ length: 600_000 }, () => String.fromCharCode(0x4e00 + ((seed = (seed * 48271) % 2147483647) % 2_000))).join('');
    const { result, stallMs } = await longestStall(async () => (await post(iris, { model: 'gpt', messages: [{ role: 'user', content: cjk }] })).status);
    assert.equal(result, 200);
    assert.ok(stallMs < 1_000, `the event loop was blocked for ${Math.round(stallMs)} ms by one 1.8 MB request`);
  });

  it('coverage: fan-out limits hold: n, stop, tools, image parts, headers', async () => {
    const tooMany: [string, unknown][] = [
      ['n=17 to Anthropic', { ...hi('claude'), n: 17 }],
      ['n=129', { ...hi('gpt'), n: 129 }],
      ['5 stop sequences', { ...hi('gpt'), stop: ['a', 'b', 'c', 'd', 'e'] }],
      ['129 tools', { ...hi('gpt'), tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })) }],
      ['a 65-character tool name', { ...hi('gpt'), tools: [{ type: 'function', function: { name: 'f'.repeat(65) } }] }],
      ['a tool name with a newline', { ...hi('gpt'), tools: [{ type: 'function', function: { name: 'f\r\nx' } }] }],
      ['5000 image parts', { model: 'claude', messages: [{ role: 'user', content: Array.from({ length: 5_000 }, () => ({ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } })) }] }],
      ['a 1 MB model name', { model: 'm'.repeat(MB), messages: [{ role: 'user', content: 'hi' }] }],
    ];
    for (const [name, body] of tooMany) {
      const answer = await post(iris, body);
      assertApiError(answer, [400, 404], name);
      assert.ok(answer.text.length < 2_000, `${name}: a ${answer.text.length}-byte error`);
    }
    // 20,000 tiny alternating messages: answered, in bounded time.
    const messages = Array.from({ length: 20_001 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x' }));
    const { result, stallMs } = await longestStall(async () => (await post(iris, { model: 'gpt', messages })).status);
    assert.equal(result, 200);
    assert.ok(stallMs < 1_000, `${Math.round(stallMs)} ms`);
    // A 100 KB Authorization header: an OpenAI-shaped 431, the server still up.
    const raw = openRawSocket(iris.origin);
    raw.socket.on('error', () => {});
    raw.socket.write(`GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\nConnection: close\r\n\r\n`);
    await raw.closedWithin(3_000);
    const text = raw.received();
    raw.socket.destroy();
    assert.match(text, /^HTTP\/1\.1 431 /);
    assertErrorResponse(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)));
    await assertAlive(iris);
  });
});

// ---------------------------------------------------------------------------------------------
// The address classifier, as a pure function (nothing is connected to)

describe('hostile input audit: address spellings the classifier must refuse', () => {
  it('coverage: long-form, zoned and embedded spellings of internal addresses are not public', () => {
    for (const address of [
      '0:0:0:0:0:ffff:127.0.0.1', '0000:0000:0000:0000:0000:ffff:0a00:0001', '::0:ffff:10.0.0.1', '::ffff:127.0.0.1%eth0',
      '0:0:0:0:0:0:127.0.0.1', '[::ffff:a9fe:a9fe]', '::ffff:0:169.254.169.254', '64:ff9b::7f00:1', '2002:a9fe:a9fe::',
      'fd00:ec2::254', '[fe80::1%25eth0]', '::ffff:100.64.0.1', '0x7f000001', '2130706433', '0177.0.0.1', '127.1',
    ]) {
      assert.equal(classifyAddress(address).public, false, address);
    }
  });
});
