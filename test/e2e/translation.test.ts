// The Anthropic and Gemini translations, both ways, through the real Iris server and the fake
// upstreams on loopback: what Iris sends upstream is checked against what the provider's API
// takes (../shared/reference/wire-formats.md), and what it returns against what OpenAI would
// return (the project's OpenAI schemas and the official openai SDK and its stream helpers).
// Each test is named after the expected behaviour; together they cover translations no other
// test checks (written as an audit, whose failing tests the fixes made pass).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { RunnableToolFunctionWithParse } from 'openai/lib/RunnableFunction';
import sharp from 'sharp';
import {
  anthropicMessage, anthropicStreamEvents, FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream, type SseEvent,
} from '../support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, geminiResponse, geminiStreamEvents, startFakeGemini, type FakeGeminiUpstream } from '../support/fake-gemini-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Completion = OpenAI.Chat.Completions.ChatCompletion;
type FunctionCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
/** The function tool calls of a message (Iris answers no custom tool calls here). */
const functionCalls = (message: OpenAI.Chat.Completions.ChatCompletionMessage): FunctionCall[] => (message.tool_calls ?? []) as FunctionCall[];
const imageTokens = (usage: OpenAI.CompletionUsage | undefined) => (usage?.prompt_tokens_details as { image_tokens?: number } | undefined)?.image_tokens;

const CLAUDE = 'claude';
/** The same Claude behind a provider with `fetch_urls: iris`: Iris inlines image URLs. */
const CLAUDE_INLINE = 'claude-inline';
const GEMINI = 'gemini';
const CLAUDE_UPSTREAM = 'claude-sonnet-4-5-20250929';
const GEMINI_UPSTREAM = 'gemini-2.5-flash';
const GEMINI_2_0 = 'gemini-old';
const GEMINI_FILES_HOST = 'generativelanguage.googleapis.com';

let anthropic: FakeAnthropicUpstream;
let gemini: FakeGeminiUpstream;
let iris: RunningIris;
/** A loopback image server (the only address Iris may fetch from here), counting its requests. */
let imageServer: Server;
let imageOrigin = '';
let imageHits = 0;
let photoJpeg: Buffer;

