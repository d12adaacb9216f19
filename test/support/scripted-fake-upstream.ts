import type { ServerResponse } from 'node:http';
import { startFakeServer, type RecordedRequest } from './fake-upstream-server.ts';

// The common ground of the Anthropic and Gemini fakes: each request is answered by the next
// scripted reply or, when none is queued, by the fake's own default reply; a reply is one
// JSON body, a body of other text, an SSE stream (optionally cut after some events), or no
// answer at all. Only the headers and the framing of an event differ between the two dialects.

/** Requests as the fakes record them; bodies are read loosely (`any`) to keep tests short. */
export type LooseRequest = RecordedRequest<any>;

export type FakeReply<Event> =
  /** A JSON body (an answer, or an error body with an error status). */
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  /** A body sent as it is (an HTML page from a proxy, say): for answers that are not JSON. */
  | { kind: 'text'; status?: number; body: string; headers?: Record<string, string> }
  /** An SSE stream; `dieAfter` cuts the connection after that many events. */
  | { kind: 'sse'; events: Event[]; dieAfter?: number; headers?: Record<string, string> }
  /** Never answers: for timeouts. */
  | { kind: 'hang' };

export type ScriptedReply<Event> = FakeReply<Event> | ((req: LooseRequest) => FakeReply<Event>);

export interface ScriptedUpstream<Event> {
  /** The bare origin, e.g. http://127.0.0.1:40123 (what `base_url` takes). */
  baseUrl: string;
  requests: LooseRequest[];
  /** Replies for the next requests, in order; when none is queued the default reply answers. */
  enqueue(...replies: Array<ScriptedReply<Event>>): void;
  reset(): void;
  /** Resolves once `condition()` is true (polled), rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How one dialect frames its replies. */
export interface ReplyDialect<Event> {
  /** Headers of a JSON reply, before the reply's own. */
  jsonHeaders(): Record<string, string>;
  /** Headers of a stream, before the reply's own. */
  sseHeaders(): Record<string, string>;
  /** One event as it goes on the wire, blank line included. */
  frame(event: Event): string;
}

export async function startScriptedUpstream<Event>(
  dialect: ReplyDialect<Event>,
  defaultReply: (req: LooseRequest) => FakeReply<Event>,
): Promise<ScriptedUpstream<Event>> {
  const server = await startFakeServer<ScriptedReply<Event>, any>({
    handle(record, res, exchange) {
      const scripted = exchange.nextStep();
      const reply = scripted ? (typeof scripted === 'function' ? scripted(record) : scripted) : defaultReply(record);
      if (reply.kind === 'sse' && reply.dieAfter !== undefined) exchange.serverCloses();
      send(res, reply, dialect);
    },
  });
  return {
    baseUrl: server.origin,
    requests: server.requests,
    enqueue: (...replies) => server.script(...replies),
    reset: server.reset,
    until: server.until,
    close: server.close,
  };
}

function send<Event>(res: ServerResponse, reply: FakeReply<Event>, dialect: ReplyDialect<Event>): void {
  if (reply.kind === 'hang') return;
  if (reply.kind === 'text') {
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body);
    return;
  }
  if (reply.kind === 'json') {
    res.writeHead(reply.status ?? 200, { ...dialect.jsonHeaders(), ...reply.headers });
    res.end(JSON.stringify(reply.body));
    return;
  }
  res.writeHead(200, { ...dialect.sseHeaders(), ...reply.headers });
  reply.events.forEach((e, i) => {
    if (reply.dieAfter !== undefined && i >= reply.dieAfter) return;
    res.write(dialect.frame(e));
  });
  if (reply.dieAfter !== undefined) {
    // Let the written events leave, then cut the connection without ending the chunked body.
    setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  res.end();
}
