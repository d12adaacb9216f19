// Translation audit: Iris between OpenAI clients and the Anthropic / Gemini upstreams, checked
// against ../shared/reference/wire-formats.md (the wire formats of the three APIs) through the
// real Iris server, the official openai SDK and the fake upstreams on loopback. The cases under
// "Found by the audit" each failed before their fix (session 16); the others pin important
// translations that were found correct.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import sharp from 'sharp';
import {
  anthropicError, anthropicMessage, anthropicStreamEvents, FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream, type SseEvent,
} from '../support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, geminiError, geminiResponse, geminiStreamEvents, startFakeGemini, type FakeGeminiUpstream } from '../support/fake-gemini-upstream.ts';
import { assertChatCompletion } from '../support/openai-schemas.ts';
import { postChatJson, streamChunks as streamChunksOf, streamPayloads as streamPayloadsOf } from '../support/chat-http.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Completion = OpenAI.Chat.Completions.ChatCompletion;

const CLAUDE = 'claude';
const GEMINI = 'gemini';
const CLAUDE_UPSTREAM = 'claude-sonnet-4-5-20250929';
const GEMINI_UPSTREAM = 'gemini-2.5-flash';

let anthropic: FakeAnthropicUpstream;
let gemini: FakeGeminiUpstream;
let iris: RunningIris;
let imageServer: Server;
let imageOrigin = '';
let photoJpeg: Buffer;

before(async () => {
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini();
  photoJpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a52' } }).jpeg().toBuffer();
  imageServer = createServer((req, res) => {
    if (!req.url?.startsWith('/photo.jpg')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(photoJpeg.length) }).end(photoJpeg);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  const imageHost = `127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
  imageOrigin = `http://${imageHost}`;
  iris = await startIris({
    providers: {
      ant: { type: 'anthropic', base_url: anthropic.baseUrl, api_key: FAKE_ANTHROPIC_KEY, timeout_ms: 5000 },
      gem: { type: 'gemini', base_url: gemini.baseUrl, api_key: FAKE_GEMINI_KEY, timeout_ms: 5000 },
    },
    models: [
      { name: CLAUDE, provider: 'ant', upstream: CLAUDE_UPSTREAM },
      { name: GEMINI, provider: 'gem', upstream: GEMINI_UPSTREAM },
    ],
    images: { fetch: { allow_hosts: [imageHost], deny_hosts: ['generativelanguage.googleapis.com'] } },
  });
});

after(async () => {
  await iris?.close();
  imageServer?.closeAllConnections();
  await new Promise((resolve) => (imageServer ? imageServer.close(resolve) : resolve(undefined)));
  await anthropic?.close();
  await gemini?.close();
});

beforeEach(() => {
  anthropic.reset();
  gemini.reset();
});

// ---- helpers ----------------------------------------------------------------------------

const post = (body: Record<string, unknown>) => postChatJson(iris, body);

async function complete(body: Record<string, unknown>): Promise<Completion> {
  const out = await post(body);
  assert.equal(out.status, 200, out.text);
  assertChatCompletion(out.json);
  return out.json as Completion;
}

const streamPayloads = (body: Record<string, unknown>) => streamPayloadsOf(iris, body);
const streamChunks = (body: Record<string, unknown>) => streamChunksOf(iris, body);

const contentOf = (chunks: Chunk[], index = 0) =>
  chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index)).map((ch) => ch.delta.content ?? '').join('');
const finishOf = (chunks: Chunk[], index = 0) =>
  chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index && ch.finish_reason)).map((ch) => ch.finish_reason);

const lastAnthropic = () => anthropic.requests.at(-1)!.body;
const lastGemini = () => gemini.requests.at(-1)!.body;

const user = (content: unknown) => [{ role: 'user', content }];

function sse(event: string, data: Record<string, unknown>): SseEvent {
  return { event, data: { type: event, ...data } };
}

const messageStart = (usage: Record<string, unknown> = { input_tokens: 20, output_tokens: 1 }) =>
  sse('message_start', { message: { id: 'msg_audit', type: 'message', role: 'assistant', content: [], model: CLAUDE_UPSTREAM, stop_reason: null, stop_sequence: null, usage } });

// ==========================================================================================
// Found by the audit
// ==========================================================================================

