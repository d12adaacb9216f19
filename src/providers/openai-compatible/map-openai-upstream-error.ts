import { ApiError, type ErrorType } from '../../openai/api-error.ts';

// An OpenAI-compatible upstream's error response → the error Iris sends its client.
// 4xx keep their status and message (429 keeps Retry-After and retry-after-ms, which the
// openai SDKs read first); 5xx become 502. Handles OpenAI's `{error:{…}}`, vLLM's flat
// `{object:"error", message, type, code}`, and servers that answer with plain text
// (llama.cpp, proxies).

export function mapOpenAIUpstreamError(providerId: string, status: number, bodyText: string, upstreamHeaders: Record<string, string>): ApiError {
  const parsed = parseErrorBody(bodyText);
  const upstreamMessage = parsed.message ?? (bodyText.trim().slice(0, 500) || `HTTP ${status}`);
  const headers: Record<string, string> = {};
  if (upstreamHeaders['retry-after']) headers['retry-after'] = upstreamHeaders['retry-after'];
  if (upstreamHeaders['retry-after-ms']) headers['retry-after-ms'] = upstreamHeaders['retry-after-ms'];
  // OpenAI's 503 is "engine overloaded": passed on as such, like Anthropic's 529 (retryable).
  if (status === 503) {
    return new ApiError(503, `The upstream provider '${providerId}' is overloaded: ${upstreamMessage}`, {
      type: 'overloaded_error',
      code: 'upstream_overloaded',
      headers,
    });
  }
  if (status >= 500 || status < 400) {
    return new ApiError(502, `The upstream provider '${providerId}' failed (HTTP ${status}): ${upstreamMessage}`, {
      type: 'upstream_error',
      code: 'upstream_error',
      headers,
    });
  }
  return new ApiError(status, upstreamMessage, {
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
}

function parseErrorBody(text: string): ParsedError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: null, param: null };
  }
  return readErrorBody(body);
}

/** An error body already parsed (also what an upstream sends in a stream's error event). */
export function readErrorBody(body: unknown): ParsedError {
  if (!body || typeof body !== 'object') return { code: null, param: null };
  const record = body as Record<string, unknown>;
  const inner = (record.error && typeof record.error === 'object' ? record.error : record) as Record<string, unknown>;
  const message = typeof inner.message === 'string' ? inner.message : typeof record.error === 'string' ? record.error : undefined;
  // vLLM puts the HTTP status in `code` and a Python class name in `type`: neither is OpenAI's.
  const code = typeof inner.code === 'string' ? inner.code : null;
  const type = typeof inner.type === 'string' && /^[a-z_]+$/.test(inner.type) ? inner.type : undefined;
  const param = typeof inner.param === 'string' ? inner.param : null;
  return { message, type, code, param };
}
