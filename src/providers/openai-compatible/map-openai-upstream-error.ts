import { ApiError, type ErrorType } from '../../openai/api-error.ts';
import { attributeUpstreamError, noSuchEndpoint, withUpstreamRequestId } from '../upstream/attribute-upstream-error.ts';
import { plainMessage } from '../upstream/plain-message.ts';
import { retryHeaders } from '../upstream/retry-headers.ts';

// An OpenAI-compatible upstream's error → the error Iris sends its client, in one place.
// 4xx keep their status and message (429 keeps Retry-After and retry-after-ms, which the
// openai SDKs read first); 5xx become 502. The upstream's x-should-retry passes on (the SDKs
// obey it before the status), and an exhausted quota says false: the SDKs retry every 429. Bodies in every dialect seen:
//   OpenAI, Ollama /v1:  {"error":{"message","type","param","code"}}
//   vLLM:                {"object":"error","message","type":"BadRequestError","param":null,"code":400}
//                        (newer: the same inside "error")
//   llama.cpp server:    {"error":{"code":400,"message","type":"exceed_context_size_error",…}}
//   Ollama, TGI:         {"error":"text"} (TGI adds "error_type")
//   LiteLLM proxy:       {"error":{"message","type":"None","param":"None","code":"400"}}
//   OpenRouter:          {"error":{"code":400,"message":"Provider returned error","metadata":{"raw","provider_name"}}},
//                        also inside an HTTP 200 answer and inside a stream chunk
//   FastAPI's own:       {"detail":"Not Found"}, {"detail":[{"loc":["body","messages"],"msg":"Field required",…}]}
//                        (vLLM, SGLang, text-generation-webui: a wrong path, a validation error)
//   Mistral:             {"object":"error","message":{"detail":[…]},"type":"invalid_request_error",…} (422)
//   proxies, llama.cpp:  plain text or HTML (an HTML page is its title, or its text)
// OpenAI's `code` is an identifier or null and its `param` a request path or null: an HTTP
// status in `code` (number or digits) and Python's "None" become null.

export function mapOpenAIUpstreamError(providerId: string, status: number, bodyText: string, upstreamHeaders: Record<string, string>): ApiError {
  return withUpstreamRequestId(mapStatus(providerId, status, bodyText, upstreamHeaders), upstreamHeaders);
}

function mapStatus(providerId: string, status: number, bodyText: string, upstreamHeaders: Record<string, string>): ApiError {
  const parsed = parseErrorBody(bodyText);
  const message = parsed.message ?? (plainMessage(bodyText) || `HTTP ${status}`);
  if (status === 404 && !parsed.fromApi) return noSuchEndpoint(providerId, message);
  const headers = retryHeaders(upstreamHeaders);
  // An exhausted quota will not come back by retrying.
  if (!headers['x-should-retry'] && (parsed.code === 'insufficient_quota' || parsed.type === 'insufficient_quota')) headers['x-should-retry'] = 'false';
  return attributeUpstreamError(providerId, errorFor(providerId, status, { ...parsed, message }, headers));
}

/**
 * The error an answer with HTTP 2xx carries instead of a completion (OpenRouter sends provider
 * failures so), or undefined when it carries none. Its status is the error's numeric `code`.
 */
export function errorInAnswer(providerId: string, body: unknown): ApiError | undefined {
  if (!body || typeof body !== 'object' || !('error' in body) || !(body as { error: unknown }).error) return undefined;
  const parsed = readErrorBody(body);
  const status = parsed.status !== undefined && parsed.status >= 400 && parsed.status <= 599 ? parsed.status : 500;
  return errorFor(providerId, status, { ...parsed, message: parsed.message ?? 'unknown error' }, {});
}

/** An error event or error chunk inside a stream that had begun with HTTP 200. */
export function mapOpenAIStreamError(providerId: string, body: unknown): ApiError {
  return new ApiError(502, `The upstream provider '${providerId}' failed mid-stream: ${readErrorBody(body).message ?? 'unknown error'}`, {
    type: 'upstream_error',
    code: 'upstream_error',
  });
}

/** A 2xx answer that is not what OpenAI's API would have sent. */
export function upstreamBadResponse(providerId: string, what: string): ApiError {
  return new ApiError(502, `The upstream provider '${providerId}' ${what}.`, { type: 'upstream_error', code: 'upstream_error' });
}

