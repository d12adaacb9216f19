import {
  anthropicError, anthropicMessage, anthropicStreamEvents, FAKE_ANTHROPIC_KEY, startFakeAnthropic,
} from '../support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, geminiError, geminiResponse, geminiStreamEvents, startFakeGemini } from '../support/fake-gemini-upstream.ts';
import { startFakeOpenAI } from '../support/fake-openai-upstream.ts';
import type { FakeReply, LooseRequest, ScriptedUpstream } from '../support/scripted-fake-upstream.ts';
import { inlineImage, type ReceivedImage, type ReceivedRequest, type ReceivedTurn } from './received-request.ts';

// One descriptor per provider type: how to start a fake upstream that speaks its wire
// format, the Iris config that points at it, how to script failures in that dialect, and
// how to read what it received into the neutral ReceivedRequest. Adding a provider type
// means adding a descriptor here and passing every case in conformance-cases.ts.

/** Failures every upstream can be made to produce, each in its own dialect. */
export type Failure =
  | { kind: 'status'; status: 400 | 401 | 429 | 500; message: string; retryAfter?: string }
  /** Anthropic's 529 overloaded_error; OpenAI's and Gemini's 503. */
  | { kind: 'overloaded'; message: string }
  /** Answer 200 with a body that is not JSON (an HTML page, as proxies send). */
  | { kind: 'not-json' }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Start a stream, send a few events, then cut the connection. */
  | { kind: 'die-mid-stream' };

export interface Harness {
  /** Iris config sections (providers, models, engine) for this provider. */
  config: Record<string, unknown>;
  /** The model name clients use. */
  model: string;
  /** The id the upstream should receive. */
  upstreamModel: string;
  /** Present when there is an upstream to script and inspect (not for the local engine). */
  upstream?: {
    fail(failure: Failure): void;
    /** Makes the next answer a JSON object (for fakes that do not honour JSON mode by themselves). */
    answerJson?(value: Record<string, unknown>): void;
    received(): ReceivedRequest[];
    reset(): void;
  };
  close(): Promise<void>;
}

export interface ProviderDescriptor {
  name: string;
  /** Who fetches http(s) image URLs for this provider by default. */
  urlFetchedBy: 'upstream' | 'iris';
  canCallTools: boolean;
  /** The upstream answers `n` choices in one call (else Iris makes n calls). */
  nativeN: boolean;
  /** Iris's timeout for this provider (the timeout case waits this long). */
  timeoutMs: number;
  /** The local engine needs images to say anything useful and takes longer to start. */
  startupMs?: number;
  /**
   * What the upstream receives (ReceivedRequest.reasoning) for reasoning_effort `high` and
   * `none`, whether the (fake) upstream's reasoning comes back as reasoning_content, and
   * whether verbosity reaches it (only a dialect that has one).
   */
  reasoning?: { high: string; none: string | null; returned: boolean; verbosity: boolean };
  start(): Promise<Harness>;
}

const TIMEOUT_MS = 1500;
const MODEL = 'conformance-model';
const NOT_JSON = '<html><body><h1>502 Bad Gateway</h1></body></html>';

// ---- OpenAI-compatible --------------------------------------------------------------------

const openai: ProviderDescriptor = {
  name: 'openai',
  nativeN: true,
  urlFetchedBy: 'iris',
  canCallTools: true,
  timeoutMs: TIMEOUT_MS,
  // Passed on as sent; the fake OpenAI upstream does not reason.
  reasoning: { high: 'high', none: 'none', returned: false, verbosity: true },
  async start() {
    const fake = await startFakeOpenAI({ apiKey: 'sk-upstream-openai' });
    return {
      config: {
        providers: { up: { type: 'openai', base_url: fake.url, api_key: 'sk-upstream-openai', timeout_ms: TIMEOUT_MS } },
        models: [{ name: MODEL, provider: 'up', upstream: 'gpt-4o' }],
      },
      model: MODEL,
      upstreamModel: 'gpt-4o',
      upstream: {
        fail(failure) {
          switch (failure.kind) {
            case 'status':
              fake.script({
                kind: 'error',
                status: failure.status,
                body: { error: { message: failure.message, type: failure.status === 429 ? 'rate_limit_error' : 'invalid_request_error', param: null, code: null } },
                headers: failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
              });
              break;
            case 'overloaded':
              fake.script({ kind: 'error', status: 503, body: { error: { message: failure.message, type: 'server_error', param: null, code: null } } });
              break;
            case 'not-json':
              fake.script({ kind: 'raw', headers: { 'content-type': 'text/html' }, body: NOT_JSON });
              break;
            case 'hang':
              fake.script({ kind: 'hang' });
              break;
            case 'die-mid-stream':
              fake.script({ kind: 'die-mid-stream', afterChunks: 2 });
              break;
          }
        },
        answerJson(value) {
          const content = JSON.stringify(value);
          fake.script({
            kind: 'json',
            body: {
              id: 'chatcmpl-json', object: 'chat.completion', created: 1700000000, model: 'gpt-4o',
              choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
              usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
            },
          });
        },
        received: () => fake.requests.filter((r) => r.path.startsWith('/v1/chat/completions')).map((r) => fromOpenAI(r.body)),
        reset: () => fake.reset(),
      },
      close: () => fake.close(),
    };
  },
};

