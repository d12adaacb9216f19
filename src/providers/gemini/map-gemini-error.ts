import { ApiError, type ErrorType } from '../../openai/api-error.ts';
import { noSuchEndpoint } from '../upstream/attribute-upstream-error.ts';
import { plainMessage } from '../upstream/plain-message.ts';
import { retryHeaders } from '../upstream/retry-headers.ts';

// A Gemini error (`{error:{code, message, status, details}}`, sometimes wrapped in an array)
// → the ApiError an OpenAI client expects. 4xx keep status and message (an invalid API key,
// which Gemini reports as 400 API_KEY_INVALID, is a 401); 429 and 503 keep their retry headers
// (429 its RetryInfo delay too);
// 503 UNAVAILABLE (overloaded) → 503; 504 → 504; other 5xx, and 499 CANCELLED, → 502.

interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
};

export function mapGeminiError(providerId: string, status: number, bodyText: string, headers: Record<string, string> = {}): ApiError {
  const error = parseGoogleError(bodyText);
  if (status === 404 && !error) return noSuchEndpoint(providerId, plainMessage(bodyText) || 'no body');
  return errorFor(status, error, headers, bodyText);
}

/** An error object that arrived as a stream event after HTTP 200. */
export function mapGeminiStreamError(error: GoogleError): ApiError {
  return errorFor(error.code ?? 500, error, {}, '');
}

function errorFor(status: number, error: GoogleError | null, headers: Record<string, string>, raw: string): ApiError {
  const message = (typeof error?.message === 'string' && error.message) || `Gemini answered HTTP ${status}${raw.trim() ? `: ${plainMessage(raw)}` : ''}`;
  const code = error?.status ?? null; // ApiError keeps a code only when it is a string
  if (status === 400 && reasons(error).includes('API_KEY_INVALID')) {
    return new ApiError(401, message, { type: 'authentication_error', code: 'invalid_api_key' });
  }
  if (status === 429) {
    const retry = retryHeaders(headers);
    const delay = retryDelaySeconds(error);
    if (!retry['retry-after'] && delay) retry['retry-after'] = delay;
    return new ApiError(429, message, { type: 'rate_limit_error', code, headers: retry });
  }
  if (status === 503) return new ApiError(503, message, { type: 'overloaded_error', code, headers: retryHeaders(headers) });
  if (status === 504) return new ApiError(504, message, { type: 'timeout_error', code });
  // 499 CANCELLED is Gemini giving up on its side (Iris's own aborts never read an answer), and
  // 499 is how Iris logs a client that went away: a failure of the upstream, as 5xx are.
  if (status >= 500 || status === 499) return new ApiError(502, message, { type: 'upstream_error', code });
  if (status >= 400) return new ApiError(status, message, { type: TYPE_BY_STATUS[status] ?? 'invalid_request_error', code });
  return new ApiError(502, message, { type: 'upstream_error', code });
}

function parseGoogleError(text: string): GoogleError | null {
  try {
    let body = JSON.parse(text) as unknown;
    if (Array.isArray(body)) body = body[0];
    const error = (body as { error?: unknown } | null)?.error;
    if (error && typeof error === 'object') return error as GoogleError;
  } catch {
    // not JSON: the caller reports the raw text
  }
  return null;
}

function reasons(error: GoogleError | null): string[] {
  return (error?.details ?? []).map((d) => d.reason).filter((r): r is string => typeof r === 'string');
}

/** google.rpc.RetryInfo `retryDelay: "26s"` → "26" (whole seconds, rounded up). */
function retryDelaySeconds(error: GoogleError | null): string | undefined {
  for (const detail of error?.details ?? []) {
    const delay = detail.retryDelay;
    if (typeof delay === 'string') {
      const seconds = Number.parseFloat(delay);
      // At most a day: a delay past that is no retry hint a client can use.
      if (Number.isFinite(seconds)) return String(Math.min(86_400, Math.max(1, Math.ceil(seconds))));
    }
  }
  return undefined;
}
