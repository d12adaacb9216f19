import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// A loopback HTTP proxy in front of a fake OpenAI upstream that makes it behave like a
// particular kind of real model: `rejectImages` answers any request with an image part the
// way OpenAI answers a text-only model (400 before the model runs); `delayMs` makes a slow
// model (for keep-alives, timeouts and concurrency). It counts requests in flight.

export interface GateOptions {
  /** Base URL of the upstream, ending in /v1. */
  target: string;
  rejectImages?: boolean;
  delayMs?: number;
}

export interface Gate {
  url: string;
  /** Chat requests refused for carrying images. */
  rejected: number;
  /** Most chat requests in flight at once. */
  maxInFlight: number;
  /** Changeable between requests. */
  delayMs: number;
  close(): Promise<void>;
}

export const TEXT_ONLY_ERROR = {
  error: {
    message: 'Invalid content type. image_url is only supported by certain models: image input is not supported by this model.',
    type: 'invalid_request_error',
    param: 'messages.[0].content.[1].type',
    code: null,
  },
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function hasImagePart(body: unknown): boolean {
  const messages = (body as { messages?: { content?: unknown }[] } | null)?.messages;
  if (!Array.isArray(messages)) return false;
  return messages.some((m) => Array.isArray(m.content) && m.content.some((p: { type?: string }) => p?.type === 'image_url'));
}

export async function startGate(options: GateOptions): Promise<Gate> {
  const targetUrl = new URL(options.target);
  let inFlight = 0;
  const gate: Gate = {
    url: '',
    rejected: 0,
    maxInFlight: 0,
    delayMs: options.delayMs ?? 0,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = (req.url ?? '/').replace(/^\/v1/, '');
      const isChat = req.method === 'POST' && path.startsWith('/chat/completions');
      if (isChat) {
        let body: unknown = null;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          // forwarded as is; the upstream answers malformed JSON itself
        }
        if (options.rejectImages && hasImagePart(body)) {
          gate.rejected++;
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify(TEXT_ONLY_ERROR));
          return;
        }
        inFlight++;
        gate.maxInFlight = Math.max(gate.maxInFlight, inFlight);
      }
      try {
        if (isChat && gate.delayMs > 0) await sleep(gate.delayMs);
        const upstream = await fetch(`${targetUrl.origin}${targetUrl.pathname}${path}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(raw),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        if (upstream.body) for await (const chunk of upstream.body) res.write(chunk);
        res.end();
      } finally {
        if (isChat) inFlight--;
      }
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  gate.url = `http://127.0.0.1:${port}/v1`;
  gate.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  return gate;
}