function fromOpenAI(body: any): ReceivedRequest {
  const turns: ReceivedTurn[] = [];
  const system: string[] = [];
  for (const m of body.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(textOf(m.content));
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const parts = Array.isArray(m.content) ? m.content : [];
    push(turns, {
      role,
      text: m.role === 'tool' ? '' : textOf(m.content),
      images: parts.filter((p: any) => p.type === 'image_url').map((p: any) => imageFromUrl(p.image_url.url)),
      toolCalls: (m.tool_calls ?? []).map((c: any) => c.function.name),
      toolResults: m.role === 'tool' ? [textOf(m.content)] : [],
    });
  }
  const format = body.response_format?.type;
  return {
    model: body.model,
    stream: body.stream === true,
    system: system.join('\n'),
    turns,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
    stop: body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
    json: format === 'json_object' || format === 'json_schema',
    tools: (body.tools ?? []).map((t: any) => t.function.name),
    reasoning: body.reasoning_effort ?? null,
    verbosity: body.verbosity ?? null,
  };
}

// ---- Anthropic ----------------------------------------------------------------------------

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 429: 'rate_limit_error', 500: 'api_error',
};

const anthropic: ProviderDescriptor = {
  name: 'anthropic',
  nativeN: false,
  urlFetchedBy: 'upstream',
  canCallTools: true,
  timeoutMs: TIMEOUT_MS,
  // claude-fake-1 names no known family, so Iris takes it for a current, adaptive model.
  reasoning: { high: 'adaptive high', none: null, returned: true, verbosity: false },
  start: () =>
    startScripted({
      type: 'anthropic',
      apiKey: FAKE_ANTHROPIC_KEY,
      upstreamModel: 'claude-fake-1',
      startFake: startFakeAnthropic,
      failure(failure) {
        switch (failure.kind) {
          case 'status':
            return anthropicError(failure.status, ANTHROPIC_TYPES[failure.status], failure.message, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
          case 'overloaded':
            return anthropicError(529, 'overloaded_error', failure.message);
          case 'not-json':
            return { kind: 'text', headers: { 'content-type': 'text/html' }, body: NOT_JSON };
          case 'die-mid-stream':
            return { kind: 'sse', events: anthropicStreamEvents(anthropicMessage({ text: 'This answer is cut off halfway through the stream.' })), dieAfter: 5 };
        }
      },
      received: (r) => fromAnthropic(r.body),
    }),
};

function fromAnthropic(body: any): ReceivedRequest {
  const turns: ReceivedTurn[] = [];
  for (const m of body.messages) {
    const blocks: any[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    push(turns, {
      role: m.role,
      text: blocks.filter((b) => b.type === 'text').map((b) => b.text).join('\n'),
      images: blocks.filter((b) => b.type === 'image').map((b) =>
        b.source.type === 'url'
          ? { kind: 'url', url: b.source.url }
          : inlineImage(b.source.media_type, b.source.data)),
      toolCalls: blocks.filter((b) => b.type === 'tool_use').map((b) => b.name),
      toolResults: blocks.filter((b) => b.type === 'tool_result').map((b) => (typeof b.content === 'string' ? b.content : (b.content ?? []).map((c: any) => c.text).join(''))),
    });
  }
  const system = typeof body.system === 'string' ? body.system : (body.system ?? []).map((b: any) => b.text).join('\n');
  const last = body.messages.at(-1);
  const prefilled = last?.role === 'assistant' && last.content.at?.(-1)?.text === '{';
  return {
    model: body.model,
    stream: body.stream === true,
    system,
    turns,
    maxTokens: body.max_tokens ?? null,
    stop: body.stop_sequences ?? [],
    // JSON asked for: a `{` prefill (Claude before 4.6), a forced answer tool, or the instruction alone.
    json: prefilled || body.tool_choice?.type === 'tool' || /Respond with one valid JSON object/.test(system),
    tools: (body.tools ?? []).map((t: any) => t.name),
    reasoning: body.thinking?.type === 'adaptive' ? `adaptive ${body.output_config?.effort ?? 'default'}`
      : body.thinking?.type === 'enabled' ? `budget ${body.thinking.budget_tokens}` : null,
    verbosity: null,
  };
}

// ---- Gemini -------------------------------------------------------------------------------

const gemini: ProviderDescriptor = {
  name: 'gemini',
  nativeN: true,
  urlFetchedBy: 'iris',
  canCallTools: true,
  timeoutMs: TIMEOUT_MS,
  // gemini-fake-1 names no version, so Iris gives it a budget, as to Gemini 2.5.
  reasoning: { high: 'budget 24576', none: 'budget 0', returned: true, verbosity: false },
  start: () =>
    startScripted({
      type: 'gemini',
      apiKey: FAKE_GEMINI_KEY,
      upstreamModel: 'gemini-fake-1',
      startFake: startFakeGemini,
      failure(failure) {
        switch (failure.kind) {
          case 'status':
            return geminiError(failure.status, failure.message, { headers: failure.retryAfter ? { 'retry-after': failure.retryAfter } : {} });
          case 'overloaded':
            return geminiError(503, failure.message);
          case 'not-json':
            return { kind: 'text', headers: { 'content-type': 'text/html' }, body: NOT_JSON };
          case 'die-mid-stream':
            return { kind: 'sse', events: geminiStreamEvents(geminiResponse({ candidates: [{ text: 'This answer is cut off halfway through the stream.' }] })), dieAfter: 2 };
        }
      },
      received: (r) => fromGemini(r.path, r.body),
    }),
};

function fromGemini(path: string, body: any): ReceivedRequest {
  const turns: ReceivedTurn[] = [];
  for (const c of body.contents) {
    const parts: any[] = c.parts;
    push(turns, {
      role: c.role === 'model' ? 'assistant' : 'user',
      text: parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join('\n'),
      images: parts.filter((p) => p.inlineData || p.fileData).map((p) =>
        p.inlineData
          ? inlineImage(p.inlineData.mimeType, p.inlineData.data)
          : { kind: 'url', url: p.fileData.fileUri }),
      toolCalls: parts.filter((p) => p.functionCall).map((p) => p.functionCall.name),
      toolResults: parts.filter((p) => p.functionResponse).map((p) => JSON.stringify(p.functionResponse.response)),
    });
  }
  const config = body.generationConfig ?? {};
  return {
    model: decodeURIComponent(/\/models\/([^:]+):/.exec(path)?.[1] ?? ''),
    stream: path.includes(':streamGenerateContent'),
    system: (body.systemInstruction?.parts ?? []).map((p: any) => p.text).join('\n'),
    turns,
    maxTokens: config.maxOutputTokens ?? null,
    stop: config.stopSequences ?? [],
    json: config.responseMimeType === 'application/json',
    tools: (body.tools ?? []).flatMap((t: any) => (t.functionDeclarations ?? []).map((f: any) => f.name)),
    reasoning: config.thinkingConfig?.thinkingLevel !== undefined ? `level ${config.thinkingConfig.thinkingLevel}`
      : config.thinkingConfig?.thinkingBudget !== undefined ? `budget ${config.thinkingConfig.thinkingBudget}` : null,
    verbosity: null,
  };
}

// ---- The local engine ---------------------------------------------------------------------

const local: ProviderDescriptor = {
  name: 'local',
  nativeN: true,
  urlFetchedBy: 'iris',
  canCallTools: false,
  timeoutMs: TIMEOUT_MS,
  startupMs: 120_000,
  async start() {
    return {
      config: { engine: { enabled: true, threads: 1 } },
      model: 'Image-Recognition',
      upstreamModel: 'Image-Recognition',
      close: async () => {},
    };
  },
};

export const PROVIDERS: ProviderDescriptor[] = [openai, anthropic, gemini, local];

// ---- helpers ------------------------------------------------------------------------------

/** How an upstream whose fake is scripted reply by reply (Anthropic, Gemini) is set up and read. */
interface ScriptedDialect<Event> {
  type: string;
  apiKey: string;
  upstreamModel: string;
  startFake(): Promise<ScriptedUpstream<Event>>;
  /** The reply that produces `failure` in this dialect (a hang is the same everywhere). */
  failure(failure: Exclude<Failure, { kind: 'hang' }>): FakeReply<Event>;
  received(request: LooseRequest): ReceivedRequest;
}

async function startScripted<Event>(dialect: ScriptedDialect<Event>): Promise<Harness> {
  const fake = await dialect.startFake();
  return {
    config: {
      providers: { up: { type: dialect.type, base_url: fake.baseUrl, api_key: dialect.apiKey, timeout_ms: TIMEOUT_MS } },
      models: [{ name: MODEL, provider: 'up', upstream: dialect.upstreamModel }],
    },
    model: MODEL,
    upstreamModel: dialect.upstreamModel,
    upstream: {
      fail: (failure) => fake.enqueue(failure.kind === 'hang' ? { kind: 'hang' } : dialect.failure(failure)),
      received: () => fake.requests.map((r) => dialect.received(r)),
      reset: () => fake.reset(),
    },
    close: () => fake.close(),
  };
}

/** Consecutive same-role turns merge, as Anthropic and Gemini need; OpenAI's are merged here too. */
function push(turns: ReceivedTurn[], turn: ReceivedTurn): void {
  const last = turns.at(-1);
  if (last && last.role === turn.role) {
    last.text = [last.text, turn.text].filter(Boolean).join('\n');
    last.images.push(...turn.images);
    last.toolCalls.push(...turn.toolCalls);
    last.toolResults.push(...turn.toolResults);
  } else {
    turns.push({ ...turn, images: [...turn.images] });
  }
}

function textOf(content: any): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((p) => p.type === 'text').map((p) => p.text).join('\n');
}

function imageFromUrl(url: string): ReceivedImage {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return match ? inlineImage(match[1], match[2]) : { kind: 'url', url };
}
