// A fake OpenAI-compatible upstream for end-to-end tests: a real node:http server on
// 127.0.0.1 that answers POST /v1/chat/completions and GET /v1/models in OpenAI's exact wire
// format (JSON bodies, SSE chunks ending in `data: [DONE]`, error bodies and headers), records
// every request, and can be scripted to fail the ways real upstreams fail.
//
// Replies are derived from the request, so tests can compute what to expect with fakeReply():
// "I see N image(s). You said: <last user text>", cut at a stop sequence, truncated to
// max_tokens (finish_reason "length"), or tool calls when tool_choice forces them.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatMessage,
  FinishReason,
  FunctionTool,
  ToolCall,
  Usage,
} from '../../src/openai/types.ts';
import { startFakeServer, type Exchange, type RecordedRequest } from './fake-upstream-server.ts';

export type { RecordedRequest };

/** What to do with one chat-completions request. Scripted behaviours are consumed one per request. */
export type Behaviour =
  /** The default: a deterministic completion or stream. */
  | { kind: 'ok' }
  /** An OpenAI error. Without `body`, a realistic one for the status (429 also gets Retry-After). */
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** vLLM's flat error shape: `{"object":"error","message":…,"type":"BadRequestError","param":null,"code":400}`. */
  | { kind: 'vllm-error'; status?: number; message?: string }
  /** Accept the request and never answer (for timeouts). */
  | { kind: 'hang' }
  /** Send the response headers and `afterChunks` SSE events, then destroy the socket. */
  | { kind: 'die-mid-stream'; afterChunks: number }
  /** A server that never sends usage, even when stream_options.include_usage asks for it. */
  | { kind: 'no-usage-in-stream' }
  /** Ollama-like: 400 when any image_url is an http(s) URL; data: URLs are answered normally. */
  | { kind: 'data-urls-only' }
  /** A custom JSON body (status 200 unless given). */
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string> }
  /**
   * Raw SSE: each string starting with `{` or `[` is sent as `data: <string>`; any other string is
   * sent verbatim as one event block (e.g. `: keep-alive` or `event: error\ndata: {…}`). Nothing is
   * added, not even `[DONE]`.
   */
  | { kind: 'sse'; events: string[] }
  /**
   * Exactly these bytes and no others: the status, only the given headers (none of OpenAI's),
   * and the body, written piece by piece in order (e.g. one SSE event per piece). For copying
   * what a particular OpenAI-compatible server sends, byte for byte.
   */
  | { kind: 'raw'; status?: number; headers: Record<string, string>; body: string | string[] };

export interface FakeOpenAIOptions {
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /** Pause between SSE events, to let tests disconnect mid-stream. */
  chunkDelayMs?: number;
  /** Used when the script queue is empty. Default `{ kind: 'ok' }`. */
  defaultBehaviour?: Behaviour;
}

export interface FakeOpenAI {
  /** Base URL ending in /v1, e.g. `http://127.0.0.1:40123/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Queue behaviours for the next chat-completions requests, in order. */
  script(next: Behaviour | Behaviour[]): void;
  /** Forget recorded requests and queued behaviours. */
  reset(): void;
  /** Resolves once `condition()` is true (polled), rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface FakeChoice {
  content: string | null;
  toolCalls: { name: string; arguments: string }[];
  finishReason: FinishReason;
  completionTokens: number;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o'];
const MODEL_CREATED = 1721172741;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Deterministic replies

/** Splits text the way the fake counts tokens: each word with its leading whitespace. */
export function fakeTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join(' ')
    .trim();
}

function imageParts(request: ChatCompletionRequest): { url: string; detail?: string }[] {
  return request.messages.flatMap((message) =>
    Array.isArray(message.content)
      ? message.content.flatMap((part) => (part.type === 'image_url' ? [part.image_url] : []))
      : [],
  );
}

function lastUserText(request: ChatCompletionRequest): string {
  const user = request.messages.findLast((message) => message.role === 'user');
  return user === undefined ? '' : textOf(user.content);
}

function forcedTools(request: ChatCompletionRequest): FunctionTool[] {
  const tools = (request.tools ?? []).filter((tool) => tool.type === 'function');
  const choice = request.tool_choice;
  if (tools.length === 0 || choice === undefined) return [];
  if (choice === 'required') return request.parallel_tool_calls === false ? tools.slice(0, 1) : tools;
  if (typeof choice === 'object' && choice.type === 'function') {
    return tools.filter((tool) => tool.function.name === choice.function.name);
  }
  return [];
}

