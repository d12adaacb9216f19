// Real OpenAI-compatible servers differ from OpenAI; Iris's `type: openai` provider must turn
// what each sends into exactly what OpenAI would send. Each fake answer below copies, byte for
// byte, what the named server (and version) sends: status, headers, body. The client is the
// official SDK where it matters how a client reads the answer, and plain fetch where the exact
// bytes Iris sends are under test; every body and chunk is checked against OpenAI's schemas.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Behaviour } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startStack, type Stack } from './e2e-setup.ts';

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };
type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

const messages = [{ role: 'user' as const, content: 'hello there' }];
const tools = [{ type: 'function' as const, function: { name: 'describe_scene', parameters: { type: 'object', properties: { what: { type: 'string' } }, required: ['what'] } } }];

/** An SSE body: each payload as `data: <payload>\n\n` (`prefix` for servers that write `data:`), comments as given. */
function sse(events: string[], prefix = 'data: '): string[] {
  return events.map((event) => (event.startsWith(':') ? `${event}\n\n` : `${prefix}${event}\n\n`));
}

const SSE_HEADERS = { 'content-type': 'text/event-stream' };
const JSON_HEADERS = { 'content-type': 'application/json' };

describe('upstream dialects', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ provider: { timeout_ms: 2000 } });
  });
  after(() => stack.close());

  async function post(behaviour: Behaviour, body: Record<string, unknown>): Promise<Response> {
    stack.upstream.script(behaviour);
    return fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, ...body }),
      signal: AbortSignal.timeout(5000),
    });
  }

  /** The error Iris answers, checked to be OpenAI's shape. */
  async function error(behaviour: Behaviour, stream = false): Promise<{ status: number; body: ErrorBody }> {
    const res = await post(behaviour, { stream });
    const body = (await res.json()) as ErrorBody;
    assertErrorResponse(body);
    return { status: res.status, body };
  }

  /** The non-streamed completion Iris answers, checked against the schema. */
  async function completion(behaviour: Behaviour, extra: Record<string, unknown> = {}): Promise<OpenAI.Chat.Completions.ChatCompletion> {
    const res = await post(behaviour, extra);
    const body = (await res.json()) as OpenAI.Chat.Completions.ChatCompletion;
    assert.equal(res.status, 200, JSON.stringify(body));
    assertChatCompletion(body);
    return body;
  }

  /** The chunks Iris streams (each checked against the schema), which must end with `[DONE]`. */
  async function chunks(behaviour: Behaviour, extra: Record<string, unknown> = {}): Promise<Chunk[]> {
    const res = await post(behaviour, { stream: true, stream_options: { include_usage: true }, ...extra });
    assert.equal(res.status, 200);
    const payloads = (await res.text())
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice('data: '.length));
    assert.equal(payloads.at(-1), '[DONE]', `the stream ends with [DONE]: ${payloads.join(' | ')}`);
    const out = payloads.slice(0, -1).map((payload) => JSON.parse(payload) as Chunk & { error?: unknown });
    for (const chunk of out) {
      assert.equal(chunk.error, undefined, `no error event: ${JSON.stringify(chunk)}`);
      assertChatCompletionChunk(chunk);
    }
    assert.equal(new Set(out.map((c) => c.id)).size, 1, 'every chunk has the same id');
    assert.equal(new Set(out.map((c) => c.created)).size, 1, 'every chunk has the same created');
    return out;
  }

  const text = (list: Chunk[]) => list.map((c) => c.choices[0]?.delta.content ?? '').join('');

  describe('errors', () => {
    it('llama.cpp: a context overflow (numeric code, own type) is a 400 context_length_exceeded', async () => {
      // llama.cpp server (b6000+), server-common: format_error_response(…, ERROR_TYPE_EXCEED_CONTEXT_SIZE).
      const { status, body } = await error({
        kind: 'raw',
        status: 400,
        headers: { 'content-type': 'application/json; charset=utf-8', server: 'llama.cpp' },
        body: '{"error":{"code":400,"message":"request (4476 tokens) exceeds the available context size (4096 tokens)","type":"exceed_context_size_error","n_prompt_tokens":4476,"n_ctx":4096}}',
      });
      assert.equal(status, 400);
      assert.deepEqual(body.error, {
        message: 'request (4476 tokens) exceeds the available context size (4096 tokens)',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      });
    });

    it('llama.cpp: a numeric code is never passed on, the message and type are', async () => {
      // llama.cpp server: {"error":{"code":400,"message":…,"type":"invalid_request_error"}}.
      const { status, body } = await error({
        kind: 'raw',
        status: 400,
        headers: { 'content-type': 'application/json; charset=utf-8', server: 'llama.cpp' },
        body: '{"error":{"code":400,"message":"\'messages\' is required","type":"invalid_request_error"}}',
      });
      assert.equal(status, 400);
      assert.deepEqual(body.error, { message: "'messages' is required", type: 'invalid_request_error', param: null, code: null });
    });

    it('LiteLLM proxy: its "None" param and "400" code become null', async () => {
      // LiteLLM proxy (1.4x), ProxyException.to_dict(): type, param and code as str() of Python values.
      const { status, body } = await error({
        kind: 'raw',
        status: 400,
        headers: JSON_HEADERS,
        body: '{"error":{"message":"litellm.BadRequestError: OpenAIException - Invalid image URL","type":"None","param":"None","code":"400"}}',
      });
      assert.equal(status, 400);
      assert.deepEqual(body.error, { message: 'litellm.BadRequestError: OpenAIException - Invalid image URL', type: 'invalid_request_error', param: null, code: null });
    });

    it('TGI: 424 (generation failed inside the server) is a 502, with the message', async () => {
      // text-generation-inference router: InferError::GenerationError → 424 FAILED_DEPENDENCY.
      const { status, body } = await error({
        kind: 'raw',
        status: 424,
        headers: JSON_HEADERS,
        body: '{"error":"Request failed during generation: Server error: CUDA out of memory. Tried to allocate 2.00 GiB","error_type":"generation"}',
      });
      assert.equal(status, 502);
      assert.equal(body.error.type, 'upstream_error');
      assert.match(body.error.message, /CUDA out of memory/);
    });

    // OpenRouter answers some provider failures with HTTP 200 and an error in place of the
    // completion (OpenRouterTeam/openrouter-examples#14); the provider's own reason is in metadata.raw.
    const openRouterError: Behaviour = {
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\\n  \\"error\\": {\\n    \\"code\\": 400,\\n    \\"message\\": \\"Invalid JSON payload received. Unknown name \\\\\\"additionalProperties\\\\\\"\\",\\n    \\"status\\": \\"INVALID_ARGUMENT\\"\\n  }\\n}\\n","provider_name":"Google"}},"user_id":"user_2x"}',
    };

    it("OpenRouter: an error inside a 200 answer is that error, with its status and the provider's reason", async () => {
      for (const stream of [false, true]) {
        const { status, body } = await error(openRouterError, stream);
        assert.equal(status, 400, `stream: ${stream}`);
        assert.equal(body.error.type, 'invalid_request_error');
        assert.equal(body.error.code, null);
        assert.equal(body.error.message, 'Provider returned error (Google: Invalid JSON payload received. Unknown name "additionalProperties")');
      }
    });

    it('OpenRouter: a 429 inside a 200 answer stays 429, so clients back off', async () => {
      const { status, body } = await error({
        kind: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"z-ai/glm-4.5 is temporarily rate-limited upstream. Please retry shortly.","provider_name":"BaseTen"}}}',
      });
      assert.equal(status, 429);
      assert.equal(body.error.type, 'rate_limit_error');
      assert.match(body.error.message, /BaseTen: z-ai\/glm-4.5 is temporarily rate-limited upstream/);
    });

    // Already right: regressions for the commonest shapes.
    const kept: { name: string; behaviour: Behaviour; status: number; message: string; type?: string }[] = [
      {
        // vLLM 0.10+: ErrorResponse(error=ErrorInfo(…)), code the HTTP status.
        name: 'vLLM (nested, numeric code)',
        behaviour: { kind: 'raw', status: 400, headers: JSON_HEADERS, body: '{"error":{"message":"The model does not support image input.","type":"BadRequestError","param":null,"code":400}}' },
        status: 400,
        message: 'The model does not support image input.',
        type: 'invalid_request_error',
      },
      {
        // Ollama /v1 (openai middleware): NewError(http.StatusNotFound, …).
        name: 'Ollama (nested, null code)',
        behaviour: { kind: 'raw', status: 404, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"error":{"message":"model \\"llava\\" not found, try pulling it first","type":"api_error","param":null,"code":null}}' },
        status: 404,
        message: 'model "llava" not found, try pulling it first',
      },
      {
        // Ollama native handlers: gin.H{"error": err.Error()}.
        name: 'Ollama (plain string)',
        behaviour: { kind: 'raw', status: 400, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"error":"invalid image input"}' },
        status: 400,
        message: 'invalid image input',
        type: 'invalid_request_error',
      },
      {
        // TGI: InferError::ValidationError → 422 with error_type "validation".
        name: 'TGI validation (string + error_type)',
        behaviour: { kind: 'raw', status: 422, headers: JSON_HEADERS, body: '{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`","error_type":"validation"}' },
        status: 422,
        message: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`',
      },
    ];
    for (const c of kept) {
      it(`${c.name} keeps status and message`, async () => {
        const { status, body } = await error(c.behaviour);
        assert.equal(status, c.status);
        assert.equal(body.error.message, c.message);
        assert.equal(body.error.code, null);
        if (c.type) assert.equal(body.error.type, c.type);
      });
    }

    it('FastAPI servers: a {"detail": …} body is read for its message, a string or validation errors', async () => {
      // FastAPI's own handlers (vLLM, SGLang, text-generation-webui, Xinference): a route that is not
      // there (base_url without /v1), and a request validation error.
      const notFound = await error({ kind: 'raw', status: 404, headers: JSON_HEADERS, body: '{"detail":"Not Found"}' });
      assert.equal(notFound.status, 404);
      assert.match(notFound.body.error.message, /\(HTTP 404: Not Found\); check providers\.\w+\.base_url\.$/);
      assert.equal(notFound.body.error.code, 'upstream_not_found');
      const invalid = await error({
        kind: 'raw',
        status: 422,
        headers: JSON_HEADERS,
        body: '{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{"model":"m"}},{"type":"float_parsing","loc":["body","temperature"],"msg":"Input should be a valid number","input":"hot"}]}',
      });
      assert.equal(invalid.status, 422);
      assert.equal(invalid.body.error.message, 'body.messages: Field required; body.temperature: Input should be a valid number');
    });

    it("a proxy's HTML error page is its title, not the markup", async () => {
      // nginx in front of a model server: the stock page for a body over client_max_body_size.
      const { status, body } = await error({
        kind: 'raw',
        status: 413,
        headers: { 'content-type': 'text/html', server: 'nginx/1.18.0 (Ubuntu)' },
        body: '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n',
      });
      assert.equal(status, 413);
      assert.equal(body.error.message, '413 Request Entity Too Large');
      const gateway = await error({ kind: 'raw', status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Bad   Gateway</h1>\n<p>upstream down</p></body></html>' });
      assert.equal(gateway.status, 502);
      assert.match(gateway.body.error.message, /\(HTTP 502\): Bad Gateway upstream down$/);
    });

    it('Mistral: a validation error whose message is an object with FastAPI\'s detail reads as its text', async () => {
      // api.mistral.ai: 422 {"object":"error","message":{"detail":[…]},"type":"invalid_request_error",…}.
      const { status, body } = await error({
        kind: 'raw',
        status: 422,
        headers: JSON_HEADERS,
        body: '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","logit_bias"],"msg":"Extra inputs are not permitted","input":{"50256":-100}}]},"type":"invalid_request_error","param":null,"code":null}',
      });
      assert.equal(status, 422);
      assert.equal(body.error.message, 'body.logit_bias: Extra inputs are not permitted');
      assert.equal(body.error.type, 'invalid_request_error');
    });

    it('a server that refuses stream_options (which Iris adds) is asked again without it, and from then on', async () => {
      const refusal: Behaviour = {
        kind: 'raw',
        status: 422,
        headers: JSON_HEADERS,
        body: '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted","input":{"include_usage":true}}]},"type":"invalid_request_error","param":null,"code":null}',
      };
      const head = '{"id":"c1","object":"chat.completion.chunk","created":1745000000,"model":"mistral-small-latest"';
      const answer = (): Behaviour => ({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([`${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"total_tokens":6,"completion_tokens":1}}`, '[DONE]']),
      });
      const own = await startStack({ provider: { timeout_ms: 2000 } });
      try {
        // First, a client's own option that the server refuses: that is the client's 422, and
        // changes nothing for the requests after it.
        own.upstream.script([refusal, answer(), refusal, answer(), answer()]);
        await assert.rejects(
          own.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true, include_obfuscation: false } }),
          (err: InstanceType<typeof OpenAI.APIError>) => err.status === 422,
        );
        for (let i = 0; i < 3; i++) {
          const stream = await own.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
          const got: Chunk[] = [];
          for await (const chunk of stream) got.push(chunk);
          assert.equal(got.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hi');
          assert.equal(got.at(-1)!.usage!.prompt_tokens, 5);
        }
        const sent = own.upstream.requests.map((r) => (r.body as { stream_options?: unknown }).stream_options);
        assert.deepEqual(sent, [{ include_usage: true, include_obfuscation: false }, { include_usage: true }, { include_usage: true }, undefined, undefined]);
      } finally {
        await own.close();
      }
    });

    it('a 200 with an empty body is a 502, streamed or not', async () => {
      for (const stream of [false, true]) {
        const { status, body } = await error({ kind: 'raw', status: 200, headers: JSON_HEADERS, body: '' }, stream);
        assert.equal(status, 502, `stream: ${stream}`);
        assert.equal(body.error.type, 'upstream_error');
      }
    });

    it('OpenRouter: an error chunk mid-stream ends the stream with that error', async () => {
      // OpenRouter: {…chunk fields, "error":{"code":"server_error","message":…}, finish_reason "error"}.
      const head = '{"id":"gen-1","provider":"Google","model":"google/gemini-2.5-flash","object":"chat.completion.chunk","created":1745000000';
      stack.upstream.script({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}`,
          `${head},"error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`,
        ]),
      });
      const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
        })(),
        (err: unknown) => err instanceof OpenAI.APIError && /Provider disconnected unexpectedly/.test(err.message),
      );
      assert.deepEqual(seen, ['Hel']);
    });
  });

  it("OpenRouter: a rate limit as the stream's first event is a 429 with its message, as the request's answer", async () => {
    // OpenRouter sends 200 and the headers at once; a provider's refusal then comes as the first event.
    const res = await post(
      {
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([': OPENROUTER PROCESSING', '{"error":{"code":429,"message":"Provider returned error","metadata":{"raw":"google/gemini-2.5-flash is temporarily rate-limited upstream.","provider_name":"Google"}}}']),
      },
      { stream: true },
    );
    const body = (await res.json()) as { error: { message: string; type: string } };
    assert.equal(res.status, 429);
    assert.match(body.error.message, /rate-limited upstream/);
    assert.equal(body.error.type, 'rate_limit_error');
  });

  describe('answers', () => {
    it("Google's /v1beta/openai: chunks without id, created or tool-call index become OpenAI's", async () => {
      // generativelanguage.googleapis.com/v1beta/openai, the chunk measured in THU-MAIC/OpenMAIC#1556
      // (thought_signature shortened): no id, no created, no finish_reason key, no tool-call index.
      const behaviour = (): Behaviour => ({
        kind: 'raw',
        headers: { 'content-type': 'text/event-stream' },
        body: sse([
          '{"choices":[{"delta":{"role":"assistant","tool_calls":[{"extra_content":{"google":{"thought_signature":"CrQBAdHtim8"}},"function":{"arguments":"{\\"what\\":\\"a cat on a sofa\\"}","name":"describe_scene"},"id":"call_297140","type":"function"}]},"index":0}],"model":"gemini-2.5-flash","object":"chat.completion.chunk"}',
          '{"choices":[{"delta":{"role":"assistant"},"finish_reason":"tool_calls","index":0}],"model":"gemini-2.5-flash","object":"chat.completion.chunk","usage":{"completion_tokens":18,"prompt_tokens":52,"total_tokens":70}}',
          '[DONE]',
        ]),
      });
      const list = await chunks(behaviour(), { tools });
      const calls = list.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].index, 0);
      assert.equal(calls[0].id, 'call_297140');
      assert.match(list[0].id, /^chatcmpl-/);
      assert.ok(Math.abs(list[0].created - Date.now() / 1000) < 60);
      assert.equal(list.at(-1)!.usage!.prompt_tokens, 52);

      stack.upstream.script(behaviour());
      const final = await stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages, tools }).finalChatCompletion();
      const call = final.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      assert.equal(call.function.name, 'describe_scene');
      assert.deepEqual(JSON.parse(call.function.arguments), { what: 'a cat on a sofa' });
      assert.equal(final.choices[0].finish_reason, 'tool_calls');
    });

    it('TGI 2.0: `data:` without a space, "id":"", the role on every delta, "eos_token", no [DONE]', async () => {
      // text-generation-inference 2.0.4 /v1/chat/completions stream: id "", role repeated, finish_reason
      // "eos_token" (changed to "stop" in 2.2, huggingface/text-generation-inference#2344) and no
      // [DONE] (added in 2.1.1, #2221).
      const head = '{"object":"chat.completion.chunk","id":"","created":1717000000,"model":"meta-llama/Meta-Llama-3-8B-Instruct","system_fingerprint":"2.0.4-sha-f426a33"';
      const list = await chunks({
        kind: 'raw',
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        body: sse(
          [
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}]}`,
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":" there"},"logprobs":null,"finish_reason":null}]}`,
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"!"},"logprobs":null,"finish_reason":"eos_token"}]}`,
          ],
          'data:',
        ),
      });
      assert.equal(text(list), 'Hello there!');
      assert.match(list[0].id, /^chatcmpl-./, 'an id, not ""');
      assert.equal(list[0].created, 1717000000);
      assert.deepEqual(
        list.map((c) => c.choices[0]?.delta.role),
        [...['assistant'], ...list.slice(1).map(() => undefined)],
        'the role in the first delta only',
      );
      const finishes = list.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter((f) => f !== null);
      assert.deepEqual(finishes, ['stop']);
    });

    it('TGI 2.0: a non-streamed "eos_token" answer with "id":"" is OpenAI\'s', async () => {
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"object":"chat.completion","id":"","created":1717000000,"model":"meta-llama/Meta-Llama-3-8B-Instruct","system_fingerprint":"2.0.4-sha-f426a33","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there!"},"logprobs":null,"finish_reason":"eos_token"}],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}',
      });
      assert.equal(body.choices[0].finish_reason, 'stop');
      assert.match(body.id, /^chatcmpl-./);
      assert.equal(body.choices[0].message.refusal, null);
    });

    it('TGI 3: "usage":null on every chunk, usage in its own chunk at the end', async () => {
      // text-generation-inference 3.x: every chunk carries "usage":null; the last has the usage.
      const head = '{"object":"chat.completion.chunk","id":"","created":1740000000,"model":"Qwen/Qwen2.5-VL-7B-Instruct","system_fingerprint":"3.1.0-sha-7a1f9a2"';
      const list = await chunks({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"A cat"},"logprobs":null,"finish_reason":null}],"usage":null}`,
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"."},"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
          `${head},"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'A cat.');
      assert.deepEqual(list.slice(0, -1).map((c) => c.usage), [null, null]);
      assert.equal(list.at(-1)!.usage!.completion_tokens, 3);
    });

    it('a stream whose last chunk still says finish_reason null before [DONE] gets a finish_reason', async () => {
      const head = '{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1745000000,"model":"local-model","system_fingerprint":"local-model"';
      const behaviour = (): Behaviour => ({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}`,
          '[DONE]',
        ]),
      });
      const list = await chunks(behaviour());
      assert.equal(list.filter((c) => c.choices[0]?.finish_reason === 'stop').length, 1);
      stack.upstream.script(behaviour());
      // The SDK's stream helper refuses a choice that never says why it stopped.
      const final = await stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages }).finalChatCompletion();
      assert.equal(final.choices[0].message.content, 'Hi!');
      assert.equal(final.choices[0].finish_reason, 'stop');
    });

    it('vLLM: finish_reason "abort" (the engine dropped the request) ends the stream with an error', async () => {
      // vLLM 0.8+: a request aborted by the engine streams finish_reason "abort".
      const head = '{"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1745000000,"model":"Qwen/Qwen2.5-VL-7B-Instruct"';
      stack.upstream.script({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"A"},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"abort","stop_reason":null}]}`,
          '[DONE]',
        ]),
      });
      const stream = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) assert.notEqual(chunk.choices[0]?.finish_reason, 'abort');
        })(),
        (err: unknown) => err instanceof OpenAI.APIError && /finish_reason "abort"/.test(err.message),
      );
    });

    it('vLLM: tool-call deltas that repeat id, type and name carry them once, as OpenAI', async () => {
      // vLLM tool parsers that resend the call's identity on every delta (ids "chatcmpl-tool-…",
      // SillyTavern/SillyTavern#5811); MiniMax on NVIDIA NIM resends the name (NousResearch/hermes-agent#11984).
      const head = '{"id":"chatcmpl-b6ade9","object":"chat.completion.chunk","created":1745000000,"model":"Qwen/Qwen2.5-VL-7B-Instruct"';
      const call = (args: string) =>
        `${head},"choices":[{"index":0,"delta":{"tool_calls":[{"id":"chatcmpl-tool-b6ade92666f562dc","type":"function","index":0,"function":{"name":"describe_scene","arguments":${JSON.stringify(args)}}}]},"logprobs":null,"finish_reason":null}]}`;
      const behaviour = (): Behaviour => ({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
          call('{"what": '),
          call('"a cat"'),
          call('}'),
          `${head},"choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"tool_calls","stop_reason":null}]}`,
          '[DONE]',
        ]),
      });
      const list = await chunks(behaviour(), { tools });
      const deltas = list.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      assert.equal(deltas.length, 3);
      assert.deepEqual(deltas[0], { index: 0, id: 'chatcmpl-tool-b6ade92666f562dc', type: 'function', function: { name: 'describe_scene', arguments: '{"what": ' } });
      assert.deepEqual(deltas.slice(1), [
        { index: 0, function: { arguments: '"a cat"' } },
        { index: 0, function: { arguments: '}' } },
      ]);
      // A client that appends every name it sees (LangChain's chunk merge, many agents) gets it once.
      assert.equal(deltas.map((d) => d.function?.name ?? '').join(''), 'describe_scene');

      stack.upstream.script(behaviour());
      const final = await stack.iris.client.chat.completions.stream({ model: 'gpt-4o-mini', messages, tools }).finalChatCompletion();
      const toolCall = final.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      assert.deepEqual([toolCall.id, toolCall.function.name, toolCall.function.arguments], ['chatcmpl-tool-b6ade92666f562dc', 'describe_scene', '{"what": "a cat"}']);
    });

    it('a completion without id, created, object, index, content or a tool call id is OpenAI\'s', async () => {
      // A server that leaves out what OpenAI always sends (the fields Google's endpoint leaves out of
      // its chunks, and a tool call without id or type).
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"model":"gemini-2.5-flash","choices":[{"message":{"role":"assistant","tool_calls":[{"function":{"name":"describe_scene","arguments":"{\\"what\\":\\"a cat\\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49}}',
      });
      assert.match(body.id, /^chatcmpl-./);
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.choices[0].index, 0);
      assert.equal(body.choices[0].message.content, null);
      const call = body.choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
      assert.match(call.id, /^call_./);
      assert.equal(call.type, 'function');
    });

    // Already right: regressions for quirks of widely used servers.
    it('llama.cpp: usage and timings in the last chunk beside its choice', async () => {
      // llama.cpp server (b5xxx): the finishing chunk carries usage and llama.cpp's own timings.
      const head = '"created":1745000000,"id":"chatcmpl-Xk2","model":"gpt-3.5-turbo","system_fingerprint":"b5170-2dca2a5f","object":"chat.completion.chunk"';
      const list = await chunks({
        kind: 'raw',
        headers: { 'content-type': 'text/event-stream', server: 'llama.cpp' },
        body: sse([
          `{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],${head}}`,
          `{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hello"}}],${head}}`,
          `{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],${head},"usage":{"completion_tokens":2,"prompt_tokens":10,"total_tokens":12},"timings":{"prompt_n":10,"prompt_ms":12.3,"prompt_per_token_ms":1.23,"prompt_per_second":813.0,"predicted_n":2,"predicted_ms":20.1,"predicted_per_token_ms":10.05,"predicted_per_second":99.5}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'Hello');
      const usage = list.at(-1)!.usage!;
      assert.deepEqual([usage.prompt_tokens, usage.completion_tokens, usage.total_tokens], [10, 2, 12]);
    });

    it('OpenRouter: comment lines, native_finish_reason, a usage chunk with a choice, usage with cost', async () => {
      // OpenRouter: ": OPENROUTER PROCESSING" comments while waiting; the usage comes in a chunk of
      // its own that still has a choice with an empty delta.
      const head = '{"id":"gen-1745000000-abc","provider":"Google","model":"google/gemini-2.5-flash","object":"chat.completion.chunk","created":1745000000';
      const list = await chunks({
        kind: 'raw',
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        body: sse([
          ': OPENROUTER PROCESSING',
          ': OPENROUTER PROCESSING',
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop","native_finish_reason":"STOP","logprobs":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9,"cost":0.0000049,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"cost_details":{"upstream_inference_cost":null},"completion_tokens_details":{"reasoning_tokens":0,"image_tokens":0}}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'Hi');
      assert.equal(list.at(-1)!.usage!.total_tokens, 9);
      const withChoices = list.filter((c) => c.choices.length > 0);
      assert.equal(withChoices.at(-1)!.choices[0].finish_reason, 'stop', 'nothing after the finish but the usage');
    });

    it('DeepSeek / vLLM reasoning: content null beside reasoning_content, streamed and not', async () => {
      // DeepSeek API (deepseek-reasoner) stream: "content":null while "reasoning_content" grows.
      const head = '{"id":"a1b2","object":"chat.completion.chunk","created":1745000000,"model":"deepseek-reasoner","system_fingerprint":"fp_5417b77867_prod0225"';
      const list = await chunks({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":""},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Think."},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"Two.","reasoning_content":null},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"","reasoning_content":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":2},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":10}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'Two.');
      // vLLM (reasoning parser on): reasoning_content beside content, tool_calls: [], prompt_tokens_details null.
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"id":"chatcmpl-3c9","object":"chat.completion","created":1745000000,"model":"Qwen/QwQ-32B","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"Think.","content":"Two.","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":10,"total_tokens":15,"completion_tokens":5,"prompt_tokens_details":null},"prompt_logprobs":null,"kv_transfer_params":null}',
      });
      assert.equal(body.choices[0].message.content, 'Two.');
      assert.equal('tool_calls' in body.choices[0].message, false);
    });

    it('reasoning from a server that reports no usage is counted as reasoning tokens, streamed and not', async () => {
      // llama.cpp server (--reasoning-format deepseek) built without usage in streams.
      const head = '{"id":"chatcmpl-r","object":"chat.completion.chunk","created":1745000000,"model":"qwq"';
      const list = await chunks({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Two apples plus two apples"},"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"Four."},"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
          '[DONE]',
        ]),
      });
      const streamed = list.at(-1)!.usage!;
      // "Two apples plus two apples" is 5 o200k tokens, "Four." 2.
      assert.deepEqual([streamed.completion_tokens, streamed.completion_tokens_details?.reasoning_tokens], [7, 5]);
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"id":"chatcmpl-r","object":"chat.completion","created":1745000000,"model":"qwq","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"Two apples plus two apples","content":"Four."},"finish_reason":"stop"}]}',
      });
      assert.deepEqual([body.usage!.completion_tokens, body.usage!.completion_tokens_details?.reasoning_tokens], [7, 5]);
      assert.equal(body.usage!.total_tokens, body.usage!.prompt_tokens + 7);
    });

    it("Mistral's reasoning models: content as a list of thinking and text parts is text, the thinking reasoning_content", async () => {
      // api.mistral.ai, magistral-medium-2509: message.content (and delta.content) a list of chunks.
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"id":"9f1e","object":"chat.completion","created":1758000000,"model":"magistral-medium-2509","choices":[{"index":0,"message":{"role":"assistant","tool_calls":null,"content":[{"type":"thinking","thinking":[{"type":"text","text":"Two plus two."}]},{"type":"text","text":"It is "},{"type":"text","text":"four."}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"total_tokens":20,"completion_tokens":10}}',
      });
      assert.equal(body.choices[0].message.content, 'It is four.');
      assert.equal((body.choices[0].message as { reasoning_content?: string }).reasoning_content, 'Two plus two.');

      const head = '{"id":"9f1f","object":"chat.completion.chunk","created":1758000000,"model":"magistral-medium-2509"';
      const list = await chunks({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"Two plus two."}]}]},"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"It is "}]},"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{"content":"four."},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"total_tokens":20,"completion_tokens":10}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'It is four.');
      for (const c of list) for (const choice of c.choices) assert.ok(choice.delta.content == null || typeof choice.delta.content === 'string', JSON.stringify(c));
      assert.equal(list.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join(''), 'Two plus two.');
    });

    it('reasoning sent as `reasoning` (OpenRouter, Ollama, newer vLLM) is reasoning_content too, and counted', async () => {
      // Ollama /v1 (0.12, think on) without usage asked for: "reasoning" in the message and in deltas.
      const head = '{"id":"chatcmpl-66","object":"chat.completion.chunk","created":1745000000,"model":"qwen3:8b","system_fingerprint":"fp_ollama"';
      const list = await chunks(
        {
          kind: 'raw',
          headers: SSE_HEADERS,
          body: sse([
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Two apples plus two apples"},"finish_reason":null}]}`,
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"Four."},"finish_reason":null}]}`,
            `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}`,
            '[DONE]',
          ]),
        },
      );
      assert.equal(list.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join(''), 'Two apples plus two apples');
      const streamed = list.at(-1)!.usage!;
      assert.deepEqual([streamed.completion_tokens, streamed.completion_tokens_details?.reasoning_tokens], [7, 5]);
      const body = await completion({
        kind: 'raw',
        headers: JSON_HEADERS,
        body: '{"id":"chatcmpl-67","object":"chat.completion","created":1745000000,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":"Four.","reasoning":"Two apples plus two apples"},"finish_reason":"stop"}]}',
      });
      assert.equal((body.choices[0].message as { reasoning_content?: string }).reasoning_content, 'Two apples plus two apples');
      assert.deepEqual([body.usage!.completion_tokens, body.usage!.completion_tokens_details?.reasoning_tokens], [7, 5]);
    });

    it("Groq: usage in the last chunk's x_groq is the stream's usage", async () => {
      // api.groq.com/openai/v1: the finishing chunk carries x_groq.usage (with Groq's timings), no usage.
      const head = '{"id":"chatcmpl-g1","object":"chat.completion.chunk","created":1745000000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_3f3b593e33"';
      const list = await chunks({
        kind: 'raw',
        headers: SSE_HEADERS,
        body: sse([
          `${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01j"}}`,
          `${head},"choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}`,
          `${head},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"x_groq":{"id":"req_01j","usage":{"queue_time":0.019,"prompt_tokens":36,"prompt_time":0.002,"completion_tokens":2,"completion_time":0.004,"total_tokens":38,"total_time":0.006}}}`,
          '[DONE]',
        ]),
      });
      assert.equal(text(list), 'Hello');
      const usage = list.at(-1)!.usage!;
      assert.deepEqual([usage.prompt_tokens, usage.completion_tokens, usage.total_tokens], [36, 2, 38]);
      assert.equal('queue_time' in usage, false, "Groq's timings are not OpenAI's usage");
    });

    it('a JSON answer sent as text/plain is read as JSON', async () => {
      // Servers behind proxies that label every body text/plain.
      const body = await completion({
        kind: 'raw',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '{"id":"chatcmpl-p","object":"chat.completion","created":1745000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Plain."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}',
      });
      assert.equal(body.choices[0].message.content, 'Plain.');
    });
  });
});