before(async () => {
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini();
  photoJpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2a6' } }).jpeg().toBuffer();
  imageServer = createServer((req, res) => {
    imageHits++;
    // Any query: a URL of its own for each test, past Iris's image cache.
    if (!req.url?.startsWith('/photo.jpg')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(photoJpeg.length) }).end(photoJpeg);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  const imageHost = `127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
  imageOrigin = `http://${imageHost}`;
  const ant = { type: 'anthropic', base_url: anthropic.baseUrl, api_key: FAKE_ANTHROPIC_KEY, timeout_ms: 5000 };
  iris = await startIris({
    providers: {
      ant,
      'ant-inline': { ...ant, fetch_urls: 'iris' },
      gem: { type: 'gemini', base_url: gemini.baseUrl, api_key: FAKE_GEMINI_KEY, timeout_ms: 5000 },
    },
    models: [
      { name: CLAUDE, provider: 'ant', upstream: CLAUDE_UPSTREAM },
      { name: CLAUDE_INLINE, provider: 'ant-inline', upstream: CLAUDE_UPSTREAM },
      { name: GEMINI, provider: 'gem', upstream: GEMINI_UPSTREAM },
      { name: GEMINI_2_0, provider: 'gem', upstream: 'gemini-2.0-flash' },
    ],
    // Only the loopback image server of this file may be fetched. Gemini's own host is denied too,
    // so that an attempt to fetch a File API URI fails before any lookup: nothing leaves the machine.
    images: { fetch: { allow_hosts: [imageHost], deny_hosts: [GEMINI_FILES_HOST] } },
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

async function post(body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
}

/** A non-streamed completion that must succeed, checked against OpenAI's schema. */
async function complete(body: Record<string, unknown>): Promise<Completion> {
  const { status, body: out } = await post(body);
  assert.equal(status, 200, JSON.stringify(out));
  assertChatCompletion(out);
  return out as Completion;
}

/** The chunks of a stream that must succeed (each checked against the schema), ending with [DONE]. */
async function streamChunks(body: Record<string, unknown>): Promise<Chunk[]> {
  const res = await fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const payloads = text.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
  assert.equal(payloads.at(-1), '[DONE]', `ends with [DONE]: ${text.slice(-400)}`);
  const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as Chunk);
  for (const chunk of chunks) {
    assert.equal((chunk as { error?: unknown }).error, undefined, JSON.stringify(chunk));
    assertChatCompletionChunk(chunk);
  }
  return chunks;
}

const contentOf = (chunks: Chunk[], index = 0) =>
  chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index)).map((ch) => ch.delta.content ?? '').join('');

const lastAnthropic = () => anthropic.requests.at(-1)!.body;
const lastGemini = () => gemini.requests.at(-1)!.body;

async function png(width: number, height: number, colour = '#3a7'): Promise<string> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

/** Every `$ref` in a schema, with the JSON pointer it holds. */
function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const v of node) refsIn(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** Resolves a local JSON pointer (`#/$defs/X`) against the document root, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: any = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node == null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Every node of a Gemini schema whose type is ARRAY, with its path. */
function arrayNodes(node: any, path = '$', out: Array<{ path: string; node: any }> = []): Array<{ path: string; node: any }> {
  if (!node || typeof node !== 'object') return out;
  if (String(node.type).toUpperCase() === 'ARRAY') out.push({ path, node });
  for (const [k, v] of Object.entries(node.properties ?? {})) arrayNodes(v, `${path}.properties.${k}`, out);
  if (node.items) arrayNodes(node.items, `${path}.items`, out);
  (node.anyOf ?? []).forEach((v: unknown, i: number) => arrayNodes(v, `${path}.anyOf[${i}]`, out));
  return out;
}

// ==========================================================================================
// Anthropic
// ==========================================================================================

describe('Anthropic: requests', () => {
  it('system and developer messages anywhere become top-level system blocks, in order; same-role turns merge', async () => {
    await complete({
      model: CLAUDE,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first' },
        { role: 'user', content: [{ type: 'text', text: 'second' }] },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'assistant', content: 'ok' },
        { role: 'assistant', content: [{ type: 'text', text: 'really' }] },
        { role: 'system', content: '   ' },
        { role: 'user', content: '' },
        { role: 'user', content: 'third', name: 'bob' },
      ],
    });
    const body = lastAnthropic();
    assert.deepEqual(body.system, [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Answer in French.' }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }, { type: 'text', text: 'really' }] },
      { role: 'user', content: [{ type: 'text', text: 'third' }] },
    ]);
  });

  it('parallel tool calls with content null and their results (text-part arrays, any order) become tool_use and tool_result blocks', async () => {
    const out = await complete({
      model: CLAUDE,
      messages: [
        { role: 'user', content: 'weather in Oslo and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'functions.get_weather:1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'functions.get_weather:1', content: [{ type: 'text', text: 'sunny' }] },
        { role: 'tool', tool_call_id: 'call_a', content: 'rain' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
    });
    assert.match(out.choices[0].message.content ?? '', /The tool said: rain/);
    const [, assistant, results] = lastAnthropic().messages;
    assert.equal(assistant.role, 'assistant');
    assert.deepEqual(assistant.content.map((b: any) => [b.type, b.name, b.input]), [
      ['tool_use', 'get_weather', { city: 'Oslo' }],
      ['tool_use', 'get_weather', { city: 'Rome' }],
    ]);
    const rewritten = assistant.content[1].id;
    assert.match(rewritten, /^[a-zA-Z0-9_-]+$/);
    assert.deepEqual(results, {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: rewritten, content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'call_a', content: 'rain' },
      ],
    });
  });

  it('tool_choice none/auto/required/named and parallel_tool_calls false map to Anthropic tool_choice', async () => {
    const tools = [
      { type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'string' } } } } },
      { type: 'function', function: { name: 'b' } },
    ];
    const cases: Array<[unknown, boolean | undefined, unknown]> = [
      ['none', undefined, { type: 'none' }],
      ['auto', false, { type: 'auto', disable_parallel_tool_use: true }],
      ['required', undefined, { type: 'any' }],
      ['required', false, { type: 'any', disable_parallel_tool_use: true }],
      [{ type: 'function', function: { name: 'b' } }, false, { type: 'tool', name: 'b', disable_parallel_tool_use: true }],
    ];
    for (const [choice, parallel, expected] of cases) {
      await complete({ model: CLAUDE, messages: [{ role: 'user', content: 'go' }], tools, tool_choice: choice, ...(parallel === undefined ? {} : { parallel_tool_calls: parallel }) });
      const body = lastAnthropic();
      assert.deepEqual(body.tool_choice, expected, JSON.stringify(choice));
      assert.deepEqual(body.tools.map((t: any) => t.input_schema.type), ['object', 'object']);
    }
  });

  it('stop as a string and as an array, max_completion_tokens over max_tokens, user as metadata.user_id', async () => {
    await complete({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }], stop: 'STOP', max_tokens: 50, max_completion_tokens: 70, user: 'u-1' });
    let body = lastAnthropic();
    assert.deepEqual(body.stop_sequences, ['STOP']);
    assert.equal(body.max_tokens, 70);
    assert.deepEqual(body.metadata, { user_id: 'u-1' });
    await complete({ model: CLAUDE, messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'STOP', 'b', 'c'] });
    body = lastAnthropic();
    assert.deepEqual(body.stop_sequences, ['a', 'STOP', 'b', 'c']);
    assert.equal(body.max_tokens, 4096);
  });

  it('png, jpeg, gif and webp data URLs go as base64 image blocks with the right media_type; an https URL goes as a url source', async () => {
    const base = sharp({ create: { width: 40, height: 30, channels: 3, background: '#c33' } });
    const jpeg = (await base.clone().jpeg().toBuffer()).toString('base64');
    const gif = (await base.clone().gif().toBuffer()).toString('base64');
    const webp = (await base.clone().webp().toBuffer()).toString('base64');
    await complete({
      model: CLAUDE,
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'compare' },
          { type: 'image_url', image_url: { url: await png(40, 30), detail: 'high' } },
          // The media type the client wrote is corrected from the bytes.
          { type: 'image_url', image_url: { url: `data:image/png;base64,${jpeg}` } },
          { type: 'image_url', image_url: { url: `data:image/gif;base64,${gif}`, detail: 'low' } },
          { type: 'image_url', image_url: { url: `data:image/webp;base64,${webp}` } },
          // Anthropic fetches URLs itself (fetch_urls: upstream): Iris must not touch it (loopback, port 1).
          { type: 'image_url', image_url: { url: 'https://127.0.0.1:1/cat.png' } },
        ],
      }],
    });
    const blocks = lastAnthropic().messages[0].content;
    assert.deepEqual(blocks.map((b: any) => b.source?.media_type ?? b.source?.url ?? b.text), [
      'compare', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'https://127.0.0.1:1/cat.png',
    ]);
    for (const b of blocks.slice(1, 5)) assert.doesNotMatch(b.source.data, /^data:/);
  });

  it('with more than 20 images, each image reaches Anthropic at 2000 px or less per edge', async () => {
    // wire-formats.md §2e: "With more than 20 images in one request the limit is 2000×2000 px."
    const wide = await png(2400, 16);
    const content = [{ type: 'text', text: 'count them' }, ...Array.from({ length: 21 }, () => ({ type: 'image_url', image_url: { url: wide } }))];
    await complete({ model: CLAUDE, messages: [{ role: 'user', content }] });
    const images = lastAnthropic().messages[0].content.filter((b: any) => b.type === 'image');
    assert.equal(images.length, 21);
    for (const [i, image] of images.entries()) {
      const meta = await sharp(Buffer.from(image.source.data, 'base64')).metadata();
      assert.ok(Math.max(meta.width!, meta.height!) <= 2000, `image ${i} is ${meta.width}×${meta.height}`);
    }
  });

  it('an http image URL: Anthropic gets it as a url source and Iris fetches nothing; with fetch_urls iris it goes inline, byte for byte', async () => {
    const url = `${imageOrigin}/photo.jpg?for=anthropic`;
    const message = { role: 'user', content: [{ type: 'text', text: 'what is it?' }, { type: 'image_url', image_url: { url } }] };
    imageHits = 0;
    await complete({ model: CLAUDE, messages: [message] });
    assert.deepEqual(lastAnthropic().messages[0].content[1], { type: 'image', source: { type: 'url', url } });
    assert.equal(imageHits, 0, 'Iris left the URL to Anthropic');
    await complete({ model: CLAUDE_INLINE, messages: [message] });
    assert.equal(imageHits, 1);
    const block = lastAnthropic().messages[0].content[1];
    assert.equal(block.source.type, 'base64');
    assert.equal(block.source.media_type, 'image/jpeg');
    assert.ok(Buffer.from(block.source.data, 'base64').equals(photoJpeg));
  });

  it('json_object: asked for in the system prompt and prefilled with {, the answer streamed and not starts with it', async () => {
    const request = { model: CLAUDE, messages: [{ role: 'user', content: 'describe' }], response_format: { type: 'json_object' } };
    const plain = await complete(request);
    const body = lastAnthropic();
    assert.deepEqual(body.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: '{' }] });
    assert.match(body.system.at(-1).text, /JSON/);
    assert.deepEqual(JSON.parse(plain.choices[0].message.content!), { images: 0, answer: 'fake' });
    const chunks = await streamChunks(request);
    assert.deepEqual(JSON.parse(contentOf(chunks)), { images: 0, answer: 'fake' });
  });

  it('json_schema whose root is a $ref into $defs: every $ref in the answer tool input_schema still resolves', async () => {
    // A pydantic / zod-to-json-schema model schema: the root is a $ref, the definitions beside it.
    const schema = {
      $ref: '#/$defs/Answer',
      $defs: {
        Answer: { type: 'object', properties: { item: { $ref: '#/$defs/Item' } }, required: ['item'], additionalProperties: false },
        Item: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false },
      },
    };
    await complete({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'name one thing' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } },
    });
    const tool = lastAnthropic().tools.find((t: any) => t.name === 'answer');
    assert.ok(tool, 'the answer tool');
    const refs = refsIn(tool.input_schema);
    assert.ok(refs.length > 0);
    for (const ref of refs) assert.notEqual(resolvePointer(tool.input_schema, ref), undefined, `${ref} does not resolve in ${JSON.stringify(tool.input_schema)}`);
  });

  it('json_schema with a nested $ref and $defs at an object root keeps the schema as the input_schema', async () => {
    const schema = {
      type: 'object',
      properties: { tags: { type: 'array', items: { $ref: '#/$defs/Tag' } }, note: { type: ['string', 'null'] } },
      required: ['tags', 'note'],
      additionalProperties: false,
      $defs: { Tag: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'], additionalProperties: false } },
    };
    const out = await complete({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'tag it' }],
      response_format: { type: 'json_schema', json_schema: { name: 'tagging', strict: true, schema } },
    });
    const body = lastAnthropic();
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'tagging' });
    assert.deepEqual(body.tools[0].input_schema, schema);
    assert.equal(out.choices[0].finish_reason, 'stop');
    assert.equal(out.choices[0].message.tool_calls, undefined);
    const parsed = JSON.parse(out.choices[0].message.content!);
    assert.ok(Array.isArray(parsed.tags));
  });
});

