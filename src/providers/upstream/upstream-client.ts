import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { EventSourceMessage } from 'eventsource-parser';
import { serializeJson, type SerializedJson } from '../../json/serialize-json.ts';
import { MIN_VERBATIM_CHARS, type VerbatimString } from '../../json/verbatim-strings.ts';
import { formatBytes } from '../../format-bytes.ts';
import { ApiError, clientClosed } from '../../openai/api-error.ts';
import type { SecretRedactor } from '../../telemetry/secret-redactor.ts';
import { SseEventQueue } from './sse-event-queue.ts';

// One pooled keep-alive connection set per upstream provider, and the one place where a
// transport failure (refused, reset, timed out, aborted) becomes an ApiError. Status codes and
// bodies are left to each dialect's error mapper.

export interface UpstreamClientOptions {
  /** The provider's base URL; its path (if any) prefixes every request path. */
  baseUrl: string;
  timeoutMs: number;
  /** Names the upstream in error messages, e.g. `upstream provider 'claude'` (as the chat core's messages name it). */
  label: string;
  /** Calls in flight at once; more wait for a connection, within timeoutMs. */
  connections?: number;
  /** The setting that sets `connections`, named when calls wait too long for one (providers.x.max_connections). */
  connectionsSetting?: string;
  /** The largest answer read whole (not an event stream); default MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
  /**
   * The credentials this client presents, masked in an error answer's text before anything
   * reads it: the error mappers cut long texts, and a credential cut in two would not be
   * recognised (and half masked) later.
   */
  secrets?: SecretRedactor;
}

/**
 * An answer read whole is held in memory, so it is bounded: 128 choices of a long answer are a
 * few megabytes of JSON; what is far past that is a broken or hostile upstream, not an answer.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * How long a stream's body may take to end after its reader finish()ed at the end marker:
 * servers end it in their next write, at once; one still sending past this is cut.
 */
const DRAIN_MS = 1_000;

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
  /** An error answer's headers (Retry-After, request ids), for its mapper; empty for a 2xx. */
  headers: Record<string, string>;
  text: string;
}

export interface UpstreamEventsResponse {
  status: number;
  /** Empty: only an error answer's headers are kept. */
  headers: Record<string, string>;
  /** The body's events; a transport failure mid-stream is thrown from here as an ApiError. */
  events: UpstreamEvents;
}

export interface UpstreamEvents extends AsyncIterableIterator<EventSourceMessage> {
  /** Call before stopping at the stream's end marker: the connection is kept (SseEventQueue.finish). */
  finish(): void;
}

