// Audit: request fields and response shapes of the CURRENT official `openai` SDK against Iris,
// end to end (real Iris, fake OpenAI upstream on loopback), with the repository's SDK as the client
// and raw fetch for exact bytes. Tests whose names end "(found by the audit)" each failed before
// their fix (session 16): a place where Iris did not do what OpenAI does for something the
// current SDK can produce.
//
// Sources (cited in comments as):
// - SDK-NEW: `openai` npm 7.57.0 (npm install openai@latest into /tmp/openai-latest, outside
//   the repo), resources/chat/completions/completions.d.ts and resources/shared.d.ts.
//   The repository's own SDK is 6.49.0 (node_modules/openai); where SDK-NEW differs it is noted.
// - SPEC: ../shared/reference/openai-openapi.yaml (openai/openai-openapi f85dbe22), line numbers
//   as in that copy.
// - WIRE: ../shared/reference/wire-formats.md, sections 2a/2b (OpenAI).
//
// SDK-NEW's own helpers (parse() with zod, stream(), runTools()) were run through Iris by hand
// during the audit and worked; they are not kept here, as that SDK is not a dependency.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertChatCompletion, assertChatCompletionChunk, schemaViolations } from '../support/openai-schemas.ts';
import { chatRequests, IMAGE_URL, PNG_DATA_URL, postChat, startStack, type Stack } from './e2e-setup.ts';

type Json = Record<string, unknown>;
const MODEL = 'gpt-4o-mini';
const HEAD = { id: 'chatcmpl-sdkfieldsaudit0000000000000', object: 'chat.completion.chunk', created: 1_721_172_741, model: MODEL, service_tier: 'default', system_fingerprint: 'fp_audit01' };
/** One SSE data payload: a chunk with these choices (and extra top-level fields). */
const chunk = (choices: unknown[], extra: Json = {}) => JSON.stringify({ ...HEAD, ...extra, choices });
const USAGE = { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 };

/** A moderation object as SPEC ChatCompletionModeration (31107) / SDK-NEW ChatCompletion.Moderation types it. */
const MODERATION = {
  input: {
    type: 'moderation_results',
    model: 'omni-moderation-latest',
    results: [
      {
        type: 'moderation_result',
        model: 'omni-moderation-latest',
        flagged: false,
        categories: { violence: false },
        category_scores: { violence: 0.0001 },
        category_applied_input_types: { violence: ['text'] },
      },
    ],
  },
  output: { type: 'error', code: 'moderation_unavailable', message: 'Output moderation was not available.' },
};