describe('found by the audit', () => {
  // convert-anthropic-response.ts prepended the json_object prefill ("{") to whatever text came
  // back, even when the model wrote nothing (a refusal, max_tokens at once). The streamed path
  // attaches the prefix to the first content delta only, so the same answer read "" streamed and
  // "{" not streamed: a byte the model never wrote, and not JSON. OpenAI: content is what the
  // model generated; the project's own rule: a refusal reads the same streamed and not.
  it('a json_object answer Claude refused (no text) reads the same non-streamed as streamed: no "{"', async () => {
    const refused = anthropicMessage({ stopReason: 'refusal' });
    anthropic.enqueue({ kind: 'json', body: refused }, { kind: 'sse', events: anthropicStreamEvents(refused) });
    const plain = await complete({ model: CLAUDE, messages: user('x'), response_format: { type: 'json_object' } });
    const chunks = await streamChunks({ model: CLAUDE, messages: user('x'), response_format: { type: 'json_object' } });
    assert.equal(plain.choices[0].finish_reason, 'content_filter');
    assert.deepEqual(finishOf(chunks), ['content_filter']);
    assert.equal(contentOf(chunks), '', 'streamed: no content');
    // Expected: no fabricated "{" (null, as for any refusal without text, or at least what the stream says).
    assert.ok(plain.choices[0].message.content === null || plain.choices[0].message.content === '', `non-streamed content is ${JSON.stringify(plain.choices[0].message.content)}`);
  });

  it('a json_object answer cut by max_tokens before any text reads the same non-streamed as streamed', async () => {
    const cut = anthropicMessage({ text: '', stopReason: 'max_tokens' });
    anthropic.enqueue({ kind: 'json', body: cut }, { kind: 'sse', events: anthropicStreamEvents(cut) });
    const plain = await complete({ model: CLAUDE, messages: user('x'), response_format: { type: 'json_object' }, max_tokens: 1 });
    const chunks = await streamChunks({ model: CLAUDE, messages: user('x'), response_format: { type: 'json_object' }, max_tokens: 1 });
    assert.equal(plain.choices[0].finish_reason, 'length');
    assert.deepEqual(finishOf(chunks), ['length']);
    assert.equal(plain.choices[0].message.content, contentOf(chunks), 'the same answer streamed and not');
  });

  // Anthropic answers 400 "Requests which include `tool_use` or `tool_result` blocks must define
  // tools." (anthropics/anthropic-sdk-python#494); OpenAI takes such a history without tools.
  it('a history of tool calls with no tools offered now reaches Claude with those tools declared and none callable', async () => {
    const messages = [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18 °C' },
      { role: 'tool', tool_call_id: 'call_2', content: '24 °C' },
      { role: 'user', content: 'Summarise in one line.' },
    ];
    const plain = await complete({ model: CLAUDE, messages });
    assert.equal(plain.choices[0].message.tool_calls, undefined);
    const sent = lastAnthropic();
    assert.deepEqual(sent.tools.map((t: { name: string }) => t.name), ['get_weather'], 'each tool called, once');
    assert.deepEqual(sent.tool_choice, { type: 'none' });
    await streamChunks({ model: CLAUDE, messages });
  });
});

// ==========================================================================================
// Anthropic: checked and fine
// ==========================================================================================

