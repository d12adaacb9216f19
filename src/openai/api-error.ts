import type { OpenAIErrorBody } from './types.ts';

// Every failure that reaches a client is an ApiError. Modules throw these with the status,
// type, code and param that OpenAI would use; src/http/error-handler.ts is the one place
// that turns them (and anything else thrown) into the wire shape.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface ApiErrorOptions {
  type?: ErrorType;
  code?: string | null;
  param?: string | null;
  /** Response headers to send with the error, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** The upstream's own id for the call that failed (what its support asks for): logged, not sent. */
  upstreamRequestId?: string;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.type = options.type ?? defaultType(status);
    // Strings or null whatever an upstream's JSON held (its code may be a number, a list, …).
    this.code = typeof options.code === 'string' ? options.code : null;
    this.param = typeof options.param === 'string' ? options.param : null;
    this.headers = options.headers ?? {};
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A client's value as an error message shows it: cut at `max` characters, since messages are logged and sent back (a data URL can be megabytes). */
export function shorten(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** 400 with the exact path of the offending field, e.g. `messages[0].content[1].image_url.url`. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, { type: 'invalid_request_error', param, code });
}

/**
 * The client went away before its answer was complete. Never sent (nobody is listening); the
 * status is nginx's 499, so the request is logged as closed, not as a server error.
 */
export function clientClosed(cause?: unknown): ApiError {
  return new ApiError(499, 'The client closed the request', { type: 'invalid_request_error', code: 'client_closed_request', cause });
}