describe('Anthropic: answers', () => {
  it('a refusal reads the same streamed and not streamed (content, refusal, finish_reason)', async () => {
    const refusal = anthropicMessage({ text: 'I cannot help with that.', stopReason: 'refusal' });
    anthropic.enqueue({ kind: 'json', body: refusal }, { kind: 'sse', events: anthropicStreamEvents(refusal) });
    const plain = await complete({ model: CLAUDE, messages: [{ role: 'user', content: 'something bad' }] });
    const streamed = await iris.client.chat.completions.stream({ model: CLAUDE, messages: [{ role: 'user', content: 'something bad' }] }).finalChatCompletion();
    const pick = (m: OpenAI.Chat.Completions.ChatCompletionMessage) => ({ content: m.content, refusal: m.refusal ?? null });
    assert.equal(plain.choices[0].finish_reason, 'content_filter');
    assert.equal(streamed.choices[0].finish_reason, 'content_filter');
    assert.deepEqual(pick(streamed.choices[0].message), pick(plain.choices[0].message));
  });

  it('several tool calls with thinking and text: one answer, and the same through the SDK stream helper', async () => {
    const message = anthropicMessage({
      thinking: 'Two cities, two calls.',
      text: 'Checking both.',
      toolUses: [
        { id: 'toolu_01', name: 'get_weather', input: { city: 'Oslo', units: { temp: 'C' } } },
        { id: 'toolu_02', name: 'get_weather', input: { city: 'Rome', days: [1, 2] } },
      ],
      usage: { input_tokens: 30, output_tokens: 40, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
    });
    anthropic.enqueue({ kind: 'json', body: message }, { kind: 'sse', events: anthropicStreamEvents(message) });
    const request = { model: CLAUDE, messages: [{ role: 'user' as const, content: 'weather?' }] };
    const plain = await complete(request);
    const chunks: Chunk[] = [];
    const runner = iris.client.chat.completions.stream({ ...request, stream_options: { include_usage: true } });
    runner.on('chunk', (c) => {
      assertChatCompletionChunk(c);
      chunks.push(c);
    });
    const streamed = await runner.finalChatCompletion();
    for (const out of [plain, streamed]) {
      const choice = out.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.content, 'Checking both.');
      assert.deepEqual(functionCalls(choice.message).map((c) => [c.id, c.type, c.function.name, JSON.parse(c.function.arguments)]), [
        ['toolu_01', 'function', 'get_weather', { city: 'Oslo', units: { temp: 'C' } }],
        ['toolu_02', 'function', 'get_weather', { city: 'Rome', days: [1, 2] }],
      ]);
      assert.equal(out.usage!.prompt_tokens, 137);
      assert.equal(out.usage!.completion_tokens, 40);
      assert.equal(out.usage!.total_tokens, 177);
      assert.equal(out.usage!.prompt_tokens_details!.cached_tokens, 100);
    }
    // reasoning_content is not OpenAI's: the SDK helper keeps only its last delta, so it is read from the chunks.
    assert.equal((plain.choices[0].message as { reasoning_content?: string }).reasoning_content, 'Two cities, two calls.');
    assert.equal(chunks.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join(''), 'Two cities, two calls.');
    // Tool-call deltas: the first of each call carries id, type and name; arguments come in pieces by index.
    const calls = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    assert.deepEqual(calls.filter((c) => c.id).map((c) => [c.index, c.id, c.type, c.function?.name]), [[0, 'toolu_01', 'function', 'get_weather'], [1, 'toolu_02', 'function', 'get_weather']]);
    assert.ok(calls.filter((c) => c.index === 1 && !c.id).length > 1, 'arguments streamed in several deltas');
    // The finish_reason is on the last choice chunk, and the usage chunk comes after it, with empty choices.
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    assert.equal(withChoices.at(-1)!.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(withChoices.slice(0, -1).map((c) => c.choices[0].finish_reason).filter(Boolean), []);
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.equal(chunks.at(-1)!.usage!.prompt_tokens, 137);
  });

  it('a streamed json_schema answer whose tool input arrives whole in content_block_start is that input, not {}', async () => {
    // The client-tool path already takes such an input (anthropic-stream-to-chunks.ts, content_block_stop).
    const events: SseEvent[] = [
      { event: 'message_start', data: { type: 'message_start', message: { ...anthropicMessage({}), content: [], stop_reason: null } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_j', name: 'answer', input: { city: 'Oslo' } } } },
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } } },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ];
    anthropic.enqueue({ kind: 'sse', events });
    const chunks = await streamChunks({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'a city' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    });
    assert.deepEqual(JSON.parse(contentOf(chunks)), { city: 'Oslo' });
  });

  it('runTools() streaming through Anthropic: the call assembled from input_json_delta pieces, its result sent back as tool_result', async () => {
    const calls: unknown[] = [];
    const weather: RunnableToolFunctionWithParse<{ city: string }> = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        function: (args) => (calls.push(args), { temp: 3 }),
        parse: (text) => JSON.parse(text) as { city: string },
      },
    };
    const runner = iris.client.chat.completions.runTools({
      model: CLAUDE,
      stream: true,
      messages: [{ role: 'user', content: 'use get_weather for Oslo' }],
      tools: [weather],
    });
    const content = await runner.finalContent();
    assert.equal(calls.length, 1);
    assert.equal(typeof (calls[0] as { city: unknown }).city, 'string');
    assert.equal(content, 'The tool said: {"temp":3}');
    const [, second] = anthropic.requests.map((r) => r.body);
    assert.deepEqual(second.messages.map((m: any) => m.content.map((b: any) => b.type)), [['text'], ['tool_use'], ['tool_result']]);
    assert.equal(second.messages[2].content[0].tool_use_id, second.messages[1].content[0].id);
  });

  it('parse() of a json_schema whose root is an array: the value comes back unwrapped, streamed and not', async () => {
    const schema = { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } };
    const request = {
      model: CLAUDE,
      messages: [{ role: 'user' as const, content: 'list' }],
      response_format: { type: 'json_schema' as const, json_schema: { name: 'list', schema } },
    };
    const parsed = await iris.client.chat.completions.parse(request);
    assert.ok(Array.isArray(parsed.choices[0].message.parsed));
    assert.equal(parsed.choices[0].finish_reason, 'stop');
    assert.deepEqual(lastAnthropic().tool_choice, { type: 'tool', name: 'list' });
    // The stream helper parses only SDK-made (zod) formats: its content is read instead.
    const streamed = await iris.client.chat.completions.stream(request).finalChatCompletion();
    assert.deepEqual(JSON.parse(streamed.choices[0].message.content!), parsed.choices[0].message.parsed);
  });

  it('finish reasons: max_tokens → length, stop_sequence → stop, model_context_window_exceeded → length', async () => {
    const cases: Array<[string, string]> = [['max_tokens', 'length'], ['stop_sequence', 'stop'], ['model_context_window_exceeded', 'length'], ['pause_turn', 'stop']];
    for (const [reason, expected] of cases) {
      const message = anthropicMessage({ text: 'partial', stopReason: reason, stopSequence: reason === 'stop_sequence' ? 'END' : null });
      anthropic.enqueue({ kind: 'json', body: message }, { kind: 'sse', events: anthropicStreamEvents(message) });
      const plain = await complete({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }] });
      const chunks = await streamChunks({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(plain.choices[0].finish_reason, expected, reason);
      assert.equal(plain.choices[0].message.content, 'partial');
      assert.equal(chunks.at(-1)!.choices[0].finish_reason, expected, reason);
      assert.equal(contentOf(chunks), 'partial');
    }
  });

  it('an error event after pings mid-stream ends the stream with an OpenAI error the SDK throws', async () => {
    const events = anthropicStreamEvents(anthropicMessage({ text: 'Hello there, friend.' })).slice(0, 5);
    events.push({ event: 'ping', data: { type: 'ping' } }, { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    anthropic.enqueue({ kind: 'sse', events });
    const stream = await iris.client.chat.completions.create({ model: CLAUDE, messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.match((err as Error).message, /Overloaded/);
    assert.ok(text.length > 0, 'the text before the error arrived');
  });

  it('n = 2 streamed with include_usage: two choices, each finished, and one usage chunk summing both calls', async () => {
    const chunks = await streamChunks({ model: CLAUDE, n: 2, messages: [{ role: 'user', content: 'hello' }], stream_options: { include_usage: true } });
    assert.equal(anthropic.requests.length, 2);
    for (const index of [0, 1]) {
      const own = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
      assert.equal(own[0].delta.role, 'assistant');
      assert.equal(own.filter((ch) => ch.finish_reason).length, 1);
      assert.equal(own.at(-1)!.finish_reason, 'stop');
    }
    const usage = chunks.filter((c) => c.usage);
    assert.equal(usage.length, 1);
    assert.deepEqual(usage[0].choices, []);
    assert.equal(usage[0].usage!.total_tokens, usage[0].usage!.prompt_tokens + usage[0].usage!.completion_tokens);
  });
});

// ==========================================================================================
// Gemini
// ==========================================================================================

describe('Gemini: requests', () => {
  it('generation settings: temperature, top_p, stop string/array, max_completion_tokens, n, seed', async () => {
    await complete({
      model: GEMINI,
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0, top_p: 1, stop: 'END', max_tokens: 10, max_completion_tokens: 20, n: 2, seed: 7,
    });
    assert.deepEqual(lastGemini().generationConfig, {
      temperature: 0, topP: 1, maxOutputTokens: 20, stopSequences: ['END'], candidateCount: 2, seed: 7,
    });
    await complete({ model: GEMINI, messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b', 'c', 'd'] });
    assert.deepEqual(lastGemini().generationConfig.stopSequences, ['a', 'b', 'c', 'd']);
  });

  it('presence/frequency penalties are not sent to Gemini 2.5, which refuses them (or are a 400 naming the param)', async () => {
    // Gemini 2.5 answers 400 INVALID_ARGUMENT "Penalty is not enabled for models/gemini-2.5-flash" to a
    // non-zero penalty (vercel/ai#8943, google-gemini/cookbook#1290), where OpenAI models take them.
    for (const [param, value] of [['presence_penalty', 0.5], ['frequency_penalty', -0.3]] as const) {
      gemini.reset();
      const { status, body } = await post({ model: GEMINI, messages: [{ role: 'user', content: 'hi' }], [param]: value });
      if (status === 400) {
        assert.equal(body.error.param, param);
        continue;
      }
      assert.equal(status, 200, JSON.stringify(body));
      const config = lastGemini().generationConfig ?? {};
      assert.ok(!config.presencePenalty && !config.frequencyPenalty, `${param} sent: ${JSON.stringify(config)}`);
    }
  });

  it('results of same-name parallel calls answered out of order reach Gemini in the order of the calls', async () => {
    // Gemini pairs a functionResponse with its functionCall by name (Iris sends no ids): for two calls
    // of one function, only their order tells which result is whose.
    await complete({
      model: GEMINI,
      messages: [
        { role: 'user', content: 'weather in Oslo and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c_oslo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'c_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c_rome', content: '{"city":"Rome","sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'c_oslo', content: '{"city":"Oslo","sky":"snow"}' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    const [, calls, results] = lastGemini().contents;
    const askedFor = calls.parts.map((p: any) => p.functionCall.args.city);
    const answered = results.parts.map((p: any) => p.functionResponse.id ?? p.functionResponse.response.city);
    assert.deepEqual(answered, askedFor, JSON.stringify(results.parts));
  });

  it('a seed outside int32 (OpenAI takes int64) reaches Gemini as a seed its int32 field holds', async () => {
    // Gemini's GenerationConfig.seed is an int32 (proto; java-genai `seed(Integer)`, kotlin-genai `Int?`).
    await complete({ model: GEMINI, messages: [{ role: 'user', content: 'hi' }], seed: 1_234_567_890_123 });
    const seed = lastGemini().generationConfig?.seed;
    assert.ok(seed === undefined || (Number.isInteger(seed) && seed >= -(2 ** 31) && seed < 2 ** 31), `seed sent: ${seed}`);
  });

  it('system/developer messages become systemInstruction; tool results become functionResponse parts named by the call', async () => {
    await complete({
      model: GEMINI,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: await png(20, 20) } }] },
        { role: 'developer', content: 'Use metric units.' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'c2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"temp":3}' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'noon' }] },
      ],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time' } },
      ],
    });
    const body = lastGemini();
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be brief.' }, { text: 'Use metric units.' }] });
    assert.deepEqual(body.contents.map((c: any) => c.role), ['user', 'model', 'user']);
    assert.equal(body.contents[0].parts[1].inlineData.mimeType, 'image/png');
    assert.deepEqual(body.contents[1].parts.map((p: any) => p.functionCall), [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_time', args: {} }]);
    assert.deepEqual(body.contents[2].parts, [
      { functionResponse: { name: 'get_weather', response: { temp: 3 } } },
      { functionResponse: { name: 'get_time', response: { content: 'noon' } } },
    ]);
    assert.deepEqual(body.tools[0].functionDeclarations.map((d: any) => d.name), ['get_weather', 'get_time']);
    assert.equal(body.tools[0].functionDeclarations[1].parameters, undefined);
  });

  it('tool_choice none/auto/required/named map to functionCallingConfig', async () => {
    const tools = [
      { type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'string' } } } } },
      { type: 'function', function: { name: 'b', parameters: { type: 'object', properties: { y: { type: 'integer' } } } } },
    ];
    const cases: Array<[unknown, unknown]> = [
      ['none', { mode: 'NONE' }],
      ['auto', { mode: 'AUTO' }],
      ['required', { mode: 'ANY' }],
      [{ type: 'function', function: { name: 'b' } }, { mode: 'ANY', allowedFunctionNames: ['b'] }],
    ];
    for (const [choice, expected] of cases) {
      await complete({ model: GEMINI, messages: [{ role: 'user', content: 'go' }], tools, tool_choice: choice });
      assert.deepEqual(lastGemini().toolConfig?.functionCallingConfig, expected, JSON.stringify(choice));
    }
  });

  it('json_schema with $defs/$ref, nullable types and additionalProperties reaches Gemini 2.5 as it is (responseJsonSchema)', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string' },
        nickname: { type: ['string', 'null'] },
        when: { type: 'string', format: 'date-time' },
        pet: { anyOf: [{ $ref: '#/$defs/Pet' }, { type: 'null' }] },
      },
      required: ['name', 'nickname', 'when', 'pet'],
      additionalProperties: false,
      $defs: { Pet: { type: 'object', properties: { kind: { type: 'string', enum: ['cat', 'dog'] } }, required: ['kind'], additionalProperties: false } },
    };
    const out = await complete({ model: GEMINI, messages: [{ role: 'user', content: 'who?' }], response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema } } });
    const config = lastGemini().generationConfig;
    assert.equal(config.responseMimeType, 'application/json');
    assert.equal(config.responseSchema, undefined);
    assert.deepEqual(config.responseJsonSchema, schema);
    assert.doesNotThrow(() => JSON.parse(out.choices[0].message.content!));
  });

  it('every ARRAY in a tool schema sent to Gemini before 2.5 has items, even when the JSON Schema left them out', async () => {
    // Gemini refuses such a declaration: "…parameters.properties[tags].items: missing field."
    await complete({
      model: GEMINI_2_0,
      messages: [{ role: 'user', content: 'tag it' }],
      tools: [{ type: 'function', function: { name: 'tag', parameters: { type: 'object', properties: { tags: { type: 'array' }, ids: { type: ['array', 'null'] } } } } }],
    });
    const params = lastGemini().tools[0].functionDeclarations[0].parameters;
    const arrays = arrayNodes(params);
    assert.equal(arrays.length, 2);
    for (const { path, node } of arrays) assert.ok(node.items && typeof node.items === 'object', `${path} has no items: ${JSON.stringify(params)}`);
  });

  it('response_format with callable tools on Gemini 2.5: no responseMimeType application/json beside the function declarations', async () => {
    // Gemini 2.5 answers 400 INVALID_ARGUMENT "Function calling with a response mime type:
    // 'application/json' is unsupported" (google/adk-python#5735 on gemini-2.5-pro, symfony/ai#1777
    // on gemini-2.5-flash); OpenAI takes both, and the model may call the tools or answer in JSON.
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    for (const response_format of [{ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object', properties: { x: { type: 'string' } } } } }]) {
      await complete({ model: GEMINI, messages: [{ role: 'user', content: 'answer in JSON' }], tools, response_format });
      const body = lastGemini();
      const callable = (body.tools?.[0]?.functionDeclarations?.length ?? 0) > 0 && body.toolConfig?.functionCallingConfig?.mode !== 'NONE';
      assert.ok(!(callable && body.generationConfig?.responseMimeType === 'application/json'), `${response_format.type}: ${JSON.stringify({ generationConfig: body.generationConfig, toolConfig: body.toolConfig })}`);
    }
  });

  it('an http image URL is fetched by Iris and sent inline, byte for byte', async () => {
    imageHits = 0;
    await complete({ model: GEMINI, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `${imageOrigin}/photo.jpg?for=gemini` } }, { type: 'text', text: 'what?' }] }] });
    assert.equal(imageHits, 1);
    const [image, text] = lastGemini().contents[0].parts;
    assert.equal(image.inlineData.mimeType, 'image/jpeg');
    assert.ok(Buffer.from(image.inlineData.data, 'base64').equals(photoJpeg));
    assert.deepEqual(text, { text: 'what?' });
  });

  it('a Gemini File API URI reaches Gemini as fileData, not fetched by Iris', async () => {
    // wire-formats.md §2f: {"fileData":{"mimeType":…,"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}};
    // convert-to-gemini-contents.ts means to send such URIs as fileData, but the image pipeline
    // fetches every URL for Gemini first (imageLimits.acceptsUrls false). The host is deny-listed
    // in this file's config, so the fetch is refused before any lookup.
    const fileUri = `https://${GEMINI_FILES_HOST}/v1beta/files/abc123`;
    const { status, body } = await post({ model: GEMINI, messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image_url', image_url: { url: fileUri } }] }] });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(lastGemini().contents[0].parts[1].fileData?.fileUri, fileUri);
  });

  it('detail low reaches Gemini at 512 px or less; a GIF is converted (Gemini takes none)', async () => {
    const big = await png(1600, 900);
    const gif = `data:image/gif;base64,${(await sharp({ create: { width: 30, height: 30, channels: 3, background: '#00f' } }).gif().toBuffer()).toString('base64')}`;
    const out = await complete({
      model: GEMINI,
      messages: [{ role: 'user', content: [
        { type: 'image_url', image_url: { url: big, detail: 'low' } },
        { type: 'image_url', image_url: { url: big, detail: 'high' } },
        { type: 'image_url', image_url: { url: gif } },
      ] }],
    });
    const parts = lastGemini().contents[0].parts;
    const sizes = await Promise.all(parts.map(async (p: any) => {
      const meta = await sharp(Buffer.from(p.inlineData.data, 'base64')).metadata();
      return [p.inlineData.mimeType, meta.format, meta.width, meta.height];
    }));
    assert.deepEqual(sizes[0].slice(2), [512, 288]);
    assert.deepEqual(sizes[1].slice(2), [1600, 900]);
    assert.notEqual(sizes[2][0], 'image/gif');
    assert.equal(`image/${sizes[2][1] === 'jpeg' ? 'jpeg' : sizes[2][1]}`, sizes[2][0]);
    assert.ok(imageTokens(out.usage)! > 0);
  });
});

