// Audit of Iris's Anthropic provider against what the REAL Anthropic Messages API sends and
// accepts today, as Anthropic's official SDK and Anthropic's own documentation describe it —
// not against Iris's reference (../shared/reference/wire-formats.md).
//
// Sources (every shape below is taken from one of these; each test names the one it uses):
//  [SDK]      @anthropic-ai/sdk 1.12.0 (npm, 2026-11-20), resources/messages/messages.d.ts:
//             Message, ContentBlock union (TextBlock.citations, ThinkingBlock.signature,
//             RedactedThinkingBlock, ServerToolUseBlock, WebSearchToolResultBlock, …),
//             RawMessageStreamEvent / RawContentBlockDelta (citations_delta, signature_delta),
//             StopReason, Usage (cache_creation, server_tool_use, service_tier, inference_geo,
//             speed, output_tokens_details), MessageDeltaUsage (nullable fields),
//             MessageCreateParamsBase (no temperature/top_p/top_k; messages: "On models that
//             don't support prefill, creating a message that ends with a partial assistant
//             response returns a 400 error"), OutputConfig.format (JSONOutputFormat),
//             ThinkingConfigParam ("what happens when you omit `thinking` depend[s] on the model").
//  [SDK-ERR]  same package, core/error.d.ts + resources/shared.d.ts: ErrorType union
//             (billing_error, timeout_error, …), ErrorResponse {type, error, request_id},
//             APIError.requestID (read from the `request-id` response header).
//  [SDK-VER]  same package, client.js: sends `anthropic-version: 2026-10-21`; CHANGELOG.md 1.0.0
//             "add support for new API version 2026-10-21" (BREAKING).
//  [MIG]      Anthropic migration guide, https://platform.claude.com/docs/en/about-claude/models/migration-guide
//             "Prefill removal: Prefilling assistant messages returns a 400 error on Claude 4.6
//             models. Use structured outputs, system prompt instructions, or output_config.format".
//  [SKILL-ERR] anthropics/skills skills/claude-api/shared/error-codes.md (Anthropic's own API
//             skill): "Claude Opus 5: thinking {type:"disabled"} returns 400 when effort is xhigh or
//             max - it is accepted at high or below. Thinking is on by default, so omitting the
//             param runs adaptive rather than disabling it."
//  [SKILL-TOOL] Anthropic claude-api skill text (found via find_string, file id 65714622011):
//             "Forced tool use removed (Claude Fable 5.1 / Claude Mythos 5.1 …): tool_choice
//             {type:"any"} and {type:"tool"} return a 400 (`tool_choice: type "tool" and "any" are
//             not supported for this model.`) … or structured outputs (output_config.format) when
//             the forced call only existed to get JSON back." Also reported live for
//             claude-opus-5-5: https://github.com/can1357/oh-my-pi/issues/12939
//  [PREFILL-ERR] the real error text: https://github.com/jobrunr/JavaClaw/issues/36
//             "This model does not support assistant message prefill. The conversation must end
//             with a user message."
//  [V2026]    API version 2026-10-21 rejects temperature/top_p/top_k even at default values
//             ("temperature: Extra inputs are not permitted"):
//             https://codersera.com/blog/anthropic-api-2026-10-21-sdk-migration-guide-2026/ ,
//             https://github.com/ttlequals0/MinusPod/releases/tag/v2.101.10
//
// The upstream here is a raw node:http server on loopback that records each request and answers
// with exact Anthropic bytes (JSON or `event:`/`data:` SSE frames). Tests whose names end
// "(found by the audit)" each failed before their fix (session 16) and describe what Anthropic
// does; the others pin behaviour that was checked and found right.

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertChatCompletion, assertChatCompletionChunk } from '../support/openai-schemas.ts';
import { postChatJson } from '../support/chat-http.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

// ---- a raw Anthropic upstream ----------------------------------------------------------------

interface Seen {
  body: any;
  headers: IncomingHttpHeaders;
}
interface Answer {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  /** Raw SSE text, sent as is. */
  sse?: string;
}

let server: Server;
let iris: RunningIris;
let baseUrl = '';
const seen: Seen[] = [];
let answer: (req: Seen) => Answer = () => ({ json: message({ content: [{ type: 'text', text: 'ok', citations: null }] }) });