/** The parsed `data:` payloads of an SSE body, `[DONE]` left out. */
function dataEvents(text: string): Json[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: '))?.slice(6))
    .filter((data): data is string => data !== undefined && data !== '[DONE]')
    .map((data) => JSON.parse(data) as Json);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('openai SDK fields audit (current SDK vs Iris, OpenAI-compatible upstream)', () => {
  let stack: Stack;
  let client: OpenAI;
  before(async () => {
    stack = await startStack();
    client = stack.iris.client;
  });
  after(() => stack?.close());

  const lastUpstreamBody = () => chatRequests(stack.upstream).at(-1)?.body as Json | undefined;

  // ============================================================================================
  // Defects

  // SDK-NEW ChatCompletionContentPartImage.ImageURL: `detail?: 'auto' | 'low' | 'high' | 'original'`
  // (SDK 6.49 and SPEC 31443 list only auto/low/high for chat; SPEC lists `original` for the
  // image parts of the newer APIs, e.g. 67974, "One of `high`, `low`, `auto`, or `original`").
  // A request the current SDK types as valid, refused by Iris before any upstream sees it.
  // At fault: src/openai/chat-request-schema.ts `imagePart` (detail enum) and
  // src/openai/types.ts `ImageDetail`.
  it("image_url.detail 'original' (current SDK's ChatCompletionContentPartImage) is passed on, not refused with a 400 (found by the audit)", async () => {
    stack.upstream.reset();
    const content = [
      { type: 'text', text: 'what is in it?' },
      { type: 'image_url', image_url: { url: IMAGE_URL, detail: 'original' } },
    ] as unknown as OpenAI.Chat.Completions.ChatCompletionContentPart[];
    const err = await rejection(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] }));
    assert.ok(
      err === undefined,
      `expected 200 (the current SDK's detail enum includes 'original'); Iris answered ${err instanceof OpenAI.APIError ? `${err.status} param=${err.param} code=${err.code}: ${err.message}` : String(err)}`,
    );
    const sent = lastUpstreamBody()?.messages as { content: { image_url?: { detail?: string } }[] }[];
    assert.equal(sent[0]!.content[1]!.image_url?.detail, 'original', 'detail reaches the upstream as sent');
  });

  // SPEC CreateChatCompletionStreamResponse.moderation (33794): "Present on the moderation chunk
  // when moderated completions are requested"; SDK-NEW ChatCompletionChunk.moderation, request
  // param `moderation?: ChatCompletionCreateParams.Moderation` (WIRE 2a lists it, 2b lists the
  // chunk field). A chunk that carries only moderation has no choice to carry (choices: []), and
  // the SDK's ChatCompletionStream folds every top-level chunk field into its snapshot, so
  // finalChatCompletion().moderation is how an SDK client reads it.
  // Before the fix: Iris drops every chunk with empty choices except its own usage chunk
  // (src/chat/chat-service.ts ChatService.stream: `if (chunk.choices.length === 0) continue;`
  // and the rebuilt usage chunk keeps only id/created/model/fingerprint/usage), so the moderation
  // results never reach the client. Non-streamed, `moderation` comes through (checked below).
  it('a streamed moderation chunk (choices: [], moderation results) reaches the client, raw and through the SDK\'s stream helper (found by the audit)', async () => {
    const events = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
      chunk([], { moderation: MODERATION }),
      chunk([], { usage: USAGE }),
      '[DONE]',
    ];
    const body = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'score' }, output: { mode: 'score' } } } };

    // Raw bytes.
    stack.upstream.script({ kind: 'sse', events });
    const res = await postChat(stack, JSON.stringify({ ...body, stream: true }));
    assert.equal(res.status, 200);
    const received = dataEvents(await res.text());
    for (const event of received) assertChatCompletionChunk(event);
    assert.deepEqual(lastUpstreamBody()?.moderation, body.moderation, 'the request field itself is passed on');

    // Through the SDK's stream helper.
    stack.upstream.script({ kind: 'sse', events });
    const final = await client.chat.completions
      .stream({ ...body, stream: true } as unknown as Parameters<typeof client.chat.completions.stream>[0])
      .finalChatCompletion();

    const carried = received.filter((event) => event.moderation !== undefined);
    assert.equal(carried.length, 1, `expected one chunk with moderation results; Iris sent: ${JSON.stringify(received)}`);
    assert.deepEqual(carried[0]!.moderation, MODERATION);
    assert.deepEqual((final as unknown as Json).moderation, MODERATION, 'finalChatCompletion().moderation');
  });

  // SDK-NEW ChatCompletionCreateParamsBase.safety_identifier: "The IDs should be a string that
  // uniquely identifies each user, with a maximum length of 128 characters" (SDK 6.49 said 64).
  // ⚠ SPEC 44612 (older) still says `maxLength: 64`, and test/e2e/request-fields.test.ts holds
  // Iris to 64. The current SDK is newer than the SPEC copy (WIRE 0: SPEC 2026-08-21 alongside
  // openai-node 7.5.0; the SDK here is 7.57.0): a 100-character hashed identifier is valid today.
  // At fault: src/openai/chat-request-schema.ts `safety_identifier: … maxLength: 64`.
  it('a safety_identifier of 100 characters (current SDK: maximum 128) is accepted (found by the audit)', async () => {
    stack.upstream.reset();
    const id = 'a'.repeat(100);
    const err = await rejection(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], safety_identifier: id }));
    assert.ok(
      err === undefined,
      `expected 200; Iris answered ${err instanceof OpenAI.APIError ? `${err.status} param=${err.param} code=${err.code}: ${err.message}` : String(err)}`,
    );
    assert.equal(lastUpstreamBody()?.safety_identifier, id);
  });

  // ============================================================================================
  // Checks that pass (kept: behaviour the other suites do not cover)

  // SDK-NEW only: prompt_cache_breakpoint on text/image/audio/file parts (with ttl), request-level
  // prompt_cache_options, prompt_cache_retention, moderation, service_tier 'fast'; plus every
  // message/part variant of ChatCompletionMessageParam (developer array content with name, file
  // by file_data+filename and by file_id, input_audio, refusal part, assistant audio {id}, tool
  // array content, legacy function message, custom tool call in history).
  it('every request variant of the current SDK reaches the upstream exactly as sent', async () => {
    const bp = { mode: 'explicit', ttl: '12h' };
    const request = {
      model: MODEL,
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'be brief', prompt_cache_breakpoint: bp }], name: 'ops' },
        { role: 'system', content: [{ type: 'text', text: 'sys' }], name: 'sys_1' },
        {
          role: 'user',
          name: 'jane-doe',
          content: [
            { type: 'text', text: 'look', prompt_cache_breakpoint: bp },
            { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'low' }, prompt_cache_breakpoint: { mode: 'explicit' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'mp3' }, prompt_cache_breakpoint: bp },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' }, prompt_cache_breakpoint: bp },
            { type: 'file', file: { file_id: 'file-abc123' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }], name: 'bot' },
        { role: 'user', content: 'again' },
        { role: 'assistant', content: null, audio: { id: 'audio_abc' } },
        { role: 'user', content: 'and?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_c', type: 'custom', custom: { name: 'sql', input: 'SELECT 1' } }] },
        { role: 'tool', tool_call_id: 'call_c', content: [{ type: 'text', text: '1' }] },
        { role: 'assistant', content: null, function_call: { name: 'legacy', arguments: '{}' } },
        { role: 'function', name: 'legacy', content: null },
        { role: 'user', content: 'done?' },
      ],
      tools: [
        { type: 'custom', custom: { name: 'sql', description: 'SQL', format: { type: 'grammar', grammar: { definition: 'start: "SELECT"', syntax: 'lark' } } } },
        { type: 'custom', custom: { name: 'free', format: { type: 'text' } } },
        { type: 'function', function: { name: 'f', strict: true, parameters: { type: 'object', properties: {}, required: [], additionalProperties: false } } },
      ],
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'custom', custom: { name: 'sql' } }] } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', description: 'd', schema: { type: 'object' }, strict: null } },
      prediction: { type: 'content', content: [{ type: 'text', text: 'x' }] },
      web_search_options: { search_context_size: 'low', user_location: { type: 'approximate', approximate: { city: 'Oslo' } } },
      modalities: ['text', 'audio'],
      audio: { voice: { id: 'voice_1234' }, format: 'pcm16' },
      metadata: { k: 'v' },
      store: true,
      service_tier: 'fast',
      prompt_cache_key: 'pck',
      prompt_cache_retention: '24h',
      prompt_cache_options: { mode: 'explicit', ttl: '30m' },
      moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'block' }, output: null } },
      safety_identifier: 's'.repeat(64),
      verbosity: 'low',
      reasoning_effort: 'xhigh',
      logit_bias: { '50256': -100, '1': 100 },
      logprobs: true,
      top_logprobs: 20,
      seed: -42,
      stop: 'END',
      max_completion_tokens: 50,
      n: 1,
    };
    stack.upstream.reset();
    await client.chat.completions.create(request as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming);
    assert.deepEqual(lastUpstreamBody(), { ...request, stream: false });

    // Every reasoning_effort of SDK-NEW's Shared.ReasoningEffort, and include_obfuscation false.
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', null] as const) {
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], reasoning_effort: effort as OpenAI.ReasoningEffort });
      assert.equal(lastUpstreamBody()?.reasoning_effort, effort);
    }
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_obfuscation: false } });
    for await (const part of stream) assert.equal((part as unknown as Json).obfuscation, undefined);
    assert.deepEqual(lastUpstreamBody()?.stream_options, { include_obfuscation: false, include_usage: true });
  });

  // SPEC CreateChatCompletionResponse (33507): metadata, service_tier, moderation; message
  // annotations/audio; custom tool calls (SDK-NEW ChatCompletionMessageCustomToolCall); logprobs
  // with refusal; CompletionUsage details incl. SDK-NEW text_tokens/image_tokens/cache_write_tokens.
  it('a non-streamed answer keeps moderation, metadata, service_tier, custom tool calls, refusal logprobs and every usage detail, schema-valid', async () => {
    const lp = (token: string) => ({ token, logprob: -0.5, bytes: [...Buffer.from(token)], top_logprobs: [{ token, logprob: -0.5, bytes: [...Buffer.from(token)] }] });
    const usage = {
      prompt_tokens: 30,
      completion_tokens: 12,
      total_tokens: 42,
      prompt_tokens_details: { cached_tokens: 10, audio_tokens: 2, text_tokens: 28, image_tokens: 0, cache_write_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 3, audio_tokens: 1, text_tokens: 8, accepted_prediction_tokens: 2, rejected_prediction_tokens: 1 },
    };
    const upstream = {
      id: 'chatcmpl-audit', object: 'chat.completion', created: 1_721_172_741, model: MODEL, service_tier: 'priority', system_fingerprint: 'fp_x',
      metadata: { k: 'v' }, moderation: MODERATION, usage,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: 'call_1', type: 'custom', custom: { name: 'sql', input: 'SELECT 1' } }] },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
        { index: 1, message: { role: 'assistant', content: null, refusal: 'No.' }, logprobs: { content: null, refusal: [lp('No'), lp('.')] }, finish_reason: 'stop' },
      ],
    };
    stack.upstream.script({ kind: 'json', body: upstream });
    const res = await postChat(stack, JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], n: 2, logprobs: true, store: true, metadata: { k: 'v' }, tools: [{ type: 'custom', custom: { name: 'sql' } }] }));
    const body = (await res.json()) as Json & typeof upstream;
    assert.equal(res.status, 200);
    assertChatCompletion(body);
    assert.deepEqual(body.moderation, MODERATION);
    assert.deepEqual(body.metadata, { k: 'v' });
    assert.equal(body.service_tier, 'priority');
    assert.deepEqual(body.choices[0]!.message.tool_calls, upstream.choices[0]!.message.tool_calls);
    assert.deepEqual(body.choices[1]!.logprobs, upstream.choices[1]!.logprobs);
    for (const [key, value] of Object.entries(usage.prompt_tokens_details)) assert.equal((body.usage.prompt_tokens_details as Json)[key], value, key);
    for (const [key, value] of Object.entries(usage.completion_tokens_details)) assert.equal((body.usage.completion_tokens_details as Json)[key], value, key);
    assert.equal(body.usage.total_tokens, 42);
  });

  // SDK-NEW ChatCompletionChunk.Choice: "Audio streams can end with an expires_at-only chunk after
  // the generated audio, without a separate finish_reason" (lib/ChatCompletionStream.js
  // finalizeChatCompletion); SDK-NEW Delta.ToolCall `type?: 'function' | 'custom'`, `custom?`.
  it('streams: an audio answer that ends with an expires_at-only update, and custom tool-call deltas, come through whole', async () => {
    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: null, audio: { id: 'audio_1', transcript: 'Hi' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { data: 'UklGRiQA' } }, finish_reason: null }]),
        chunk([{ index: 0, delta: { audio: { expires_at: 1_721_176_341 } } }]),
        chunk([], { usage: USAGE }),
        '[DONE]',
      ],
    });
    const final = await client.chat.completions
      .stream({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'pcm16' } })
      .finalChatCompletion();
    assert.deepEqual(final.choices[0]!.message.audio, { id: 'audio_1', transcript: 'Hi', data: 'UklGRiQA', expires_at: 1_721_176_341 });
    assert.equal(final.choices[0]!.finish_reason, 'stop');

    stack.upstream.script({
      kind: 'sse',
      events: [
        chunk([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_c', type: 'custom', custom: { name: 'sql', input: '' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { tool_calls: [{ index: 0, custom: { input: 'SELECT ' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: { tool_calls: [{ index: 0, custom: { input: '1' } }] }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
        '[DONE]',
      ],
    });
    const res = await postChat(stack, JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'q' }], stream: true, tools: [{ type: 'custom', custom: { name: 'sql' } }] }));
    const events = dataEvents(await res.text());
    const deltas = events.flatMap((event) => (event.choices as { delta: { tool_calls?: Json[] } }[]).flatMap((c) => c.delta.tool_calls ?? []));
    assert.deepEqual(deltas[0], { index: 0, id: 'call_c', type: 'custom', custom: { name: 'sql', input: '' } });
    assert.equal(deltas.map((d) => (d.custom as { input?: string } | undefined)?.input ?? '').join(''), 'SELECT 1');
    assert.ok(deltas.every((d) => d.function === undefined && (d.type === undefined || d.type === 'custom')), JSON.stringify(deltas));
    // The project's schema is SPEC's, whose ChatCompletionMessageToolCallChunk (31040) knows only
    // `function`: the custom deltas are the only violations allowed.
    for (const event of events) {
      const violations = schemaViolations('CreateChatCompletionStreamResponse', event).filter((v) => !/tool_calls\/0\/type must be equal to one of the allowed values/.test(v));
      assert.deepEqual(violations, []);
    }
  });

  // SPEC ListModelsResponse / Model (44370); SDK-NEW Model { id, created, object: 'model', owned_by, shutdown_date? }.
  it('models: list and retrieve in the SDK shape, an unknown model a NotFoundError model_not_found', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.ok(models.length >= 2);
    for (const model of models) {
      assert.equal(model.object, 'model');
      assert.ok(Number.isInteger(model.created) && typeof model.owned_by === 'string' && typeof model.id === 'string');
    }
    const one = await client.models.retrieve(MODEL);
    assert.equal(one.id, MODEL);
    const err = await rejection(client.models.retrieve('no-such-model'));
    assert.ok(err instanceof OpenAI.NotFoundError, String(err));
    assert.equal(err.code, 'model_not_found');
  });
});