/** Arguments that satisfy the tool's parameter schema, filled from the request. */
function fakeArguments(tool: FunctionTool, request: ChatCompletionRequest): string {
  const parameters = (tool.function.parameters ?? {}) as {
    properties?: Record<string, { type?: string; enum?: unknown[] }>;
    required?: string[];
  };
  const properties = parameters.properties ?? {};
  const names = parameters.required ?? Object.keys(properties);
  const args: Record<string, unknown> = {};
  for (const name of names) {
    const property = properties[name] ?? {};
    if (property.enum !== undefined && property.enum.length > 0) args[name] = property.enum[0];
    else if (property.type === 'number' || property.type === 'integer') args[name] = imageParts(request).length;
    else if (property.type === 'boolean') args[name] = true;
    else if (property.type === 'array') args[name] = [];
    else if (property.type === 'object') args[name] = {};
    else args[name] = lastUserText(request);
  }
  return JSON.stringify(args);
}

/** What the fake answers for choice `index` of `request` (before ids and usage are added). */
export function fakeReply(request: ChatCompletionRequest, index = 0): FakeChoice {
  const tools = forcedTools(request);
  if (tools.length > 0) {
    const toolCalls = tools.map((tool) => ({ name: tool.function.name, arguments: fakeArguments(tool, request) }));
    const completionTokens = toolCalls.reduce((sum, call) => sum + Math.ceil(call.arguments.length / 4) + 3, 0);
    return { content: null, toolCalls, finishReason: 'tool_calls', completionTokens };
  }

  const images = imageParts(request).length;
  let text = `${index > 0 ? `Choice ${index}: ` : ''}I see ${images} image${images === 1 ? '' : 's'}. You said: ${lastUserText(request)}`;
  let finishReason: FinishReason = 'stop';

  const stops = (typeof request.stop === 'string' ? [request.stop] : (request.stop ?? [])).filter((s) => s !== '');
  const cut = Math.min(...stops.map((stop) => text.indexOf(stop)).filter((at) => at >= 0));
  if (Number.isFinite(cut)) text = text.slice(0, cut);

  let tokens = fakeTokens(text);
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (typeof limit === 'number' && tokens.length > limit) {
    tokens = tokens.slice(0, limit);
    text = tokens.join('');
    finishReason = 'length';
  }
  return { content: text, toolCalls: [], finishReason, completionTokens: tokens.length };
}