describe('Anthropic (checked, fine)', () => {
  it('errors: 429 keeps Retry-After (streamed too), 529 → 503 overloaded, 413, 500 → 502, 404; an error event first → HTTP 503', async () => {
    anthropic.enqueue(anthropicError(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', { 'retry-after': '17' }));
    let out = await post({ model: CLAUDE, messages: user('x') });
    assert.equal(out.status, 429);
    assert.equal(out.headers.get('retry-after'), '17');
    assert.equal(out.json.error.type, 'rate_limit_error');
    assert.deepEqual(Object.keys(out.json.error).sort(), ['code', 'message', 'param', 'type']);

    anthropic.enqueue(anthropicError(429, 'rate_limit_error', 'slow down', { 'retry-after': '3' }));
    out = await post({ model: CLAUDE, messages: user('x'), stream: true });
    assert.equal(out.status, 429);
    assert.equal(out.headers.get('retry-after'), '3');

    for (const [status, type, expected] of [[529, 'overloaded_error', 503], [413, 'request_too_large', 413], [500, 'api_error', 502], [404, 'not_found_error', 404], [400, 'invalid_request_error', 400]] as const) {
      anthropic.enqueue(anthropicError(status, type, `upstream ${type}`));
      out = await post({ model: CLAUDE, messages: user('x') });
      assert.equal(out.status, expected, `${status} ${type}: ${out.text}`);
      assert.match(out.json.error.message, new RegExp(`upstream ${type}`));
    }

    anthropic.enqueue({ kind: 'sse', events: [sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })] });
    out = await post({ model: CLAUDE, messages: user('x'), stream: true });
    assert.equal(out.status, 503);
    assert.equal(out.json.error.type, 'overloaded_error');

    // The SDK's classes follow.
    anthropic.enqueue(anthropicError(529, 'overloaded_error', 'Overloaded'));
    const err = await iris.client.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }] }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.InternalServerError, String(err));
    assert.equal(err.status, 503);
  });

  it('usage: cache read/creation inside prompt_tokens, thinking tokens as reasoning_tokens, streamed (include_usage) and not', async () => {
    const m = anthropicMessage({ thinking: 'hmm', text: 'Hello', usage: { input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 } });
    m.usage.output_tokens_details = { thinking_tokens: 7 };
    anthropic.enqueue({ kind: 'json', body: m }, { kind: 'sse', events: anthropicStreamEvents(m) });
    const plain = await complete({ model: CLAUDE, messages: user('x') });
    const chunks = await streamChunks({ model: CLAUDE, messages: user('x'), stream_options: { include_usage: true } });
    const streamed = chunks.at(-1)!;
    assert.deepEqual(streamed.choices, []);
    for (const usage of [plain.usage!, streamed.usage!]) {
      assert.equal(usage.prompt_tokens, 160);
      assert.equal(usage.completion_tokens, 20);
      assert.equal(usage.total_tokens, 180);
      assert.equal(usage.prompt_tokens_details!.cached_tokens, 100);
      assert.equal((usage.prompt_tokens_details as { cache_write_tokens?: number }).cache_write_tokens, 50);
      assert.equal(usage.completion_tokens_details!.reasoning_tokens, 7);
    }
    assert.equal((plain.choices[0].message as { reasoning_content?: string }).reasoning_content, 'hmm');
    // Every other chunk carries usage: null; the first one the role.
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  });

  it('stream: input_json_delta split across events with pings between, two tool_use blocks → tool_calls by index, one id/created, finish tool_calls', async () => {
    anthropic.enqueue({
      kind: 'sse',
      events: [
        messageStart(),
        sse('ping', {}),
        sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Checking.' } }),
        sse('content_block_stop', { index: 0 }),
        sse('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} } }),
        sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
        sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } }),
        sse('ping', {}),
        sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'ty": "Os' } }),
        sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'lo"}' } }),
        sse('content_block_stop', { index: 1 }),
        sse('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} } }),
        sse('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
        sse('content_block_stop', { index: 2 }),
        sse('some_future_event', {}),
        sse('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 40 } }),
        sse('message_stop', {}),
      ],
    });
    const chunks = await streamChunks({ model: CLAUDE, messages: user('x'), tools: [{ type: 'function', function: { name: 'get_weather' } }, { type: 'function', function: { name: 'get_time' } }] });
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    const calls: Record<number, { id?: string; name?: string; args: string }> = {};
    for (const c of chunks) for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
      const entry = (calls[tc.index] ??= { args: '' });
      if (tc.id) entry.id = tc.id;
      if (tc.function?.name) entry.name = tc.function.name;
      entry.args += tc.function?.arguments ?? '';
    }
    assert.deepEqual(calls, { 0: { id: 'toolu_a', name: 'get_weather', args: '{"city": "Oslo"}' }, 1: { id: 'toolu_b', name: 'get_time', args: '{}' } });
    assert.equal(contentOf(chunks), 'Checking.');
    assert.deepEqual(finishOf(chunks), ['tool_calls']);
  });

  it('stop reasons: end_turn/stop_sequence/pause_turn → stop, max_tokens/model_context_window_exceeded → length, tool_use → tool_calls, refusal → content_filter', async () => {
    const cases: Array<[string, string]> = [['end_turn', 'stop'], ['stop_sequence', 'stop'], ['pause_turn', 'stop'], ['max_tokens', 'length'], ['model_context_window_exceeded', 'length'], ['refusal', 'content_filter'], ['tool_use', 'tool_calls']];
    for (const [reason, expected] of cases) {
      const m = reason === 'tool_use' ? anthropicMessage({ toolUses: [{ name: 'f', input: { a: 1 } }] }) : anthropicMessage({ text: 'part', stopReason: reason });
      anthropic.enqueue({ kind: 'json', body: m });
      const out = await complete({ model: CLAUDE, messages: user('x'), tools: [{ type: 'function', function: { name: 'f' } }] });
      assert.equal(out.choices[0].finish_reason, expected, reason);
    }
  });

  it('request: max_tokens required (default sent), max_completion_tokens wins, stop ≤4, system/developer hoisted, temperature clamped to 0..1', async () => {
    await complete({ model: CLAUDE, messages: [{ role: 'developer', content: 'be brief' }, ...user('x')], temperature: 1.6, stop: ['a', 'b', 'c', 'd'] });
    let body = lastAnthropic();
    assert.equal(body.max_tokens, 4096);
    assert.deepEqual(body.system, [{ type: 'text', text: 'be brief' }]);
    assert.deepEqual(body.stop_sequences, ['a', 'b', 'c', 'd']);
    assert.ok(body.temperature <= 1);
    await complete({ model: CLAUDE, messages: user('x'), max_tokens: 90, max_completion_tokens: 70 });
    body = lastAnthropic();
    assert.equal(body.max_tokens, 70);
    const five = await post({ model: CLAUDE, messages: user('x'), stop: ['a', 'b', 'c', 'd', 'e'] });
    assert.equal(five.status, 400);
    assert.equal(five.json.error.param, 'stop');
  });
});

