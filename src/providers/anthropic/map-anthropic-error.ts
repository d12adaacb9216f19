import { ApiError, type ErrorType } from '../../openai/api-error.ts';
import { noSuchEndpoint } from '../upstream/attribute-upstream-error.ts';
import { plainMessage } from '../upstream/plain-message.ts';
import { retryHeaders } from '../upstream/retry-headers.ts';

// An Anthropic error (an HTTP status with `{type:"error", error:{type, message}}`, or an
// `error` event mid-stream) → the ApiError a client of an OpenAI API expects.
// 4xx keep status and message; 429 and 503 keep their retry headers; 529/overloaded → 503; other 5xx → 502.

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export function mapAnthropicError(providerId: string, status: number, bodyText: string, headers: Record<string, string> = {}): ApiError {
  const parsed = parseErrorBody(bodyText);
  if (status === 404 && !parsed) return noSuchEndpoint(providerId, plainMessage(bodyText) || 'no body');
  const upstreamType = parsed?.type ?? null;
  const message = parsed?.message || `Anthropic answered HTTP ${status}${bodyText.trim() ? `: ${plainMessage(bodyText)}` : ''}`;
  return errorFor(status, message, upstreamType, headers);
}

/** An `event: error` inside a stream that had already begun with HTTP 200. */
export function mapAnthropicStreamError(error: { type?: string; message?: string } | undefined): ApiError {
  const type = error?.type ?? 'api_error';
  return errorFor(STATUS_BY_TYPE[type] ?? 500, error?.message || 'Anthropic stream error', type, {});
}

function errorFor(status: number, message: string, upstreamType: string | null, headers: Record<string, string>): ApiError {
  // Anthropic's 413 comes from Cloudflare, in front of its API, and may have no JSON body to name it.
  const code = upstreamType ?? (status === 413 ? 'request_too_large' : null);
  if (status === 529 || status === 503 || upstreamType === 'overloaded_error') {
    return new ApiError(503, message, { type: 'overloaded_error', code, headers: retryHeaders(headers) });
  }
  if (status >= 500) return new ApiError(502, message, { type: 'upstream_error', code });
  if (status === 429) return new ApiError(429, message, { type: 'rate_limit_error', code, headers: retryHeaders(headers) });
  if (status >= 400) return new ApiError(status, message, { type: TYPE_BY_STATUS[status] ?? 'invalid_request_error', code });
  return new ApiError(502, message, { type: 'upstream_error', code });
}

function parseErrorBody(text: string): { type?: string; message?: string } | null {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    if (body && typeof body.error === 'object' && body.error) {
      return {
        type: typeof body.error.type === 'string' ? body.error.type : undefined,
        message: typeof body.error.message === 'string' ? body.error.message : undefined,
      };
    }
  } catch {
    // not JSON: the caller reports the raw text
  }
  return null;
}