/** A deterministic prompt-token count: words, 3 per message, 85 per low-detail image, else 765. */
export function fakePromptTokens(request: ChatCompletionRequest): number {
  let tokens = 3;
  for (const message of request.messages) tokens += 3 + fakeTokens(textOf(message.content)).length;
  for (const image of imageParts(request)) tokens += image.detail === 'low' ? 85 : 765;
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

interface CompletedChoice extends Omit<FakeChoice, 'toolCalls'> {
  toolCalls: { id: string; name: string; arguments: string }[];
}

interface Completion {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  choices: CompletedChoice[];
  usage: Usage;
}

function complete(request: ChatCompletionRequest): Completion {
  const n = typeof request.n === 'number' && request.n > 1 ? request.n : 1;
  const choices = Array.from({ length: n }, (_, index) => {
    const reply = fakeReply(request, index);
    return { ...reply, toolCalls: reply.toolCalls.map((call) => ({ ...call, id: `call_${randomId(24)}` })) };
  });
  const promptTokens = fakePromptTokens(request);
  const completionTokens = choices.reduce((sum, choice) => sum + choice.completionTokens, 0);
  return {
    id: `chatcmpl-${randomId(29)}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    fingerprint: `fp_${randomBytes(5).toString('hex')}`,
    choices,
    // Shaped as OpenAI sends it, details included.
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}

function toolCalls(choice: CompletedChoice): ToolCall[] | undefined {
  if (choice.toolCalls.length === 0) return undefined;
  return choice.toolCalls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
}

function completionBody(c: Completion): ChatCompletion {
  return {
    id: c.id,
    object: 'chat.completion',
    created: c.created,
    model: c.model,
    choices: c.choices.map((choice, index) => ({
      index,
      message: {
        role: 'assistant',
        content: choice.content,
        ...(choice.toolCalls.length > 0 ? { tool_calls: toolCalls(choice) } : {}),
        refusal: null,
        annotations: [],
      },
      logprobs: null,
      finish_reason: choice.finishReason,
    })),
    usage: c.usage,
    service_tier: 'default',
    system_fingerprint: c.fingerprint,
  };
}

/** Splits a string into fragments of at most `size` characters (tool-call argument deltas). */
function fragments(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

/** The data payloads of a stream, `[DONE]` last. */
function streamEvents(request: ChatCompletionRequest, c: Completion, sendUsage: boolean): string[] {
  const includeUsage = sendUsage && request.stream_options?.include_usage === true;
  const obfuscate = request.stream_options?.include_obfuscation !== false;
  const chunk = (choices: ChatCompletionChunk['choices'], usage?: Usage): string => {
    const body: ChatCompletionChunk = {
      id: c.id,
      object: 'chat.completion.chunk',
      created: c.created,
      model: c.model,
      service_tier: 'default',
      system_fingerprint: c.fingerprint,
      choices,
    };
    if (includeUsage) body.usage = usage ?? null;
    // Random padding that hides the size of each delta, as OpenAI adds by default.
    if (obfuscate) body.obfuscation = randomId(1 + (randomBytes(1)[0] % 12));
    return JSON.stringify(body);
  };

  // Per choice, the list of its chunk choices; choices are then interleaved as OpenAI does.
  const perChoice = c.choices.map((choice, index) => {
    const events: ChatCompletionChunk['choices'] = [];
    const calls = choice.toolCalls;
    if (calls.length === 0) {
      events.push({ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null });
      for (const token of fakeTokens(choice.content ?? '')) {
        events.push({ index, delta: { content: token }, logprobs: null, finish_reason: null });
      }
    } else {
      calls.forEach((call, callIndex) => {
        const start = { index: callIndex, id: call.id, type: 'function' as const, function: { name: call.name, arguments: '' } };
        const delta = callIndex === 0 ? { role: 'assistant' as const, content: null, tool_calls: [start], refusal: null } : { tool_calls: [start] };
        events.push({ index, delta, logprobs: null, finish_reason: null });
        for (const piece of fragments(call.arguments, 6)) {
          events.push({ index, delta: { tool_calls: [{ index: callIndex, function: { arguments: piece } }] }, logprobs: null, finish_reason: null });
        }
      });
    }
    events.push({ index, delta: {}, logprobs: null, finish_reason: choice.finishReason });
    return events;
  });

  const out: string[] = [];
  const longest = Math.max(...perChoice.map((events) => events.length));
  for (let step = 0; step < longest; step++) {
    for (const events of perChoice) if (step < events.length) out.push(chunk([events[step]]));
  }
  if (includeUsage) out.push(chunk([], c.usage));
  out.push('[DONE]');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Errors

function openAIError(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } };
}

function defaultErrorBody(status: number, model: string): unknown {
  switch (status) {
    case 400:
      return openAIError('Invalid image.', 'invalid_request_error', null, 'invalid_image');
    case 401:
      return openAIError(
        'Incorrect API key provided: sk-fake***0000. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        null,
        'invalid_api_key',
      );
    case 403:
      return openAIError('Country, region, or territory not supported', 'request_forbidden', null, 'unsupported_country_region_territory');
    case 404:
      return openAIError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
    case 429:
      return openAIError(
        `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.`,
        'requests',
        null,
        'rate_limit_exceeded',
      );
    case 500:
      return openAIError('The server had an error while processing your request. Sorry about that!', 'server_error', null, null);
    case 503:
      return openAIError('The engine is currently overloaded, please try again later', 'server_error', null, null);
    default:
      return openAIError(`Upstream answered ${status}.`, status >= 500 ? 'server_error' : 'invalid_request_error', null, null);
  }
}

function defaultErrorHeaders(status: number): Record<string, string> {
  if (status !== 429) return {};
  return {
    'retry-after': '1',
    'x-ratelimit-limit-requests': '3',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': '1s',
  };
}

const VLLM_ERROR_TYPES: Record<number, string> = { 400: 'BadRequestError', 404: 'NotFoundError', 500: 'InternalServerError' };

// ---------------------------------------------------------------------------------------------
// Server

function commonHeaders(): Record<string, string> {
  return {
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    'openai-version': '2020-10-01',
    'openai-processing-ms': String(1 + (randomBytes(1)[0] % 200)),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...commonHeaders(), 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A non-JSON `body` (e.g. a proxy's HTML page) is sent as text, as such proxies do. */
function sendError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (typeof body !== 'string') return sendJson(res, status, body, headers);
  const type = body.trimStart().startsWith('<') ? 'text/html' : 'text/plain';
  res.writeHead(status, { ...commonHeaders(), 'content-type': `${type}; charset=utf-8`, ...headers });
  res.end(body);
}

/** Resolves once the data is handed to the socket, so a following destroy() cannot drop it. */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => res.write(data, () => resolve()));
}

function sseEvent(event: string): string {
  return event.startsWith('{') || event.startsWith('[') ? `data: ${event}\n\n` : `${event}\n\n`;
}

function validate(body: unknown): { error: unknown } | { request: ChatCompletionRequest } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      error: openAIError(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        'invalid_request_error',
        null,
        null,
      ),
    };
  }
  const request = body as ChatCompletionRequest;
  if (typeof request.model !== 'string' || request.model === '') {
    return { error: openAIError('you must provide a model parameter', 'invalid_request_error', null, null) };
  }
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    return { error: openAIError("Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter') };
  }
  return { request };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const models = options.models ?? DEFAULT_MODELS;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const defaultBehaviour = options.defaultBehaviour ?? { kind: 'ok' };

  async function writeStream(res: ServerResponse, events: string[], dieAfter?: number): Promise<void> {
    res.writeHead(200, { ...commonHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const [sent, event] of events.entries()) {
      if (dieAfter !== undefined && sent >= dieAfter) break;
      if (res.destroyed) return;
      await write(res, sseEvent(event));
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
    }
    if (dieAfter !== undefined) res.socket?.destroy();
    else res.end();
  }

  async function chat(record: RecordedRequest, res: ServerResponse, exchange: Exchange<Behaviour>): Promise<void> {
    const headers = record.headers;
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, defaultErrorBody(401, ''));
    }
    const behaviour = exchange.nextStep() ?? defaultBehaviour;
    const model = (record.body as { model?: unknown } | undefined)?.model;
    const modelName = typeof model === 'string' ? model : 'unknown';

    switch (behaviour.kind) {
      case 'error':
        return sendError(res, behaviour.status, behaviour.body ?? defaultErrorBody(behaviour.status, modelName), {
          ...defaultErrorHeaders(behaviour.status),
          ...behaviour.headers,
        });
      case 'vllm-error': {
        const status = behaviour.status ?? 400;
        const message = behaviour.message ?? "The model does not support image input.";
        const type = VLLM_ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError');
        // vLLM sends no OpenAI headers, just the flat body.
        res.writeHead(status, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ object: 'error', message, type, param: null, code: status }));
      }
      case 'hang':
        return;
      case 'json':
        return sendJson(res, behaviour.status ?? 200, behaviour.body, behaviour.headers);
      case 'sse':
        return writeStream(res, behaviour.events);
      case 'raw': {
        res.writeHead(behaviour.status ?? 200, behaviour.headers);
        for (const piece of typeof behaviour.body === 'string' ? [behaviour.body] : behaviour.body) {
          if (res.destroyed) return;
          await write(res, piece);
          if (chunkDelayMs > 0) await sleep(chunkDelayMs);
        }
        return void res.end();
      }
    }

    const checked = validate(record.body);
    if ('error' in checked) return sendJson(res, 400, checked.error);
    const request = checked.request;

    if (behaviour.kind === 'data-urls-only') {
      const remote = imageParts(request).find((image) => /^https?:/i.test(image.url));
      if (remote !== undefined) {
        return sendJson(res, 400, openAIError('invalid image input: only base64 data URLs are supported', 'invalid_request_error', null, null));
      }
    }

    const completion = complete(request);
    if (behaviour.kind === 'die-mid-stream') {
      exchange.serverCloses();
      const events = request.stream === true ? streamEvents(request, completion, true) : [];
      if (request.stream === true) return writeStream(res, events, behaviour.afterChunks);
      // A non-streamed request: headers and half a body, then the connection drops.
      const text = JSON.stringify(completionBody(completion));
      res.writeHead(200, { ...commonHeaders(), 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      await write(res, text.slice(0, text.length >> 1));
      return void res.socket?.destroy();
    }
    if (request.stream === true) {
      return writeStream(res, streamEvents(request, completion, behaviour.kind !== 'no-usage-in-stream'));
    }
    return sendJson(res, 200, completionBody(completion));
  }

  function listModels(res: ServerResponse, path: string): void {
    const data = models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'system' }));
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data });
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    const found = data.find((model) => model.id === id);
    if (found !== undefined) return sendJson(res, 200, found);
    sendJson(res, 404, defaultErrorBody(404, id));
  }

  const server = await startFakeServer<Behaviour>({
    maxBodyBytes: MAX_BODY_BYTES,
    tooLarge: (res) => sendJson(res, 413, openAIError('Request too large.', 'invalid_request_error', null, null)),
    handle(record, res, exchange) {
      const path = record.path.split('?')[0];
      if (record.method === 'POST' && path === '/v1/chat/completions') return chat(record, res, exchange);
      if (record.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) return listModels(res, path);
      sendJson(res, 404, openAIError(`Invalid URL (${record.method} ${path})`, 'invalid_request_error', null, null));
    },
    failed(res, error) {
      if (!res.headersSent) sendJson(res, 500, openAIError(`fake upstream failed: ${String(error)}`, 'server_error', null, null));
      else res.destroy();
    },
  });

  return {
    url: `${server.origin}/v1`,
    requests: server.requests,
    script: (next) => server.script(...(Array.isArray(next) ? next : [next])),
    reset: server.reset,
    until: server.until,
    close: server.close,
  };
}

/** The events of a recorded stream, test/fixtures/openai/<name>.chunks.txt (one data payload per line). */
export function readChunksFixture(name: string): string[] {
  const text = readFileSync(new URL(`../fixtures/openai/${name}.chunks.txt`, import.meta.url), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '');
}
