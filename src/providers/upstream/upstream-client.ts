import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { serializeJson } from '../../json/serialize-json.ts';
import type { VerbatimString } from '../../json/verbatim-strings.ts';
import { ApiError } from '../../openai/api-error.ts';

// One pooled keep-alive connection set per upstream provider, and the one place where a
// transport failure (refused, reset, timed out, aborted) becomes an ApiError. Status codes and
// bodies are left to each dialect's error mapper.

export interface UpstreamClientOptions {
  /** The provider's base URL; its path (if any) prefixes every request path. */
  baseUrl: string;
  timeoutMs: number;
  /** Names the upstream in error messages, e.g. `anthropic provider "claude"`. */
  label: string;
  connections?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

export interface UpstreamCall {
  path: string;
  headers: Record<string, string>;
  /** A JSON value, or its text when the caller has serialized it already. */
  body: unknown;
  /** Strings of `body` to write as the client's own JSON text (see src/json/verbatim-strings.ts). */
  verbatim?: readonly VerbatimString[];
  signal: AbortSignal;
  /** Streams are bounded by the idle timeout only; other calls by timeoutMs overall. */
  stream: boolean;
}

export interface UpstreamTextResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface UpstreamClient {
  post(call: UpstreamCall): Promise<UpstreamResponse>;
  /**
   * A non-streaming call read to the end: the same as post() then text(), without a body
   * stream in between (the cheaper path for the common case).
   */
  postForText(call: Omit<UpstreamCall, 'stream'>): Promise<UpstreamTextResponse>;
  /** Wraps a body iteration so a dying stream surfaces as an ApiError too. */
  guard<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T>;
  /** Reads a whole body as text, mapping transport failures. */
  text(response: UpstreamResponse, signal: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const url = new URL(options.baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 128,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const failure = (err: unknown, signal: AbortSignal, overall?: { aborted: boolean }): ApiError =>
    transportFailure(err, signal, overall, options);

  const requestOptions = (call: Omit<UpstreamCall, 'stream'>, stream: boolean) => {
    const body = typeof call.body === 'string' ? call.body : serializeJson(call.body, call.verbatim);
    return {
      method: 'POST' as const,
      path: prefix + call.path,
      headers: {
        'content-type': 'application/json',
        accept: stream ? 'text/event-stream' : 'application/json',
        ...call.headers,
        ...(typeof body === 'string' ? {} : { 'content-length': String(body.length) }),
      },
      // undici writes an iterable of buffers in order (its types list only single bodies).
      body: typeof body === 'string' ? body : (body.pieces as unknown as Readable),
    };
  };

  return {
    postForText(call) {
      const deadline = startDeadline(options.timeoutMs, call.signal);
      return new Promise<UpstreamTextResponse>((resolve, reject) => {
        let status = 0;
        let headers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let abort: ((reason?: Error) => void) | null = null;
        const onAbort = () => abort?.(deadline.signal.reason as Error);
        const finish = (err: unknown, result?: UpstreamTextResponse) => {
          deadline.signal.removeEventListener('abort', onAbort);
          deadline.clear();
          if (result) resolve(result);
          else reject(failure(err, call.signal, deadline));
        };
        try {
          pool.dispatch(requestOptions(call, false), {
            onConnect(abortRequest) {
              abort = abortRequest;
              if (deadline.signal.aborted) abortRequest(deadline.signal.reason as Error);
              else deadline.signal.addEventListener('abort', onAbort, { once: true });
            },
            onHeaders(statusCode, rawHeaders) {
              status = statusCode;
              headers = headersFromRaw(rawHeaders);
              return true;
            },
            onData(chunk) {
              chunks.push(chunk);
              return true;
            },
            onComplete() {
              finish(null, { status, headers, text: Buffer.concat(chunks).toString('utf8') });
            },
            onError(err) {
              finish(err);
            },
          });
        } catch (err) {
          finish(err);
        }
      });
    },
    async post(call) {
      const deadline = call.stream ? undefined : startDeadline(options.timeoutMs, call.signal);
      try {
        const res = await pool.request({ ...requestOptions(call, call.stream), signal: deadline?.signal ?? call.signal });
        // The deadline covers the body too; it is cleared once the body is done with.
        if (deadline) res.body.once('close', deadline.clear);
        return { status: res.statusCode, headers: flattenHeaders(res.headers), body: res.body };
      } catch (err) {
        deadline?.clear();
        throw failure(err, call.signal, deadline);
      }
    },
    async *guard(source, signal) {
      try {
        yield* source;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw failure(err, signal);
      }
    },
    async text(response, signal) {
      try {
        return await response.body.text();
      } catch (err) {
        throw failure(err, signal);
      }
    },
    close: () => pool.close(),
  };
}

function transportFailure(err: unknown, signal: AbortSignal, overall: { aborted: boolean } | undefined, options: UpstreamClientOptions): ApiError {
  if (err instanceof ApiError) return err;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof ApiError) return reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      return new ApiError(504, 'The request timed out', { type: 'timeout_error', cause: err });
    }
    return new ApiError(499, 'The client closed the request', { type: 'invalid_request_error', code: 'client_closed_request', cause: err });
  }
  const code = (err as { code?: string } | null)?.code;
  const deadlinePassed = overall?.aborted || (err instanceof DOMException && err.name === 'TimeoutError');
  if (deadlinePassed || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ApiError(504, `The ${options.label} did not answer within ${options.timeoutMs} ms`, {
      type: 'timeout_error',
      code: 'upstream_timeout',
      cause: err,
    });
  }
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  return new ApiError(502, `The connection to the ${options.label} failed (${detail})`, {
    type: 'upstream_error',
    code: 'upstream_unreachable',
    cause: err,
  });
}

/** undici's raw [name, value, …] list as flattenHeaders would give it, without the object in between. */
function headersFromRaw(raw: Buffer[] | string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    const name = raw[i].toString().toLowerCase();
    const value = raw[i + 1].toString();
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

interface Deadline {
  signal: AbortSignal;
  /** True once the deadline passed (not when the caller aborted). */
  aborted: boolean;
  clear(): void;
}

/**
 * An abort signal for one call: fires when the caller's signal does or when `ms` pass.
 * A plain timer, cleared when the call ends: AbortSignal.timeout would keep every request's
 * signal and listeners alive for the whole timeout (120 s by default), which at thousands of
 * requests a second is hundreds of megabytes.
 */
function startDeadline(ms: number, parent: AbortSignal): Deadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  const deadline: Deadline = {
    signal: controller.signal,
    aborted: false,
    clear() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
  const timer = setTimeout(() => {
    deadline.aborted = true;
    controller.abort(new DOMException('The upstream did not answer in time', 'TimeoutError'));
  }, ms);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return deadline;
}
