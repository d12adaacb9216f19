import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// The server every fake upstream stands on, whatever dialect it speaks: node:http on
// 127.0.0.1 only (tests never leave loopback), every request recorded with its parsed body
// and whether the client gave up on it, a queue of scripted steps for the next requests, a
// poll for test conditions, and a close that cuts open connections so that a hung reply
// cannot keep a test alive.

export interface RecordedRequest<Body = unknown> {
  method: string;
  /** Path with query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** As received; names are lower-case. */
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text if it was not JSON; undefined when empty. */
  body: Body;
  /** The client went away before the response was complete. */
  aborted: boolean;
}

export interface Exchange<Step> {
  /** Takes the next scripted step, if one is queued (a fake takes one per request it scripts). */
  nextStep(): Step | undefined;
  /** The fake itself will cut this connection, so the request is not marked aborted. */
  serverCloses(): void;
}

export interface FakeServerOptions<Step, Body> {
  /** Answers one request once its body is read and recorded. */
  handle(record: RecordedRequest<Body>, res: ServerResponse, exchange: Exchange<Step>): void | Promise<void>;
  /** Bodies larger than this are not read; `tooLarge` answers them instead. */
  maxBodyBytes?: number;
  tooLarge?(res: ServerResponse): void;
  /** Answers when handling throws (default: a bare 500, or a cut connection once headers are out). */
  failed?(res: ServerResponse, error: unknown): void;
}

export interface FakeServer<Step, Body> {
  /** The bare origin, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  requests: RecordedRequest<Body>[];
  /** Queues steps for the next requests, in order. */
  script(...steps: Step[]): void;
  /** Forgets recorded requests and queued steps. */
  reset(): void;
  /** Resolves once `condition()` is true (polled), rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeServer<Step, Body = unknown>(options: FakeServerOptions<Step, Body>): Promise<FakeServer<Step, Body>> {
  const requests: RecordedRequest<Body>[] = [];
  let queue: Step[] = [];
  let closing = false;

  const server = createServer((req, res) => {
    const record: RecordedRequest<Body> = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: undefined as Body, aborted: false };
    requests.push(record);
    let serverClosed = false;
    res.on('close', () => {
      if (!res.writableFinished && !serverClosed && !closing) record.aborted = true;
    });

    void (async () => {
      const raw = await readBody(req, options.maxBodyBytes ?? Infinity);
      if (raw === null) return options.tooLarge?.(res) ?? void res.writeHead(413).end();
      try {
        record.body = (raw === '' ? undefined : JSON.parse(raw)) as Body;
      } catch {
        record.body = raw as Body;
      }
      await options.handle(record, res, { nextStep: () => queue.shift(), serverCloses: () => void (serverClosed = true) });
    })().catch((error: unknown) => {
      if (options.failed) options.failed(res, error);
      else if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake upstream failed: ${String(error)}`);
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    script: (...steps) => void queue.push(...steps),
    reset() {
      requests.length = 0;
      queue = [];
    },
    async until(condition, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`fake upstream: condition not met within ${timeoutMs} ms`);
        await sleep(5);
      }
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The body as text; null once it grows past `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