export interface UpstreamClient {
  /** A call read to the end, bounded by timeoutMs overall. */
  postForText(call: UpstreamCall): Promise<UpstreamTextResponse>;
  /**
   * A streaming call. A 2xx event stream (`text/event-stream`, or a body that opens as one)
   * comes back as soon as that is known (bounded by timeoutMs), as events, the wait for each
   * bounded by timeoutMs (SSE comments, heartbeats, do not count); any other answer (an error,
   * or a server that ignored `stream`) is read to the end, bounded by timeoutMs overall, and
   * comes back as text.
   */
  postForEvents(call: UpstreamCall): Promise<UpstreamEventsResponse | UpstreamTextResponse>;
  close(): Promise<void>;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const url = new URL(options.baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const connections = options.connections ?? 256;
  const pool = new Pool(url.origin, {
    connections,
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
  const maxAnswerBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;

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
      let received = 0;
      let events: SseEventQueue | null = null;
      /** While a 2xx answer to a stream request that is not labelled SSE may still be SSE. */
      let sniffing: (() => void) | null = null;
      let abort: ((reason?: Error) => void) | null = null;
      // Before undici hands the request a connection (all are busy, or it is connecting) there
      // is nothing to abort: the caller hears at once, and onConnect refuses the request unsent.
      /** Why the call gave up while queued (the client left, or no connection in time); undefined until then. */
      let gaveUp: unknown;
      const onAbort = () => (abort ? abort(signal.reason as Error) : settleEarly());
      // The wait for a free connection is bounded by timeoutMs; from when the call goes out,
      // every call is bounded by timeoutMs overall, up to its last byte; an event stream only
      // until it is known to be one, after which the same timer bounds the wait for each event:
      // re-armed by every event, not by every byte, so SSE comments (heartbeats, which also keep
      // resetting undici's bodyTimeout) cannot hold a stream open. So a stream request answered
      // with JSON or an error body, trickled byte by byte, still ends at timeoutMs. A plain timer
      // that aborts undici's request itself: no second AbortController and listener per call,
      // and nothing kept alive past the call (AbortSignal.timeout would hold every request's
      // signal for the whole timeout).
      let timedOut = false;
      let deadline: NodeJS.Timeout | undefined = setTimeout(() => {
        // A reader that is behind has paused the body: that wait is Iris's, not the upstream's
        // (undici's bodyTimeout holds off too). Resuming re-arms it.
        if (events?.paused) return void deadline?.refresh();
        timedOut = true;
        if (abort) abort(new DOMException('The upstream did not answer in time', 'TimeoutError'));
        else settleEarly();
      }, options.timeoutMs);
      const rearm = () => deadline?.refresh();
      // The client's body, held while this call may write it (see src/json/raw-body.ts).
      let releaseBody: (() => void) | null = null;
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(deadline);
        deadline = undefined; // a queue resumed after the end re-arms nothing
        releaseBody?.();
      };
      /**
       * The caller's answer while undici still holds the request, unsent. Its body is let go now
       * (it counts against the body budget no more): onConnect refuses to start the request, so
       * nothing will read it.
       */
      const settleEarly = () => {
        // Not sent in timeoutMs: queued behind calls that hold every connection (Iris's own
        // limit, a 503 to retry), or on a connection still being made (the upstream's silence).
        // (undici's pool queue holds calls only while every connection is taken.)
        gaveUp = signal.aborted ? signal.reason : pool.stats.queued > 0 ? poolBusy(options) : new DOMException('No connection to the upstream in time', 'TimeoutError');
        done();
        reject(failure(gaveUp, signal, timedOut));
      };
      const asText = (): UpstreamTextResponse => {
        const text = Buffer.concat(chunks).toString('utf8');
        return { status, headers, text: status >= 300 && options.secrets ? options.secrets.redact(text) : text };
      };
      const fail = (err: unknown) => {
        done();
        const error = failure(err, signal, timedOut);
        if (events) events.fail(error);
        // An error answer cut short still says what it can.
        else if (status >= 300) resolve(asText());
        else reject(error);
      };
      const startEvents = (resume: () => void): SseEventQueue => {
        rearm(); // from here, the wait for the first event
        const queue = new SseEventQueue({
          resume: () => {
            rearm();
            resume();
          },
          cancel: (reason) => abort?.(reason),
          received: rearm,
          drain: () => {
            clearTimeout(deadline);
            deadline = setTimeout(() => abort?.(new Error('the upstream stream went on after its end')), DRAIN_MS);
          },
        });
        events = queue;
        resolve({ status, headers, events: queue });
        return queue;
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
        if (signal.aborted) throw signal.reason;
        signal.addEventListener('abort', onAbort, { once: true });
        const sent = body;
        let retried = false;
        const handler: Dispatcher.DispatchHandler = {
          onConnect(abortRequest) {
            // Given up while queued: thrown, not abortRequest(), so undici drops the request
            // before writing it and keeps the connection (abortRequest would destroy it).
            if (gaveUp !== undefined) throw gaveUp;
            abort = abortRequest;
            if (signal.aborted) abortRequest(signal.reason as Error);
            else if (timedOut) abortRequest(new DOMException('The upstream did not answer in time', 'TimeoutError'));
            // The call goes out now (undici hands it a connection as it writes it): the upstream
            // gets its whole timeoutMs, whatever the wait for a free connection took.
            else rearm();
          },
          onHeaders(statusCode, rawHeaders, resume) {
            status = statusCode;
            // Nothing reads a 2xx answer's headers but its Content-Type: no object built per call.
            if (status >= 300) headers = headersFromRaw(rawHeaders);
            else if (stream) {
              if (contentType(rawHeaders).includes('text/event-stream')) startEvents(resume);
              else sniffing = resume;
            }
            return true;
          },
          onData(chunk) {
            if (events) return events.feed(chunk);
            received += chunk.length;
            if (received > maxAnswerBytes) {
              // An error answer says what it can from what came; any other is the upstream's fault.
              abort?.(new ApiError(502, `The ${options.label} sent an answer larger than ${formatBytes(maxAnswerBytes)}`, { type: 'upstream_error', code: 'upstream_bad_response' }));
              return false;
            }
            chunks.push(chunk);
            if (sniffing) {
              // Servers that send SSE under another label (or none): RamaLama's RAG proxy
              // (`ramalama serve --rag`, 0.23) says text/plain, NEAR AI's private-ml-sdk vLLM
              // proxy said nothing. OpenAI's SDKs read any answer to a stream request as SSE, so
              // their users never notice. A body that opens with an SSE field is not JSON.
              const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
              const sse = opensAsSse(head);
              if (sse !== undefined) {
                const resume = sniffing;
                sniffing = null;
                if (sse) {
                  chunks.length = 0;
                  return startEvents(resume).feed(head);
                }
              }
            }
            return true;
          },
          onComplete() {
            done();
            if (events) events.end();
            else resolve(asText());
          },
          onError(err) {
            // Once, on a new connection, while the caller is still waiting and the deadline holds.
            if (!retried && status === 0 && gaveUp === undefined && !timedOut && !signal.aborted && closedWhileKeptAlive(err)) {
              retried = true;
              abort = null; // until connected again: an abort or the deadline meanwhile settles early
              // After undici has let go of the closed connection, or the call would go out on it again.
              setImmediate(() => pool.dispatch(requestOptions(call, stream, sent), handler));
              return;
            }
            fail(err);
          },
        };
        pool.dispatch(requestOptions(call, stream, body), handler);
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

/**
 * A call that waited timeoutMs for one of the pool's connections, every one busy with other
 * calls: it was never sent, so the upstream did not time out. Iris is at its limit of calls
 * in flight to it: a 503 with Retry-After (which the openai SDKs retry), not a 504.
 */
function poolBusy(options: UpstreamClientOptions): ApiError {
  const connections = options.connections ?? 256;
  const setting = options.connectionsSetting ? ` (${options.connectionsSetting})` : '';
  return new ApiError(503, `All ${connections} connections to the ${options.label}${setting} stayed busy for ${options.timeoutMs} ms; the request was not sent. Retry shortly.`, {
    type: 'server_error',
    code: 'upstream_busy',
    headers: { 'retry-after': '1' },
  });
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

/**
 * A kept-alive connection that the upstream closed as this request went out on it, before any
 * byte of its answer: servers that close idle connections without announcing when (uvicorn, so
 * vLLM and FastAPI servers, after 5 s; no Keep-Alive header for undici to go by) race the next
 * request on them. The connection had carried earlier answers (bytes read) and nothing of this
 * one came (no status), so the call is sent again on a new connection, as OpenAI's own SDKs
 * retry a failed connection. A connection reset before its first answer is not retried.
 */
function closedWhileKeptAlive(err: unknown): boolean {
  // undici's 'other side closed' carries the socket's counts; a reset (ECONNRESET) does not, so
  // it cannot be told from a server failing this request, and is not retried.
  const { code, socket } = (err ?? {}) as { code?: string; socket?: { bytesRead?: number } };
  return code === 'UND_ERR_SOCKET' && (socket?.bytesRead ?? 0) > 0;
}

const SSE_FIELDS = ['data:', 'event:', 'id:', 'retry:', ':'].map((field) => Buffer.from(field));

/** Whether a body opens with an SSE field or comment; undefined while too short to tell. */
function opensAsSse(head: Buffer): boolean | undefined {
  let undecided = false;
  for (const field of SSE_FIELDS) {
    const n = Math.min(head.length, field.length);
    if (head.compare(field, 0, n, 0, n) !== 0) continue;
    if (n === field.length) return true;
    undecided = true;
  }
  return undecided ? undefined : false;
}

/** The Content-Type in undici's raw [name, value, …] list, or ''. */
function contentType(raw: Buffer[] | string[] | null): string {
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    if (raw[i].length === 12 && raw[i].toString().toLowerCase() === 'content-type') return raw[i + 1].toString();
  }
  return '';
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
  providerId: string,
  mapError: (answer: UpstreamTextResponse) => ApiError,
): UpstreamEvents {
  if ('events' in answer) return answer.events;
  if (answer.status >= 300) throw mapError(answer);
  throw new ApiError(502, `The upstream provider '${providerId}' answered a stream request without an event stream.`, {
    type: 'upstream_error',
    code: 'upstream_bad_response',
  });
}