const REQ_ID = 'req_011CSHoEeqs5C35K2UUqR7Fy';

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A full Message as the SDK types it: every field the current API sends. [SDK] Message, Usage */
function message(over: Record<string, unknown> = {}): any {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-6',
    content: [],
    stop_reason: 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: 12,
      output_tokens: 7,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      server_tool_use: null,
      service_tier: 'standard',
      inference_geo: 'us',
      speed: 'standard',
      output_tokens_details: null,
    },
    ...over,
  };
}

function errorBody(type: string, msg: string): unknown {
  // [SDK-ERR] ErrorResponse: {type:'error', error:{type, message}, request_id}
  return { type: 'error', error: { type, message: msg }, request_id: REQ_ID };
}

/** Anthropic's own refusals the audit relies on, keyed on the model in the request. */
function anthropicRules(body: any): Answer | null {
  const model: string = body.model;
  const last = body.messages?.at(-1);
  // [MIG] + [PREFILL-ERR]: Claude 4.6 and later refuse a final assistant turn.
  if (/claude-(opus|sonnet)-4-6|claude-opus-4-[78]|claude-(opus|sonnet|haiku)-5|claude-(fable|mythos)/.test(model) && last?.role === 'assistant') {
    return { status: 400, json: errorBody('invalid_request_error', 'This model does not support assistant message prefill. The conversation must end with a user message.') };
  }
  // [SKILL-TOOL]: forced tool_choice refused on Fable/Mythos 5.1 and the 5.5 models.
  if (/claude-(fable|mythos)-5-1|claude-(opus|sonnet|haiku)-5-5/.test(model) && (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool')) {
    return { status: 400, json: errorBody('invalid_request_error', 'tool_choice: type "tool" and "any" are not supported for this model.') };
  }
  return null;
}

before(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: any = null;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = null;
      }
      const s: Seen = { body, headers: req.headers };
      seen.push(s);
      const a = anthropicRules(body) ?? answer(s);
      const headers: Record<string, string> = { 'request-id': REQ_ID, ...(a.headers ?? {}) };
      if (a.sse !== undefined) {
        res.writeHead(a.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
        res.end(a.sse);
      } else {
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(a.json ?? {}));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = { type: 'anthropic', base_url: baseUrl, api_key: 'sk-ant-audit', timeout_ms: 5000 };
  iris = await startIris({
    providers: {
      ant: provider,
      // The API version the official SDK 1.x sends by default. [SDK-VER]
      ant2026: { ...provider, anthropic_version: '2026-10-21' },
    },
    models: [
      { name: 'sonnet-4-5', provider: 'ant', upstream: 'claude-sonnet-4-5-20250929' },
      { name: 'sonnet-4-6', provider: 'ant', upstream: 'claude-sonnet-4-6' },
      { name: 'opus-4-8', provider: 'ant', upstream: 'claude-opus-4-8' },
      { name: 'opus-5', provider: 'ant', upstream: 'claude-opus-5' },
      { name: 'opus-5-5', provider: 'ant', upstream: 'claude-opus-5-5' },
      { name: 'fable-5-1', provider: 'ant', upstream: 'claude-fable-5-1' },
      { name: 'sonnet-4-6-v2026', provider: 'ant2026', upstream: 'claude-sonnet-4-6' },
    ],
  });
});

