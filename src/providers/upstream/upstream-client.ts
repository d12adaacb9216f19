import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { EventSourceMessage } from 'eventsource-parser';
import { serializeJson, type SerializedJson } from '../../json/serialize-json.ts';
import { MIN_VERBATIM_CHARS, type VerbatimString } from '../../json/verbatim-strings.ts';
import { ApiError } from '../../openai/api-error.ts';
import { SseEventQueue } from './sse-event-queue.ts';

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

export interface UpstreamCall {
  path: string;
  headers: Record<string, string>;
  /** A JSON value, or its text when the caller has serialized it already. */
  body: unknown;
  /** Strings of `body` to write as the client's own JSON text (see src/json/verbatim-strings.ts). */
  verbatim?: readonly VerbatimString[];
  signal: AbortSignal;
}

export interface UpstreamTextResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface UpstreamEventsResponse {
  status: number;
  headers: Record<string, string>;
  /** The body's events; a transport failure mid-stream is thrown from here as an ApiError. */
  events: AsyncIterableIterator<EventSourceMessage>;
}

export interface UpstreamClient {
  /** A call read to the end, bounded by timeoutMs overall. */
  postForText(call: UpstreamCall): Promise<UpstreamTextResponse>;
  /**
   * A streaming call. A 2xx `text/event-stream` answer comes back at its headers (bounded by
   * timeoutMs), as events, each bounded by the idle timeout (timeoutMs without a byte); any
   * other answer (an error, or a server that ignored `stream`) is read to the end, bounded by
   * timeoutMs overall, and comes back as text.
   */
  postForEvents(call: UpstreamCall): Promise<UpstreamEventsResponse | UpstreamTextResponse>;
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
    // Below the shortest verbatim string, so every write of one fills the socket's buffer and
    // undici waits for it to drain (be handed to the kernel) before it counts the body as
    // written: what lets the client's body be freed when the call ends (src/json/raw-body.ts).
    // (undici passes it on to net.connect; its types leave it out.)
    connect: { highWaterMark: MIN_VERBATIM_CHARS / 2 } as Pool.Options['connect'],
  });
  const failure = (err: unknown, signal: AbortSignal, timedOut: boolean): ApiError => transportFailure(err, signal, timedOut, options);

  const requestOptions = (call: UpstreamCall, stream: boolean, body: string | SerializedJson) => {
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

  // Both calls go through undici's dispatch handler: the answer is read as it arrives, with no
  // body stream in between (the cheaper path, on every request).
  const send = (call: UpstreamCall, stream: boolean) => {
    const { signal } = call;
    return new Promise<UpstreamEventsResponse | UpstreamTextResponse>((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let events: SseEventQueue | null = null;
      let abort: ((reason?: Error) => void) | null = null;
      const onAbort = () => abort?.(signal.reason as Error);
      // Every call is bounded by timeoutMs overall, up to its last byte; an event stream only
      // until its headers, after which the pool's idle timeout (bodyTimeout) bounds each wait.
      // So a stream request answered with JSON or an error body, trickled byte by byte, still
      // ends at timeoutMs. A plain timer that aborts undici's request itself: no second
      // AbortController and listener per call, and nothing kept alive past the call
      // (AbortSignal.timeout would hold every request's signal for the whole timeout).
      let timedOut = false;
      let deadline: NodeJS.Timeout | undefined = setTimeout(() => {
        timedOut = true;
        abort?.(new DOMException('The upstream did not answer in time', 'TimeoutError'));
      }, options.timeoutMs);
      // The client's body, held while this call may write it (see src/json/raw-body.ts).
      let releaseBody: (() => void) | null = null;
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(deadline);
        releaseBody?.();
      };
      const asText = (): UpstreamTextResponse => ({ status, headers, text: Buffer.concat(chunks).toString('utf8') });
      const fail = (err: unknown) => {
        done();
        const error = failure(err, signal, timedOut);
        if (events) events.fail(error);
        // An error answer cut short still says what it can.
        else if (status >= 300) resolve(asText());
        else reject(error);
      };
      try {
        let body: string | SerializedJson;
        if (typeof call.body === 'string') body = call.body;
        else {
          // Held before serializing: the pieces are views of the body, empty once it is freed.
          const owner = call.verbatim?.[0]?.body;
          if (owner) {
            releaseBody = owner.hold();
            if (!releaseBody) throw clientClosed(); // freed: the request is over
          }
          body = serializeJson(call.body, call.verbatim);
        }
        pool.dispatch(requestOptions(call, stream, body), {
          onConnect(abortRequest) {
            abort = abortRequest;
            if (signal.aborted) abortRequest(signal.reason as Error);
            else if (timedOut) abortRequest(new DOMException('The upstream did not answer in time', 'TimeoutError'));
            else signal.addEventListener('abort', onAbort, { once: true });
          },
          onHeaders(statusCode, rawHeaders, resume) {
            status = statusCode;
            headers = headersFromRaw(rawHeaders);
            if (stream && status < 300 && (headers['content-type'] ?? '').includes('text/event-stream')) {
              clearTimeout(deadline);
              deadline = undefined;
              events = new SseEventQueue({ resume, cancel: (reason) => abort?.(reason) });
              resolve({ status, headers, events });
            }
            return true;
          },
          onData(chunk) {
            if (events) return events.feed(chunk);
            chunks.push(chunk);
            return true;
          },
          onComplete() {
            done();
            if (events) events.end();
            else resolve(asText());
          },
          onError: fail,
        });
      } catch (err) {
        fail(err);
      }
    });
  };

  return {
    postForText: (call) => send(call, false) as Promise<UpstreamTextResponse>,
    postForEvents: (call) => send(call, true),
    close: () => pool.close(),
  };
}

function clientClosed(cause?: unknown): ApiError {
  return new ApiError(499, 'The client closed the request', { type: 'invalid_request_error', code: 'client_closed_request', cause });
}

function transportFailure(err: unknown, signal: AbortSignal, timedOut: boolean, options: UpstreamClientOptions): ApiError {
  if (err instanceof ApiError) return err;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof ApiError) return reason;
    if (reason instanceof DOMException && reason.name === 'TimeoutError') {
      return new ApiError(504, 'The request timed out', { type: 'timeout_error', cause: err });
    }
    return clientClosed(err);
  }
  const code = (err as { code?: string } | null)?.code;
  const deadlinePassed = timedOut || (err instanceof DOMException && err.name === 'TimeoutError');
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

/** undici's raw [name, value, …] list as one lower-cased object; repeated names joined with ', '. */
function headersFromRaw(raw: Buffer[] | string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    const name = raw[i].toString().toLowerCase();
    const value = raw[i + 1].toString();
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/**
 * The events of a streaming answer, or the error it is: `mapError` says what a failed status
 * means in the upstream's dialect; a 2xx answer that is not an event stream is the upstream's fault.
 */
export function eventsOrThrow(
  answer: UpstreamEventsResponse | UpstreamTextResponse,
  upstream: string,
  mapError: (answer: UpstreamTextResponse) => ApiError,
): AsyncIterableIterator<EventSourceMessage> {
  if ('events' in answer) return answer.events;
  if (answer.status >= 300) throw mapError(answer);
  throw new ApiError(502, `${upstream} answered a stream request without an event stream`, { type: 'upstream_error', code: 'upstream_bad_response' });
}
