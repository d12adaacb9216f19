// Audit: what real OpenAI-compatible servers send, byte for byte, against Iris's `type: openai`
// provider. Each fake answer below copies the shape the named server's source writes (repo and
// path in the comment beside it). Tests whose names end "(found by the audit)" each failed
// before their fix (session 16); the others pin behaviour that matters and holds.
//
// Not repeated here: what upstream-dialects, stream-robustness, upstream-failures and
// openai-provider already cover (TGI 2.0 framing, OpenRouter errors, Google's chunks, llama.cpp
// timings, vLLM's repeated tool-call fields, "abort", FastAPI's detail, HTML pages, …).

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Handler = (body: Record<string, any>, res: ServerResponse, req: IncomingMessage) => void | Promise<void>;
type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

interface Fake {
  origin: string;
  bodies: Record<string, any>[];
  /** Handlers for the next requests, in order; the last one stays. */
  use(...handlers: Handler[]): void;
  close(): Promise<void>;
}

async function startFake(): Promise<Fake> {
  const bodies: Record<string, any>[] = [];
  let queue: Handler[] = [];
  let last: Handler = (_b, res) => void res.writeHead(500).end();
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: Record<string, any> = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = { raw: text };
      }
      bodies.push(body);
      const handler = queue.shift() ?? last;
      void Promise.resolve(handler(body, res, req)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    bodies,
    use(...handlers) {
      queue = handlers.slice(0, -1);
      last = handlers.at(-1)!;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

const SSE = { 'content-type': 'text/event-stream' };
const JSON_TYPE = { 'content-type': 'application/json' };
const messages = [{ role: 'user' as const, content: 'What is in the picture?' }];

/** Answers with these raw SSE bytes, written one piece at a time. */
function sseReply(pieces: string[], headers: Record<string, string> = SSE): Handler {
  return (_body, res) => {
    res.writeHead(200, headers);
    for (const piece of pieces) res.write(piece);
    res.end();
  };
}

function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_b, res) => void res.writeHead(status, { ...JSON_TYPE, ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
}

function textReply(status: number, text: string, headers: Record<string, string> = { 'content-type': 'text/plain' }): Handler {
  return (_b, res) => void res.writeHead(status, headers).end(text);
}

/** An OpenAI-shaped chunk as the named server frames it. */
function chunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1_750_000_000, model: 'm', choices, ...extra })}\n\n`;
}
const DONE = 'data: [DONE]\n\n';

const TOOLS = [
  { type: 'function' as const, function: { name: 'describe_scene', parameters: { type: 'object', properties: { what: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'count_objects', parameters: { type: 'object', properties: { kind: { type: 'string' } } } } },
];

/** An Iris with one `type: openai` provider `up` in front of a fresh fake (provider state is per Iris). */
async function startPair(): Promise<{ fake: Fake; iris: RunningIris; close(): Promise<void> }> {
  const fake = await startFake();
  let iris: RunningIris;
  try {
    iris = await startIris({
      providers: { up: { type: 'openai', base_url: `${fake.origin}/v1`, timeout_ms: 3000, fetch_urls: 'upstream' } },
      models: [{ name: 'm', provider: 'up' }],
    });
  } catch (err) {
    await fake.close();
    throw err;
  }
  return {
    fake,
    iris,
    async close() {
      await iris.close();
      await fake.close();
    },
  };
}

function postTo(iris: RunningIris, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages, ...body }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** A stream as a client reads it: the status, and each data payload parsed ('[DONE]' kept as is). An error status gives its body. */
async function streamFrom(iris: RunningIris, body: Record<string, unknown> = {}): Promise<{ status: number; events: any[] }> {
  const res = await postTo(iris, { stream: true, ...body });
  const raw = await res.text();
  if (res.status !== 200) return { status: res.status, events: [JSON.parse(raw)] };
  const events = raw
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((payload) => (payload === '[DONE]' ? payload : JSON.parse(payload)));
  for (const event of events) if (event !== '[DONE]' && !event.error) assertChatCompletionChunk(event);
  return { status: res.status, events };
}

const finishReasons = (events: any[]) => events.flatMap((e) => (e === '[DONE]' || e.error ? [] : e.choices.map((c: any) => c.finish_reason))).filter(Boolean);
const streamedText = (events: any[]) => events.map((e) => (e === '[DONE]' || e.error ? '' : (e.choices[0]?.delta?.content ?? ''))).join('');

describe('OpenAI-compatible servers, as their source writes them', () => {
  let pair: Awaited<ReturnType<typeof startPair>>;
  before(async () => {
    pair = await startPair();
  });
  after(() => pair?.close());

  const post = (body: Record<string, unknown>) => postTo(pair.iris, body);
  const streamOf = (body: Record<string, unknown> = {}) => streamFrom(pair.iris, body);

  // ------------------------------------------------------------------------------------------
  // Found by the audit

  describe('llama.cpp server before ggml-org/llama.cpp#16109 (Sept 2025): a stream failure as an `error:` field', () => {
    // ggml-org/llama.cpp examples/server/server.cpp (and tools/server/server.cpp until PR #16109),
    // handle_completions_impl, stream branch:
    //   [&](const json & error_data) { server_sent_event(sink, "error", error_data); }
    //   if (oaicompat != OAICOMPAT_TYPE_NONE) { sink.write("data: [DONE]\n\n") }
    // with server_sent_event() writing `std::string(event) + ": " + data.dump() + "\n\n"`: the
    // error goes out as an `error: {…}` line (no SSE parser reads that field), then `data: [DONE]`,
    // all after HTTP 200. error_data is format_error_response(): {"code","message","type",…}
    // (exceed_context_size_error adds n_prompt_tokens and n_ctx). send_error() is what
    // update_slots() calls for a prompt larger than the context and for a failed llama_decode
    // ("Input prompt is too big compared to KV size…"), so both before and after the first token.
    // PR #16109 ("server: fix SSE and OpenAI compatibility for error messages when streaming")
    // changed it to `data: {"error": …}`; builds before it (b5966, ik_llama.cpp) still send this.

    it('an `error:` line after some content, then [DONE], ends the stream with an error event, not a finished answer (found by the audit)', async () => {
      pair.fake.use(
        sseReply([
          chunk([{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }]),
          chunk([{ index: 0, delta: { content: 'The picture shows' }, finish_reason: null }]),
          'error: {"code":500,"message":"Input prompt is too big compared to KV size. Please try increasing KV size.","type":"server_error"}\n\n',
          DONE,
        ]),
      );
      const { status, events } = await streamOf();
      assert.equal(status, 200);
      assert.equal(streamedText(events), 'The picture shows');
      // Before the fix: a closing chunk with finish_reason "stop", then [DONE]: the truncated answer
      // looks whole, and the server's error is gone.
      assert.deepEqual(finishReasons(events), [], `no choice may claim to have finished: ${JSON.stringify(events.slice(-2))}`);
      const last = events.at(-1);
      assert.ok(last !== '[DONE]' && last.error, `the stream ends with an error event, not [DONE]: ${JSON.stringify(last)}`);
      assert.match(last.error.message, /KV size/);
    });

    it('an `error:` line as the only event (context overflow) is the server\'s own 400 with its words, not a 502 (found by the audit)', async () => {
      pair.fake.use(
        sseReply([
          'error: {"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}\n\n',
          DONE,
        ]),
      );
      const { status, events } = await streamOf();
      const body = events[0] as ErrorBody;
      assertErrorResponse(body);
      // Before the fix: 502 upstream_error "The upstream provider 'up' ended the stream before it was complete."
      // Expected: what Iris answers when the same error comes as `data: {"error": …}` (next test):
      // a 400 context_length_exceeded with the server's words.
      assert.match(body.error.message, /exceeds the available context size/);
      assert.equal(status, 400);
      assert.equal(body.error.code, 'context_length_exceeded');
    });

    it('the same errors framed as `data: {"error": …}` (llama.cpp after #16109) are a 400 before the stream, and an error event after it', async () => {
      pair.fake.use(sseReply([`data: {"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}\n\n`, DONE]));
      const before = await streamOf();
      assert.equal(before.status, 400);
      assert.equal(before.events[0].error.code, 'context_length_exceeded');

      pair.fake.use(
        sseReply([
          chunk([{ index: 0, delta: { role: 'assistant', content: 'The picture' }, finish_reason: null }]),
          'data: {"error":{"code":500,"message":"Input prompt is too big compared to KV size.","type":"server_error"}}\n\n',
          DONE,
        ]),
      );
      const mid = await streamOf();
      assert.equal(mid.status, 200);
      assert.deepEqual(finishReasons(mid.events), []);
      assert.match(mid.events.at(-1).error.message, /KV size/);
    });

    it('vLLM\'s flat error (`object: "error"`) as a stream\'s first event keeps its status, as the nested one does', async () => {
      // vllm/entrypoints/openai/protocol.py ErrorResponse: {"object":"error","message","type","param","code"}.
      pair.fake.use(sseReply(['data: {"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}\n\n', DONE]));
      const { status, events } = await streamOf();
      assert.equal(status, 400);
      assertErrorResponse(events[0] as ErrorBody);
      assert.match((events[0] as ErrorBody).error.message, /maximum context length/);
    });
  });

  it('the upstream\'s own request id (`x-request-id`, as OpenAI and vLLM send it) is on the failure\'s log line, not in the client\'s answer', async () => {
    // openai-node reads it as APIError.request_id: what OpenAI's support asks for.
    pair.fake.use(jsonReply(500, { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } }, { 'x-request-id': 'req_upstream_5f2a9c' }));
    const before = pair.iris.logs.length;
    const res = await post({});
    assert.equal(res.status, 502);
    const text = await res.text();
    assert.doesNotMatch(text, /req_upstream_5f2a9c/);
    const [line] = await pair.iris.logged((l) => pair.iris.logs.indexOf(l) >= before && l.upstream_request_id !== undefined, 2000);
    assert.equal(line?.upstream_request_id, 'req_upstream_5f2a9c', JSON.stringify(pair.iris.logs.slice(before)));
  });

  it('DeepSeek\'s finish_reason "insufficient_system_resource" (answer interrupted) is an error, not "stop", streamed and not (found by the audit)', async () => {
    // api-docs.deepseek.com/api/create-chat-completion: finish_reason is one of stop, length,
    // content_filter, tool_calls, insufficient_system_resource ("the request is interrupted due
    // to insufficient resource of the inference system"). Iris turns vLLM's "abort" (the same
    // situation) into an error; this word falls through map-openai-compatible-finish-reason.ts's
    // "any other word means stop".
    const answer = {
      id: 'a1b2c3', object: 'chat.completion', created: 1_750_000_000, model: 'deepseek-chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'The picture shows a ca' }, logprobs: null, finish_reason: 'insufficient_system_resource' }],
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 12 },
    };
    pair.fake.use(jsonReply(200, answer));
    const res = await post({});
    const body = (await res.json()) as any;
    const plain = res.status === 200 ? body.choices[0].finish_reason : `HTTP ${res.status}`;

    pair.fake.use(
      sseReply([
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: 'The picture shows a ca' }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: 'insufficient_system_resource' }], { usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 } }),
        DONE,
      ]),
    );
    const { events } = await streamOf();
    const streamed = finishReasons(events);
    // Before the fix: "stop" both ways. Expected: not an answer that says it ended naturally: an error
    // (as for "abort"), or at least not finish_reason "stop".
    assert.notEqual(plain, 'stop', 'non-streamed: an interrupted answer must not say finish_reason "stop"');
    assert.ok(!streamed.includes('stop'), `streamed: an interrupted answer must not say finish_reason "stop" (${JSON.stringify(streamed)})`);
  });

  it('a vLLM 400 whose message echoes the request (it names stream_options) leaves stream_options on: later streams keep the upstream\'s usage (found by the audit)', async () => {
    // vllm-project/vllm vllm/entrypoints/openai/api_server.py, validation_exception_handler:
    //   exc_str = str(exc); errors_str = str(exc.errors()); message = f"{exc_str} {errors_str}"
    //   ErrorResponse(error=ErrorInfo(message=message, type=HTTPStatus.BAD_REQUEST.phrase, code=400))
    // (sgl-project/sglang python/sglang/srt/entrypoints/http_server.py does the same, flat).
    // A @model_validator(mode="before") error carries the whole request as its 'input', so the
    // message quotes 'stream_options': {'include_usage': True} that Iris added. One such error:
    // vllm/entrypoints/openai/protocol.py ChatCompletionRequest.check_tool_usage refuses any
    // dict tool_choice without `function` ("Invalid value for `function`: `None` in
    // `tool_choice`! …"), e.g. OpenAI's {"type":"allowed_tools"} that Iris passes through.
    const pair2 = await startPair();
    try {
      const vllm400: Handler = (body, res) => {
        const input = JSON.stringify(body).replaceAll('"', "'").replaceAll('true', 'True').replaceAll('null', 'None');
        const message =
          `1 validation error:\n  {'type': 'value_error', 'loc': ('body',), 'msg': "Value error, Invalid value for \`function\`: \`None\` in \`tool_choice\`! Correct usage: \`{\\"type\\": \\"function\\", \\"function\\": {\\"name\\": \\"my_function\\"}}\`", 'input': ${input}}` +
          ` [{'type': 'value_error', 'loc': ('body',), 'msg': 'Value error, …', 'input': ${input}}]`;
        res.writeHead(400, JSON_TYPE).end(JSON.stringify({ error: { message, type: 'Bad Request', param: null, code: 400 } }));
      };
      const ok: Handler = (body, res) => {
        res.writeHead(200, SSE);
        res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
        res.write(chunk([{ index: 0, delta: { content: 'A cat on a mat.' }, logprobs: null, finish_reason: null }]));
        res.write(chunk([{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: 'stop', stop_reason: null }]));
        // vLLM sends usage only when asked (stream_options.include_usage).
        if (body.stream_options?.include_usage) res.write(chunk([], { usage: { prompt_tokens: 1234, total_tokens: 1290, completion_tokens: 56 } }));
        res.end(DONE);
      };
      pair2.fake.use(vllm400, vllm400, ok);

      const refused = await streamFrom(pair2.iris, {
        tools: TOOLS,
        tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'describe_scene' } }] } },
      });
      assert.equal(refused.status, 400, 'the refusal itself reaches the client as the 400 it is');

      const later = await streamFrom(pair2.iris, { stream_options: { include_usage: true } });
      assert.equal(later.status, 200);
      const sent = pair2.fake.bodies.at(-1)!;
      // Before the fix: sent without stream_options (and so on for every stream, until restart); the
      // usage chunk is Iris's estimate, not the server's 1234 + 56.
      assert.deepEqual(sent.stream_options, { include_usage: true }, 'a later stream still asks the upstream for usage');
      const usage = later.events.find((e) => e !== '[DONE]' && e.usage)?.usage;
      assert.equal(usage?.prompt_tokens, 1234);
      assert.equal(usage?.completion_tokens, 56);
    } finally {
      await pair2.close();
    }
  });

  // ------------------------------------------------------------------------------------------
  // What holds

  describe('error bodies in each server\'s shape keep a useful message and the right status, streamed and not', () => {
    const cases: Array<{ name: string; reply: Handler; status: number; message: RegExp; type?: string; retryAfter?: string }> = [
      // vllm/entrypoints/openai/protocol.py ErrorResponse (before ErrorInfo): flat, code = HTTP status.
      { name: 'vLLM (flat ErrorResponse)', reply: jsonReply(400, { object: 'error', message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.", type: 'BadRequestError', param: null, code: 400 }), status: 400, message: /maximum context length is 4096/, type: 'invalid_request_error' },
      // vLLM since ErrorInfo: nested, type is HTTPStatus phrase or a class name.
      { name: 'vLLM (nested, NotFoundError)', reply: jsonReply(404, { error: { message: 'The model `llava` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } }), status: 404, message: /does not exist/ },
      // ollama/ollama server/routes.go: c.JSON(status, gin.H{"error": …}) on the native API.
      { name: 'Ollama native {"error": "…"}', reply: jsonReply(404, { error: "model 'llava' not found" }), status: 404, message: /model 'llava' not found/ },
      // ollama/ollama openai/openai.go NewError: {"error":{"message","type","param":null,"code":null}}.
      { name: 'Ollama /v1 (NewError)', reply: jsonReply(404, { error: { message: 'model "llava" not found, try pulling it first', type: 'not_found_error', param: null, code: null } }), status: 404, message: /try pulling it first/ },
      { name: 'Ollama /v1 500 (runner died)', reply: jsonReply(500, { error: { message: 'llama runner process has terminated: exit status 2', type: 'api_error', param: null, code: null } }), status: 502, message: /llama runner process has terminated/ },
      // ggml-org/llama.cpp server: the middleware answers 503 while the model loads.
      { name: 'llama.cpp 503 Loading model', reply: jsonReply(503, { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } }, { 'retry-after': '5' }), status: 503, message: /Loading model/, retryAfter: '5' },
      // huggingface/text-generation-inference router: ErrorResponse {error, error_type}.
      { name: 'TGI 422 validation', reply: jsonReply(422, { error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`', error_type: 'validation' }), status: 422, message: /must be <= 4096/ },
      { name: 'TGI 429 overloaded', reply: jsonReply(429, { error: 'Model is overloaded', error_type: 'overloaded' }), status: 429, message: /overloaded/, type: 'rate_limit_error' },
      // BerriAI/litellm proxy: code as a string status, "None" for a missing param.
      { name: 'LiteLLM 429 with Retry-After', reply: jsonReply(429, { error: { message: 'litellm.RateLimitError: RateLimitError: OpenAIException - rate limited', type: 'throttling_error', param: 'None', code: '429' } }, { 'retry-after': '7' }), status: 429, message: /rate limited/, retryAfter: '7' },
      // FastAPI's own RequestValidationError handler (servers that keep it).
      { name: 'FastAPI detail list', reply: jsonReply(422, { detail: [{ type: 'missing', loc: ['body', 'messages'], msg: 'Field required', input: {} }] }), status: 422, message: /messages: Field required/ },
      // nginx's built-in error pages in front of a server.
      { name: 'nginx 502 page', reply: textReply(502, '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n', { 'content-type': 'text/html' }), status: 502, message: /502 Bad Gateway/ },
      { name: 'nginx 504 page', reply: textReply(504, '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n', { 'content-type': 'text/html' }), status: 502, message: /504 Gateway Time-out/ },
      { name: 'empty 500', reply: textReply(500, '', {}), status: 502, message: /HTTP 500/ },
      { name: 'empty 400', reply: textReply(400, '', {}), status: 400, message: /HTTP 400/ },
      // uvicorn's own plain-text 500.
      { name: 'uvicorn plain 500', reply: textReply(500, 'Internal Server Error'), status: 502, message: /Internal Server Error/ },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        for (const stream of [false, true]) {
          pair.fake.use(c.reply);
          const res = await post({ stream });
          const body = (await res.json()) as ErrorBody;
          assertErrorResponse(body);
          const label = `${c.name} (${stream ? 'streamed' : 'not streamed'}): ${JSON.stringify(body)}`;
          assert.equal(res.status, c.status, label);
          assert.match(body.error.message, c.message, label);
          assert.doesNotMatch(body.error.message, /<html|<body|\bat [\w.]+ \(/, label);
          if (c.type) assert.equal(body.error.type, c.type, label);
          if (c.retryAfter) assert.equal(res.headers.get('retry-after'), c.retryAfter, label);
          assert.ok(body.error.code === null || !/^\d+$/.test(body.error.code), `no HTTP status as code: ${label}`);
        }
      });
    }
  });

  it('vLLM continuous_usage_stats (usage on every chunk): chunks carry usage null, the usage chunk is the last count', async () => {
    // vllm/entrypoints/openai/serving_chat.py: with stream_options.continuous_usage_stats every
    // chunk gets `usage`; the final usage chunk has choices [].
    const u = (completion: number) => ({ usage: { prompt_tokens: 30, completion_tokens: completion, total_tokens: 30 + completion } });
    pair.fake.use(
      sseReply([
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], u(0)),
        chunk([{ index: 0, delta: { content: 'A cat' }, logprobs: null, finish_reason: null }], u(2)),
        chunk([{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: 'stop', stop_reason: null }], u(3)),
        chunk([], u(3)),
        DONE,
      ]),
    );
    const { events } = await streamOf({ stream_options: { include_usage: true, continuous_usage_stats: true } });
    const withChoices = events.filter((e) => e !== '[DONE]' && e.choices.length > 0);
    assert.ok(withChoices.every((e) => e.usage === null));
    const usage = events.find((e) => e !== '[DONE]' && e.choices?.length === 0)?.usage;
    assert.equal(usage.prompt_tokens, 30);
    assert.equal(usage.completion_tokens, 3);
    assert.equal(events.at(-1), '[DONE]');
  });

  it('finish_reason "" on content chunks, the role left out, an empty delta between: valid chunks, one role, one finish', async () => {
    // Servers that send "" for "not yet" (e.g. some LocalAI / proxy builds) and omit the role.
    pair.fake.use(
      sseReply([
        chunk([{ index: 0, delta: { content: 'A' }, finish_reason: '' }]),
        chunk([{ index: 0, delta: {}, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: ' cat' }, finish_reason: '' }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        DONE,
      ]),
    );
    const { events } = await streamOf();
    assert.equal(streamedText(events), 'A cat');
    assert.deepEqual(finishReasons(events), ['stop']);
    const roles = events.filter((e) => e !== '[DONE]').flatMap((e) => e.choices.map((c: any) => c.delta.role)).filter(Boolean);
    assert.deepEqual(roles, ['assistant']);
  });

  it('Ollama /v1 tool calls: each whole, in its own chunk, every one at index 0 with its own id: two calls for the SDK, arguments intact', async () => {
    // ollama/ollama openai/openai.go ToToolCalls: ID, Type "function", Index = tc.Function.Index,
    // Arguments = json.Marshal(the object) (whole, never in pieces); ToChunk puts
    // Role "assistant" on every delta; middleware/openai.go writes one chunk per response.
    const call = (id: string, name: string, args: string) => chunk([{ index: 0, delta: { role: 'assistant', content: '', tool_calls: [{ id, index: 0, type: 'function', function: { name, arguments: args } }] }, finish_reason: null }], { system_fingerprint: 'fp_ollama' });
    pair.fake.use(
      sseReply([
        call('call_k3n1', 'describe_scene', '{"what":"animals"}'),
        call('call_p9x2', 'count_objects', '{"kind":"cat"}'),
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'tool_calls' }], { system_fingerprint: 'fp_ollama' }),
        chunk([], { system_fingerprint: 'fp_ollama', usage: { prompt_tokens: 40, completion_tokens: 20, total_tokens: 60 } }),
        DONE,
      ]),
    );
    const client = new OpenAI({ baseURL: pair.iris.baseURL, apiKey: pair.iris.apiKey, maxRetries: 0, timeout: 10_000 });
    const runner = client.chat.completions.stream({ model: 'm', messages, tools: TOOLS });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0].message.tool_calls ?? [];
    assert.deepEqual(
      calls.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments]),
      [
        ['call_k3n1', 'describe_scene', '{"what":"animals"}'],
        ['call_p9x2', 'count_objects', '{"kind":"cat"}'],
      ],
    );
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
  });

  it('vLLM\'s non-streamed `annotations: null` and `function_call: null` are dropped: OpenAI\'s schema forbids them (found by the audit)', async () => {
    // vllm-project/vllm vllm/entrypoints/openai/protocol.py (now chat_completion/protocol.py):
    //   class ChatMessage(OpenAIBaseModel): role; content: str | None = None; refusal: str | None = None
    //     annotations: OpenAIAnnotation | None = None; audio: … | None = None
    //     function_call: FunctionCall | None = None; tool_calls: list[ToolCall] = []; reasoning(_content)
    // and api_server.py answers `JSONResponse(content=generator.model_dump())` (no exclude_none),
    // so every non-streamed vLLM answer carries "annotations":null,"audio":null,"function_call":null
    // and "tool_calls":[]. OpenAI's ChatCompletionResponseMessage has annotations: array and
    // function_call: object, neither nullable. Iris drops the `tool_calls: []` for the same reason
    // (convert-openai-compatible-response.ts) but passes these two on.
    pair.fake.use(
      jsonReply(200, {
        id: 'chatcmpl-8f1', object: 'chat.completion', created: 1_750_000_000, model: 'Qwen/Qwen2.5-VL-7B-Instruct',
        choices: [{ index: 0, message: { role: 'assistant', content: 'A cat.', refusal: null, annotations: null, audio: null, function_call: null, tool_calls: [], reasoning: 'It has whiskers.', reasoning_content: 'It has whiskers.' }, logprobs: null, finish_reason: 'stop', stop_reason: null, token_ids: null }],
        service_tier: null, system_fingerprint: null,
        usage: { prompt_tokens: 20, total_tokens: 25, completion_tokens: 5, prompt_tokens_details: null },
        prompt_logprobs: null, prompt_token_ids: null, kv_transfer_params: null,
      }),
    );
    const res = await post({});
    const body = (await res.json()) as any;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.choices[0].message.content, 'A cat.');
    assert.equal(body.choices[0].message.reasoning_content, 'It has whiskers.');
    assert.equal(body.choices[0].message.tool_calls, undefined);
    assert.equal(body.usage.prompt_tokens, 20);
    // Before the fix: /choices/0/message/annotations must be array; /choices/0/message/function_call must be object.
    assertChatCompletion(body);
  });

  it('Ollama\'s non-streamed tool call (with its `index`) is OpenAI\'s, and that message goes back as the next turn', async () => {
    // ollama/ollama openai/openai.go ToChatCompletion: tool calls keep `index`, usage always set.
    pair.fake.use(
      jsonReply(200, {
        id: 'chatcmpl-512', object: 'chat.completion', created: 1_750_000_000, model: 'llava', system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, message: { role: 'assistant', content: '', tool_calls: [{ id: 'call_k3n1', index: 0, type: 'function', function: { name: 'describe_scene', arguments: '{"what":"animals"}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 40, completion_tokens: 20, total_tokens: 60 },
      }),
      jsonReply(200, { id: 'chatcmpl-513', object: 'chat.completion', created: 1_750_000_000, model: 'llava', system_fingerprint: 'fp_ollama', choices: [{ index: 0, message: { role: 'assistant', content: 'Two cats.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 60, completion_tokens: 3, total_tokens: 63 } }),
    );
    const first = (await (await post({ tools: TOOLS })).json()) as any;
    assertChatCompletion(first);
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    const second = await post({ tools: TOOLS, messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: 'call_k3n1', content: 'two cats' }] });
    assert.equal(second.status, 200, 'the answer goes back as the next turn');
  });
});