describe('Gemini: answers', () => {
  it('parallel_tool_calls false: the client gets at most one tool call, as from OpenAI', async () => {
    const twoCalls = geminiResponse({ candidates: [{ functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_weather', args: { city: 'Rome' } }] }] });
    gemini.enqueue({ kind: 'json', body: twoCalls }, { kind: 'sse', events: geminiStreamEvents(twoCalls) });
    const request = {
      model: GEMINI,
      messages: [{ role: 'user' as const, content: 'weather in Oslo and Rome?' }],
      tools: [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      parallel_tool_calls: false,
    };
    const plain = await complete(request);
    const streamed = await iris.client.chat.completions.stream(request).finalChatCompletion();
    assert.ok((plain.choices[0].message.tool_calls ?? []).length <= 1, `non-streamed: ${plain.choices[0].message.tool_calls?.length} calls`);
    assert.ok((streamed.choices[0].message.tool_calls ?? []).length <= 1, `streamed: ${streamed.choices[0].message.tool_calls?.length} calls`);
  });

  it('several whole function calls: ids, arguments as JSON strings, finish tool_calls, streamed and not', async () => {
    const calls = geminiResponse({ candidates: [{ text: 'Let me check.', functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }, { name: 'get_time', args: {} }] }] });
    gemini.enqueue({ kind: 'json', body: calls }, { kind: 'sse', events: geminiStreamEvents(calls) });
    const request = {
      model: GEMINI,
      messages: [{ role: 'user' as const, content: 'weather and time?' }],
      tools: [
        { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function' as const, function: { name: 'get_time' } },
      ],
    };
    const plain = await complete(request);
    const streamed = await iris.client.chat.completions.stream(request).finalChatCompletion();
    for (const out of [plain, streamed]) {
      const { message, finish_reason } = out.choices[0];
      assert.equal(finish_reason, 'tool_calls');
      assert.equal(message.content, 'Let me check.');
      assert.deepEqual(functionCalls(message).map((c) => [c.type, c.function.name, JSON.parse(c.function.arguments)]), [['function', 'get_weather', { city: 'Oslo' }], ['function', 'get_time', {}]]);
      const ids = message.tool_calls!.map((c) => c.id);
      assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
      assert.equal(new Set(ids).size, 2);
    }
  });

  it('thinking and text streamed with include_usage: reasoning_content, then content, finish stop, usage with reasoning tokens', async () => {
    const chunks = await streamChunks({ model: GEMINI, reasoning_effort: 'low', messages: [{ role: 'user', content: 'hello there' }], stream_options: { include_usage: true } });
    const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta as { reasoning_content?: string; content?: string | null }));
    const firstReasoning = deltas.findIndex((d) => d.reasoning_content);
    const firstText = deltas.findIndex((d) => d.content);
    assert.ok(firstReasoning >= 0 && firstText > firstReasoning);
    assert.match(contentOf(chunks), /I see 0 images/);
    const usage = chunks.at(-1)!.usage!;
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.ok(usage.completion_tokens_details!.reasoning_tokens! > 0);
    assert.ok(usage.completion_tokens > usage.completion_tokens_details!.reasoning_tokens!);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(lastGemini().generationConfig.thinkingConfig.includeThoughts, true);
  });

  it('runTools() through Gemini: the whole call, its generated id, the result sent back as a functionResponse', async () => {
    const calls: unknown[] = [];
    const weather: RunnableToolFunctionWithParse<{ city: string }> = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'The weather in a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        function: (args) => (calls.push(args), 'cold'),
        parse: (text) => JSON.parse(text) as { city: string },
      },
    };
    const runner = iris.client.chat.completions.runTools({ model: GEMINI, messages: [{ role: 'user', content: 'use get_weather' }], tools: [weather] });
    const content = await runner.finalContent();
    assert.equal(calls.length, 1);
    assert.equal(content, 'The tool said: {"content":"cold"}');
    const second = gemini.requests[1].body;
    assert.deepEqual(second.contents.map((c: any) => c.role), ['user', 'model', 'user']);
    assert.deepEqual(second.contents[2].parts, [{ functionResponse: { name: 'get_weather', response: { content: 'cold' } } }]);
  });

  it('parse() of a json_schema answer, streamed and not', async () => {
    const request = {
      model: GEMINI,
      messages: [{ role: 'user' as const, content: 'who?' }],
      response_format: { type: 'json_schema' as const, json_schema: { name: 'p', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } },
    };
    const parsed = await iris.client.chat.completions.parse(request);
    assert.equal(typeof (parsed.choices[0].message.parsed as unknown as { name?: unknown }).name, 'string');
    // The stream helper parses only SDK-made (zod) formats: its content is read instead.
    const streamed = await iris.client.chat.completions.stream(request).finalChatCompletion();
    assert.deepEqual(JSON.parse(streamed.choices[0].message.content!), parsed.choices[0].message.parsed);
  });

  it('an error object mid-stream ends the stream with an OpenAI error the SDK throws', async () => {
    const events = geminiStreamEvents(geminiResponse({ candidates: [{ text: 'A long enough answer to come in pieces.' }] })).slice(0, 2);
    events.push({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } });
    gemini.enqueue({ kind: 'sse', events });
    const stream = await iris.client.chat.completions.create({ model: GEMINI, messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.match((err as Error).message, /overloaded/);
    assert.ok(text.length > 0);
  });

  it('finish reasons: SAFETY/RECITATION/PROHIBITED_CONTENT → content_filter, MAX_TOKENS → length, and a blocked prompt', async () => {
    for (const [reason, expected] of [['SAFETY', 'content_filter'], ['RECITATION', 'content_filter'], ['PROHIBITED_CONTENT', 'content_filter'], ['MAX_TOKENS', 'length']]) {
      const response = geminiResponse({ candidates: [{ text: 'partial', finishReason: reason }] });
      gemini.enqueue({ kind: 'json', body: response }, { kind: 'sse', events: geminiStreamEvents(response) });
      const plain = await complete({ model: GEMINI, messages: [{ role: 'user', content: 'x' }] });
      const chunks = await streamChunks({ model: GEMINI, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(plain.choices[0].finish_reason, expected, reason);
      assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).at(-1)!.choices[0].finish_reason, expected, reason);
    }
    const blocked = geminiResponse({ blockReason: 'SAFETY' });
    gemini.enqueue({ kind: 'json', body: blocked });
    const out = await complete({ model: GEMINI, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.choices[0].finish_reason, 'content_filter');
    assert.equal(out.choices[0].message.content, null);
    assert.equal(typeof out.choices[0].message.refusal, 'string');
  });

  it('usage: cached content, image modality and tool-use prompt tokens map to OpenAI usage', async () => {
    const response = geminiResponse({ candidates: [{ text: 'ok' }] });
    response.usageMetadata = {
      promptTokenCount: 600, candidatesTokenCount: 5, thoughtsTokenCount: 12, toolUsePromptTokenCount: 4, cachedContentTokenCount: 500, totalTokenCount: 621,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 342 }, { modality: 'IMAGE', tokenCount: 258 }],
    };
    gemini.enqueue({ kind: 'json', body: response });
    const out = await complete({ model: GEMINI, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.usage!.prompt_tokens, 604);
    assert.equal(out.usage!.completion_tokens, 17);
    assert.equal(out.usage!.total_tokens, 621);
    assert.equal(out.usage!.prompt_tokens_details!.cached_tokens, 500);
    assert.equal(imageTokens(out.usage), 258);
    assert.equal(out.usage!.completion_tokens_details!.reasoning_tokens, 12);
  });

  it('n = 2 streamed: each candidate is its own choice with role, text and finish', async () => {
    const chunks = await streamChunks({ model: GEMINI, n: 2, messages: [{ role: 'user', content: 'hello' }] });
    for (const index of [0, 1]) {
      const own = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
      assert.equal(own[0].delta.role, 'assistant');
      assert.match(contentOf(chunks, index), /I see 0 images/);
      assert.equal(own.filter((ch) => ch.finish_reason).length, 1);
    }
  });
});