// ==========================================================================================
// Gemini: checked and fine
// ==========================================================================================

describe('Gemini (checked, fine)', () => {
  it('errors: RESOURCE_EXHAUSTED 429 with RetryInfo → Retry-After, INVALID_ARGUMENT 400, PERMISSION_DENIED 403, 500 → 502, 503, 504; an error chunk first → its status', async () => {
    gemini.enqueue(geminiError(429, 'Resource has been exhausted', { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' }] }));
    let out = await post({ model: GEMINI, messages: user('x') });
    assert.equal(out.status, 429);
    assert.equal(out.headers.get('retry-after'), '26');
    assert.equal(out.json.error.type, 'rate_limit_error');
    for (const [code, expected, type] of [[400, 400, 'invalid_request_error'], [403, 403, 'permission_error'], [404, 404, 'not_found_error'], [500, 502, 'upstream_error'], [503, 503, 'overloaded_error'], [504, 504, 'timeout_error']] as const) {
      gemini.enqueue(geminiError(code, `gemini said ${code}`));
      out = await post({ model: GEMINI, messages: user('x') });
      assert.equal(out.status, expected, out.text);
      assert.equal(out.json.error.type, type);
      assert.match(out.json.error.message, new RegExp(`gemini said ${code}`));
    }
    gemini.enqueue({ kind: 'sse', events: [{ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }] });
    out = await post({ model: GEMINI, messages: user('x'), stream: true });
    assert.equal(out.status, 429);
  });

  it('finish reasons: every listed finishReason maps (content_filter for the safety family, length, stop), failed function calls are 502', async () => {
    const cases: Array<[string, string | number]> = [
      ['STOP', 'stop'], ['MAX_TOKENS', 'length'], ['SAFETY', 'content_filter'], ['RECITATION', 'content_filter'], ['BLOCKLIST', 'content_filter'],
      ['PROHIBITED_CONTENT', 'content_filter'], ['SPII', 'content_filter'], ['IMAGE_SAFETY', 'content_filter'], ['OTHER', 'stop'],
      ['MALFORMED_FUNCTION_CALL', 502], ['UNEXPECTED_TOOL_CALL', 502], ['TOO_MANY_TOOL_CALLS', 502],
    ];
    for (const [reason, expected] of cases) {
      gemini.enqueue({ kind: 'json', body: geminiResponse({ candidates: [{ text: 'partial', finishReason: reason }] }) });
      const out = await post({ model: GEMINI, messages: user('x') });
      if (typeof expected === 'number') assert.equal(out.status, expected, reason);
      else assert.equal(out.json.choices[0].finish_reason, expected, reason);
    }
  });

  it('stream: usage only at the end, parallel function calls in one event, role first, include_usage chunk last; blocked prompt streamed', async () => {
    gemini.enqueue({
      kind: 'sse',
      events: [
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Let me ' }] } }], modelVersion: GEMINI_UPSTREAM, responseId: 'r1' },
        {
          candidates: [{ content: { role: 'model', parts: [{ text: 'check.' }, { functionCall: { name: 'get', args: { a: 1 } } }, { functionCall: { name: 'get', args: { a: 2 } } }] }, finishReason: 'STOP' }],
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7, thoughtsTokenCount: 3, totalTokenCount: 20 },
          modelVersion: GEMINI_UPSTREAM,
          responseId: 'r1',
        },
      ],
    });
    const chunks = await streamChunks({ model: GEMINI, messages: user('x'), tools: [{ type: 'function', function: { name: 'get' } }], stream_options: { include_usage: true } });
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    assert.deepEqual(calls.map((c) => [c.index, c.type, c.function?.name, c.function?.arguments]), [[0, 'function', 'get', '{"a":1}'], [1, 'function', 'get', '{"a":2}']]);
    assert.ok(calls.every((c) => typeof c.id === 'string' && c.id.length > 0));
    assert.deepEqual(finishOf(chunks), ['tool_calls']);
    const last = chunks.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage!.prompt_tokens, 10);
    assert.equal(last.usage!.completion_tokens, 10);
    assert.equal(last.usage!.total_tokens, 20);
    assert.equal(last.usage!.completion_tokens_details!.reasoning_tokens, 3);

    gemini.enqueue({ kind: 'sse', events: [geminiResponse({ blockReason: 'PROHIBITED_CONTENT' })] });
    const blocked = await streamChunks({ model: GEMINI, messages: user('x') });
    assert.equal(blocked[0].choices[0].delta.role, 'assistant');
    assert.equal(typeof blocked[0].choices[0].delta.refusal, 'string');
    assert.deepEqual(finishOf(blocked), ['content_filter']);
  });

  it('n = 2 non-streamed: candidates (index 0 left out, as proto JSON does) become choices 0 and 1 with their own finish reasons', async () => {
    const two = geminiResponse({ candidates: [{ text: 'a' }, { text: 'b', finishReason: 'MAX_TOKENS' }] });
    delete two.candidates[0].index;
    gemini.enqueue({ kind: 'json', body: two });
    const out = await complete({ model: GEMINI, n: 2, messages: user('x') });
    assert.equal(lastGemini().generationConfig.candidateCount, 2);
    assert.deepEqual(out.choices.map((c) => [c.index, c.message.content, c.finish_reason]), [[0, 'a', 'stop'], [1, 'b', 'length']]);
  });

  it('request: an https/http image URL is fetched by Iris and inlined; tool results become functionResponse in call order; stop/seed/temperature/max tokens', async () => {
    await complete({
      model: GEMINI,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: `${imageOrigin}/photo.jpg?audit`, detail: 'high' } }, { type: 'text', text: 'what?' }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { id: 'c2', type: 'function', function: { name: 'g', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"ok":true}' },
      ],
      tools: [{ type: 'function', function: { name: 'f' } }, { type: 'function', function: { name: 'g' } }],
      temperature: 1.5, top_p: 0.5, seed: 7, max_completion_tokens: 50, stop: ['a', 'b', 'c', 'd'],
    });
    const body = lastGemini();
    assert.deepEqual(body.contents[0].parts[0], { inlineData: { mimeType: 'image/jpeg', data: photoJpeg.toString('base64') } });
    assert.deepEqual(body.contents[2].parts, [{ functionResponse: { name: 'f', response: { ok: true } } }, { functionResponse: { name: 'g', response: { content: 'two' } } }]);
    assert.deepEqual(body.generationConfig, { temperature: 1.5, topP: 0.5, maxOutputTokens: 50, stopSequences: ['a', 'b', 'c', 'd'], seed: 7 });
  });
});