function errorFor(providerId: string, status: number, parsed: ParsedError & { message: string }, headers: Record<string, string>): ApiError {
  // OpenAI's 503 is "engine overloaded": passed on as such, like Anthropic's 529 (retryable).
  if (status === 503) {
    return new ApiError(503, `The upstream provider '${providerId}' is overloaded: ${parsed.message}`, {
      type: 'overloaded_error',
      code: 'upstream_overloaded',
      headers,
    });
  }
  // TGI answers 424 when generation itself failed (a CUDA error, a crashed shard): the
  // upstream's failure, not the client's.
  if (status >= 500 || status < 400 || status === 424) {
    return new ApiError(502, `The upstream provider '${providerId}' failed (HTTP ${status}): ${parsed.message}`, {
      type: 'upstream_error',
      code: 'upstream_error',
      headers,
    });
  }
  // llama.cpp's own type for what OpenAI calls context_length_exceeded, which clients look for.
  if (parsed.type === 'exceed_context_size_error') {
    return new ApiError(status, parsed.message, { type: 'invalid_request_error', code: parsed.code ?? 'context_length_exceeded', param: parsed.param ?? 'messages', headers });
  }
  return new ApiError(status, parsed.message, {
    type: (parsed.type as ErrorType | undefined) ?? (status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : 'invalid_request_error'),
    code: parsed.code,
    param: parsed.param,
    headers,
  });
}

interface ParsedError {
  message?: string;
  type?: string;
  code: string | null;
  param: string | null;
  /** An HTTP status the body names in its `code` (vLLM, llama.cpp, OpenRouter). */
  status?: number;
  /** Whether the body is an API's error (an `error`, or a top-level `message` as vLLM's), not a web framework's or server's. */
  fromApi: boolean;
}

function parseErrorBody(text: string): ParsedError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: null, param: null, fromApi: false };
  }
  return readErrorBody(body);
}

/** An error body already parsed (also what an upstream sends in a stream's error event). */
export function readErrorBody(body: unknown): ParsedError {
  if (!body || typeof body !== 'object') return { code: null, param: null, fromApi: false };
  const record = body as Record<string, unknown>;
  const inner = (record.error && typeof record.error === 'object' ? record.error : record) as Record<string, unknown>;
  const text =
    typeof inner.message === 'string'
      ? inner.message
      : typeof record.error === 'string'
        ? record.error
        : detailMessage(record.detail ?? (inner.message as { detail?: unknown } | null | undefined)?.detail);
  const message = text === undefined ? undefined : withProviderDetail(text, inner.metadata);
  // vLLM puts the HTTP status in `code` and a Python class name in `type`: neither is OpenAI's.
  const code = typeof inner.code === 'string' && !/^\d+$/.test(inner.code) ? inner.code : null;
  const status = typeof inner.code === 'number' ? inner.code : typeof inner.code === 'string' && /^\d{3}$/.test(inner.code) ? Number(inner.code) : undefined;
  const type = typeof inner.type === 'string' && /^[a-z_]+$/.test(inner.type) ? inner.type : undefined;
  const param = typeof inner.param === 'string' && inner.param !== 'None' ? inner.param : null;
  const fromApi = record.error !== undefined || typeof record.message === 'string';
  return { message, type, code, param, status, fromApi };
}

/** FastAPI's `detail`: a string, or validation errors as `loc: msg` (loc joined with dots). */
function detailMessage(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail)) return undefined;
  const parts = detail.flatMap((item: { loc?: unknown; msg?: unknown } | null) => {
    if (typeof item?.msg !== 'string') return [];
    return [Array.isArray(item.loc) ? `${item.loc.join('.')}: ${item.msg}` : item.msg];
  });
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * OpenRouter's message for a provider's failure is "Provider returned error"; what went wrong is
 * in metadata.raw (the provider's own body, often JSON) and metadata.provider_name.
 */
function withProviderDetail(message: string, metadata: unknown): string {
  if (!metadata || typeof metadata !== 'object') return message;
  const { raw, provider_name: provider } = metadata as { raw?: unknown; provider_name?: unknown };
  if (typeof raw !== 'string' || raw.trim() === '') return message;
  let detail: string | undefined;
  try {
    detail = readErrorBody(JSON.parse(raw)).message;
  } catch {
    // not JSON: the text itself
  }
  detail ??= raw.trim();
  if (detail.length > 500) detail = `${detail.slice(0, 497)}...`;
  return `${message} (${typeof provider === 'string' ? `${provider}: ` : ''}${detail})`;
}