after(async () => {
  await iris?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

beforeEach(() => {
  seen.length = 0;
  answer = () => ({ json: message({ content: [{ type: 'text', text: 'ok', citations: null }] }) });
});

const post = (body: Record<string, unknown>) => postChatJson(iris, body);

async function streamChunks(body: Record<string, unknown>): Promise<Chunk[]> {
  const stream = await iris.client.chat.completions.create({ ...(body as any), stream: true, stream_options: { include_usage: true } });
  const chunks: Chunk[] = [];
  for await (const c of stream as unknown as AsyncIterable<Chunk>) chunks.push(c);
  return chunks;
}

const USER = [{ role: 'user', content: 'Who was Claude Shannon?' }];

// ---- responses: content blocks and events Iris may not expect --------------------------------

describe('responses the current API sends', () => {
  it('non-streamed web-search answer: server_tool_use / web_search_tool_result are skipped, cited text kept whole, usage variants read', async () => {
    // [SDK] ContentBlock union: ServerToolUseBlock {id, caller, input, name, type}, WebSearchToolResultBlock
    // {content, tool_use_id, type}, TextBlock {citations: TextCitation[] | null}; Usage with
    // cache_creation breakdown, server_tool_use counts, service_tier, inference_geo, speed.
    answer = () => ({
      json: message({
        content: [
          { type: 'text', text: "I'll search for that.", citations: null },
          { type: 'server_tool_use', id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE', name: 'web_search', input: { query: 'Claude Shannon birth date' }, caller: { type: 'direct' } },
          {
            type: 'web_search_tool_result',
            tool_use_id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE',
            content: [{ type: 'web_search_result', url: 'https://en.wikipedia.org/wiki/Claude_Shannon', title: 'Claude Shannon - Wikipedia', encrypted_content: 'EqgfCioIARgBIiQ3YTAw', page_age: 'April 30, 2025' }],
          },
          {
            type: 'text',
            text: 'Claude Shannon was born on April 30, 1916',
            citations: [{ type: 'web_search_result_location', url: 'https://en.wikipedia.org/wiki/Claude_Shannon', title: 'Claude Shannon - Wikipedia', encrypted_index: 'Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm', cited_text: 'Claude Elwood Shannon (April 30, 1916 – February 24, 2001)' }],
          },
          { type: 'text', text: '.', citations: null },
        ],
        usage: {
          input_tokens: 6039,
          output_tokens: 931,
          cache_creation_input_tokens: 100,
          cache_read_input_tokens: 50,
          cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 },
          server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
          service_tier: 'standard',
          inference_geo: 'us',
          speed: 'standard',
          output_tokens_details: null,
        },
      }),
    });
    const res = await post({ model: 'sonnet-4-6', messages: USER });
    assert.equal(res.status, 200, res.text);
    assertChatCompletion(res.json);
    assert.equal(res.json.choices[0].message.content, "I'll search for that.Claude Shannon was born on April 30, 1916.");
    assert.equal(res.json.choices[0].finish_reason, 'stop');
    assert.equal(res.json.choices[0].message.tool_calls, undefined, 'a server tool is not a client tool call');
    assert.equal(res.json.usage.prompt_tokens, 6039 + 100 + 50);
    assert.equal(res.json.usage.prompt_tokens_details.cached_tokens, 50);
  });

  it('stream with citations_delta, signature_delta, redacted_thinking, server tool blocks and an unknown block type: text and reasoning intact, every chunk OpenAI-valid', async () => {
    // [SDK] RawContentBlockDelta = TextDelta | InputJSONDelta | CitationsDelta | ThinkingDelta | SignatureDelta;
    // RawContentBlockStartEvent.content_block includes RedactedThinkingBlock, ServerToolUseBlock,
    // WebSearchToolResultBlock, ContainerUploadBlock; MessageDeltaUsage fields nullable.
    const start = message({ content: [], stop_reason: null, usage: { input_tokens: 20, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null, server_tool_use: null, service_tier: 'standard', inference_geo: null, speed: null, output_tokens_details: null } });
    const sse =
      frame('message_start', { type: 'message_start', message: start }) +
      frame('ping', { type: 'ping' }) +
      frame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Need to search.' } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 0 }) +
      frame('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 1 }) +
      frame('content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'server_tool_use', id: 'srvtoolu_014hJH82Qum7Td6UV8gDXThB', name: 'web_search', input: {}, caller: { type: 'direct' } } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"query": "Claude Shannon"}' } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 2 }) +
      frame('content_block_start', { type: 'content_block_start', index: 3, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_014hJH82Qum7Td6UV8gDXThB', content: [{ type: 'web_search_result', url: 'https://example.com', title: 'x', encrypted_content: 'abc', page_age: null }] } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 3 }) +
      frame('content_block_start', { type: 'content_block_start', index: 4, content_block: { type: 'text', text: '', citations: null } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 4, delta: { type: 'text_delta', text: 'Born ' } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 4, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://example.com', title: 'x', encrypted_index: 'Eo8B', cited_text: 'born 1916' } } }) +
      frame('content_block_delta', { type: 'content_block_delta', index: 4, delta: { type: 'text_delta', text: 'in 1916.' } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 4 }) +
      // A block type newer than Iris (the SDK's ContainerUploadBlock), between the text blocks.
      frame('content_block_start', { type: 'content_block_start', index: 5, content_block: { type: 'container_upload', file_id: 'file_011' } }) +
      frame('content_block_stop', { type: 'content_block_stop', index: 5 }) +
      frame('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null, container: null }, usage: { input_tokens: null, output_tokens: 99, cache_creation_input_tokens: null, cache_read_input_tokens: null, server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 }, output_tokens_details: { thinking_tokens: 30 } } }) +
      frame('message_stop', { type: 'message_stop' });
    answer = () => ({ sse });
    const chunks = await streamChunks({ model: 'sonnet-4-6', messages: USER });
    for (const c of chunks) assertChatCompletionChunk(c);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    const reasoning = chunks.map((c) => (c.choices[0]?.delta as any)?.reasoning_content ?? '').join('');
    assert.equal(text, 'Born in 1916.');
    assert.equal(reasoning, 'Need to search.', 'the signature is not reasoning text');
    assert.ok(!chunks.some((c) => c.choices[0]?.delta?.tool_calls), 'a server tool is not a client tool call');
    assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).at(-1)?.choices[0].finish_reason, 'stop');
    const usage = chunks.at(-1)!.usage!;
    assert.equal(usage.prompt_tokens, 20);
    assert.equal(usage.completion_tokens, 99);
    assert.equal(usage.completion_tokens_details?.reasoning_tokens, 30);
  });

  it('refusal with stop_details (no text) → content null, finish content_filter', async () => {
    // [SDK] Message.stop_details: RefusalStopDetails {category, explanation, type:'refusal'}
    const details = { type: 'refusal', category: 'cyber', explanation: 'This request could enable cyber harm.' };
    answer = () => ({ json: message({ content: [], stop_reason: 'refusal', stop_details: details }) });
    const res = await post({ model: 'sonnet-4-6', messages: USER });
    assert.equal(res.status, 200, res.text);
    assertChatCompletion(res.json);
    assert.equal(res.json.choices[0].finish_reason, 'content_filter');
    assert.equal(res.json.choices[0].message.content, null);
  });
});

// ---- thinking round trip ------------------------------------------------------------------

describe('a tool loop after a thinking turn', () => {
  const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const LOOP = [
    { role: 'user', content: 'Weather in Paris?' },
    // What an OpenAI client sends back: tool_calls (and at best reasoning_content), never the signed thinking block.
    { role: 'assistant', content: null, reasoning_content: 'I should call the tool.', tool_calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
  ];

  it('budget model (Sonnet 4.5) with reasoning_effort: thinking left off, so the unsigned tool_use turn is valid', async () => {
    // "When thinking is enabled, a final assistant message must start with a thinking block" —
    // the real rejection, e.g. https://github.com/sst/opencode thinking-rectifier code citing it.
    const res = await post({ model: 'sonnet-4-5', messages: LOOP, tools: TOOLS, reasoning_effort: 'high' });
    assert.equal(res.status, 200, res.text);
    const body = seen.at(-1)!.body;
    assert.ok(body.thinking === undefined || body.thinking.type === 'disabled', JSON.stringify(body.thinking));
    const assistant = body.messages.find((m: any) => m.role === 'assistant');
    assert.equal(assistant.content[0].type, 'tool_use');
    // Tool results first in the next user turn.
    assert.equal(body.messages.at(-1).content[0].type, 'tool_result');
  });

  it('on Claude Opus 5 (thinking on by default) a tool-loop continuation is sent with thinking disabled, not omitted (which would run thinking) (found by the audit)', async () => {
    // [SKILL-ERR]: on Opus 5 "Thinking is on by default, so omitting the param runs adaptive rather
    // than disabling it"; `disabled` is accepted at effort high or below. (Also: "Thinking is ON by
    // default (breaking change from Opus 4.8, where it was off unless requested)", Opus 5 notes,
    // find_string file id 62922576313.) Iris's own intent
    // (anthropic-thinking-conflict.ts: "Such a request is sent without thinking") needs
    // `thinking: {type: "disabled"}` here; omitted, the turn it sends runs with thinking on while its
    // final assistant message has no signed thinking block.
    const res = await post({ model: 'opus-5', messages: LOOP, tools: TOOLS, reasoning_effort: 'high' });
    assert.equal(res.status, 200, res.text);
    const body = seen.at(-1)!.body;
    assert.deepEqual(body.thinking, { type: 'disabled' }, `sent thinking=${JSON.stringify(body.thinking)} output_config=${JSON.stringify(body.output_config)}`);
  });

  it("reasoning_effort 'none' on Claude Opus 5 sends thinking disabled: omitted, the model would think anyway (found by the audit)", async () => {
    // [SKILL-ERR] as above; [SDK] ThinkingConfigParam: "Which type values are accepted, and what
    // happens when you omit thinking, depend on the model". map-anthropic-thinking.ts assumes
    // "Anthropic's default is no thinking wherever it can be turned off".
    const res = await post({ model: 'opus-5', messages: USER, reasoning_effort: 'none' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(seen.at(-1)!.body.thinking, { type: 'disabled' }, `sent thinking=${JSON.stringify(seen.at(-1)!.body.thinking)}`);
  });
});

// ---- request side: JSON output on current models --------------------------------------------

describe('JSON output on current models', () => {
  it("response_format json_object on Claude Sonnet 4.6 ends the request with the user's turn: 4.6 and later refuse an assistant prefill with a 400 (found by the audit)", async () => {
    // [MIG] "Prefill removal: Prefilling assistant messages returns a 400 error on Claude 4.6 models.
    // Use structured outputs, system prompt instructions, or output_config.format instead."
    // [SDK] MessageCreateParamsBase.messages: "On models that don't support prefill, creating a
    // message that ends with a partial assistant response returns a 400 error."
    answer = () => ({ json: message({ content: [{ type: 'text', text: '{"a":1}', citations: null }] }) });
    const res = await post({ model: 'sonnet-4-6', messages: [{ role: 'user', content: 'Give me {"a":1} as JSON' }], response_format: { type: 'json_object' } });
    const sent = seen.at(-1)!.body;
    assert.equal(
      sent.messages.at(-1).role,
      'user',
      `Iris sent a final ${sent.messages.at(-1).role} turn ${JSON.stringify(sent.messages.at(-1).content)}; the client got HTTP ${res.status}: ${res.json?.error?.message}`,
    );
    assert.equal(res.status, 200, res.text);
  });

  it('response_format json_schema on Claude Fable 5.1 (always thinking) is a structured output, not a forced tool_choice, which it refuses with 400 (found by the audit)', async () => {
    // [SKILL-TOOL] tool_choice any/tool → 400 on Fable 5.1, Mythos 5.1, Opus 5.5, Sonnet 5.5; the
    // replacement for "the forced call only existed to get JSON back" is output_config.format.
    // [SDK] OutputConfig.format: JSONOutputFormat {type:'json_schema', schema}.
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
    answer = () => ({ json: message({ model: 'claude-opus-5-5', content: [{ type: 'text', text: '{"name":"Ada"}', citations: null }] }) });
    const wrong: string[] = [];
    // Opus 5.5 (can1357/oh-my-pi#12939) is not in Anthropic's model catalog
    // (anthropics/skills claude-api/shared/models.md): only the always-thinking Fable is held to it here.
    for (const model of ['fable-5-1']) {
      seen.length = 0;
      const res = await post({ model, messages: [{ role: 'user', content: 'Name a mathematician' }], response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } } });
      const sent = seen.at(-1)!.body;
      if (['any', 'tool'].includes(sent.tool_choice?.type) || res.status !== 200) {
        wrong.push(`${model}: Iris sent tool_choice=${JSON.stringify(sent.tool_choice)} (output_config=${JSON.stringify(sent.output_config)}); the client got HTTP ${res.status}: ${res.json?.error?.message}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("reasoning_effort 'xhigh' on Claude Fable 5.1 is sent as effort 'xhigh', not 'max' (found by the audit)", async () => {
    // [SDK] OutputConfig.effort: 'low' | 'medium' | 'high' | 'xhigh' | 'max'. Fable 5.1 takes xhigh:
    // Anthropic's effort page as quoted in public notes (find_string "step up to `xhigh`", file id
    // 68826100752: "Fable 5.1 and Opus 5 start at `high`, step up to `xhigh`/`max`"); native xhigh
    // for Fable/Mythos also in https://github.com/PrimeIntellect-ai/prime-agent/pull/111. claude-version.ts files every
    // non-opus/sonnet/haiku Claude as 'newer-family', which anthropic-thinking-api.ts gives no xhigh,
    // so the client pays for `max` (the most expensive level) when it asked for xhigh.
    const res = await post({ model: 'fable-5-1', messages: USER, reasoning_effort: 'xhigh' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(seen.at(-1)!.body.output_config, { effort: 'xhigh' });
  });
});

// ---- request side: conversation shape, images, unsupported settings ----------------------------

describe('request shapes Anthropic requires', () => {
  it('parallel tool results answered out of order, then a user message: one user turn, every tool_result first, text last; empty assistant content with only tool_calls', async () => {
    // [SDK] ToolResultBlockParam; the API refuses "tool_use ids were found without tool_result
    // blocks immediately after" and wants the results at the start of the next user message.
    const res = await post({
      model: 'sonnet-4-5',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: '', tool_calls: [
          { id: 'toolu_a', type: 'function', function: { name: 'f', arguments: '{}' } },
          { id: 'toolu_b', type: 'function', function: { name: 'f', arguments: '' } },
        ] },
        { role: 'tool', tool_call_id: 'toolu_b', content: 'B' },
        { role: 'tool', tool_call_id: 'toolu_a', content: [{ type: 'text', text: 'A' }] },
        { role: 'user', content: 'and now?' },
      ],
    });
    assert.equal(res.status, 200, res.text);
    const msgs = seen.at(-1)!.body.messages;
    assert.deepEqual(msgs.map((m: any) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(msgs[1].content.map((b: any) => b.type), ['tool_use', 'tool_use'], 'no empty text block beside the calls');
    assert.deepEqual(msgs[2].content.map((b: any) => b.type), ['tool_result', 'tool_result', 'text']);
    assert.deepEqual(new Set(msgs[2].content.slice(0, 2).map((b: any) => b.tool_use_id)), new Set(['toolu_a', 'toolu_b']));
  });

  it('image by URL goes as a url source; a base64 image of a type Anthropic refuses is a clear 400 before any call', async () => {
    // [SDK] ImageBlockParam.source: Base64ImageSource | URLImageSource | FileImageSource;
    // Base64ImageSource.media_type: image/jpeg | image/png | image/gif | image/webp.
    const ok = await post({ model: 'sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/x.png' } }] }] });
    assert.equal(ok.status, 200, ok.text);
    const block = seen.at(-1)!.body.messages[0].content.find((b: any) => b.type === 'image');
    assert.deepEqual(block.source, { type: 'url', url: 'https://upload.wikimedia.org/x.png' });
    seen.length = 0;
    const bmp = `data:image/bmp;base64,${Buffer.from('BM').toString('base64')}`;
    const bad = await post({ model: 'sonnet-4-5', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: bmp } }] }] });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(seen.length, 0);
  });

  it('whitespace-only stop is refused clearly; metadata.user_id from `user`; logprobs refused clearly', async () => {
    const stop = await post({ model: 'sonnet-4-5', messages: USER, stop: ['\n'] });
    assert.equal(stop.status, 400);
    assert.equal(stop.json.error.param, 'stop');
    await post({ model: 'sonnet-4-5', messages: USER, user: 'user-7f3a' });
    assert.deepEqual(seen.at(-1)!.body.metadata, { user_id: 'user-7f3a' });
    const lp = await post({ model: 'sonnet-4-5', messages: USER, logprobs: true });
    assert.equal(lp.status, 400);
    assert.equal(lp.json.error.param, 'logprobs');
  });

  it('with the API version the official SDK now sends (2026-10-21), Iris sends no temperature, which that version refuses even at its default (found by the audit)', async () => {
    // [SDK-VER] the SDK sends anthropic-version 2026-10-21; [SDK] MessageCreateParamsBase has no
    // temperature / top_p / top_k; [V2026] "temperature: Extra inputs are not permitted" (400).
    // Iris accepts `anthropic_version` as configuration but anthropic-sampling.ts looks only at the model.
    const res = await post({ model: 'sonnet-4-6-v2026', messages: USER, temperature: 0.2 });
    const sent = seen.at(-1)!;
    assert.equal(sent.headers['anthropic-version'], '2026-10-21');
    assert.equal(res.status, 200, res.text);
    assert.ok(!('temperature' in sent.body) && !('top_p' in sent.body) && !('top_k' in sent.body), `sent temperature=${sent.body.temperature} with anthropic-version 2026-10-21`);
  });
});

// ---- errors --------------------------------------------------------------------------------

describe('errors as Anthropic sends them', () => {
  it('every ErrorType of the SDK maps to a sensible OpenAI status/type, keeping the upstream type as code', async () => {
    // [SDK-ERR] ErrorType: invalid_request_error 400, authentication_error 401, billing_error 402
    // (PaymentRequiredError), permission_error 403, not_found_error 404, request_too_large 413,
    // rate_limit_error 429, api_error 500, timeout_error 504 (GatewayTimeoutError), overloaded_error 529.
    const cases: Array<[number, string, number]> = [
      [400, 'invalid_request_error', 400],
      [401, 'authentication_error', 401],
      [402, 'billing_error', 402],
      [403, 'permission_error', 403],
      [404, 'not_found_error', 404],
      [413, 'request_too_large', 413],
      [429, 'rate_limit_error', 429],
      [500, 'api_error', 502],
      [504, 'timeout_error', 502],
      [529, 'overloaded_error', 503],
    ];
    const seenTable: string[] = [];
    for (const [status, type, expected] of cases) {
      answer = () => ({ status, headers: status === 429 || status === 529 ? { 'retry-after': '7' } : ({} as Record<string, string>), json: errorBody(type, `${type} happened`) });
      const res = await post({ model: 'sonnet-4-5', messages: USER });
      seenTable.push(`${status} ${type} -> ${res.status} ${res.json?.error?.type} ${res.json?.error?.code} retry-after=${res.headers.get('retry-after')}`);
      assert.equal(res.status, expected, `${status} ${type}: ${res.text}`);
      // 401/403 are about the key Iris holds (attribute-upstream-error.ts): own code, status kept.
      if (status !== 401) assert.equal(res.json.error.code, type, seenTable.join('\n'));
      assert.match(res.json.error.message, new RegExp(`${type} happened`));
      if (status === 429 || status === 529) assert.equal(res.headers.get('retry-after'), '7');
    }
  });

  it("an `error` event mid-stream after text ends the client's stream with that error, not a silent short answer", async () => {
    // Anthropic: "we may occasionally send errors in the event stream", e.g. overloaded_error.
    answer = () => ({
      sse:
        frame('message_start', { type: 'message_start', message: message({ stop_reason: null }) }) +
        frame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } }) +
        frame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Partial' } }) +
        frame('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: REQ_ID }),
    });
    await assert.rejects(streamChunks({ model: 'sonnet-4-5', messages: USER }), (err: unknown) => err instanceof Error && /Overloaded/.test(err.message));
  });

  it("Anthropic's request id (`request-id` header) is on Iris's log line of an upstream error (found by the audit)", async () => {
    // [SDK-ERR] APIError.requestID — the one handle Anthropic support asks for; ErrorResponse.request_id.
    answer = () => ({ status: 500, json: errorBody('api_error', 'Internal server error') });
    const res = await post({ model: 'sonnet-4-5', messages: USER });
    assert.equal(res.status, 502);
    // The one log line of the failure (level warn) has Iris's own reqId, status, code and message only.
    const lines = await iris.logged((l) => JSON.stringify(l).includes('Internal server error'));
    assert.ok(lines.length > 0, 'the upstream error is logged');
    const everywhere = JSON.stringify(iris.logs) + res.text + JSON.stringify([...res.headers]);
    assert.ok(everywhere.includes(REQ_ID), `log line: ${JSON.stringify(lines.at(-1))}`);
  });
});
