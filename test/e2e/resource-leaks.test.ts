// Resource leaks on error paths. Requests that end badly (the client leaves at every stage, the
// upstream fails every way it can, images are broken or their servers hostile, analysis fails,
// bodies are refused for lack of budget) are driven hundreds of times through a real Iris on
// loopback; afterwards the process must be back where it started: no more timers or sockets
// than before, no connection left open at the upstream or at Iris, the body budget and the
// image budget whole (probed: a body or an image as large as the whole budget only passes
// when nothing else holds any of it), and no image bytes left in memory.
//
// Every server here listens on 127.0.0.1; nothing leaves loopback.

import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { makeBmp, makeImage, makePngBomb } from '../../src/images/testing/test-images.ts';
import { dialectAnswer, dialectFrames } from '../support/dialect-wire.ts';
import { closedPort } from '../support/closed-port.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

// ---------------------------------------------------------------------------------------------
// Measuring

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

// Where each live timer was made, to say which one leaks when the count grows.
const liveTimers = new Map<number, string>();
createHook({
  init(id, type, _trigger, resource: { _idleTimeout?: number }) {
    if (type !== 'Timeout') return;
    const frames = (new Error().stack ?? '').split('\n').slice(5, 11).map((l) => l.trim().replace(/^at /, '')).join(' < ');
    liveTimers.set(id, `${resource._idleTimeout} ms timer from ${frames}`);
  },
  destroy(id) {
    liveTimers.delete(id);
  },
}).enable();

/** The most common live timers, by where they were made. */
function timerOrigins(top = 3): string {
  const counts = new Map<string, number>();
  for (const origin of liveTimers.values()) if (!origin.includes('resource-leaks.test.ts')) counts.set(origin, (counts.get(origin) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([origin, n]) => `  ${n}× ${origin}`).join('\n');
}

type Counts = Record<string, number>;

function activeResources(): Counts {
  const counts: Counts = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Resource types whose count grew, with before → after. */
function grown(before: Counts, now: Counts, slack = 0): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(now)])) {
    const a = before[name] ?? 0;
    const b = now[name] ?? 0;
    if (b > a + slack) out.push(`${name} ${a} → ${b}`);
  }
  return out;
}

function connectionsOf(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function settle(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return true;
    await sleep(20);
  }
  return condition();
}

function externalBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.arrayBuffers;
}

const MB = 1_000_000;

// ---------------------------------------------------------------------------------------------
// An instrumented upstream that speaks OpenAI's, Anthropic's and Gemini's wire. How it answers
// is read from the request body: `mode:<name>` anywhere in it (the vision model of analysis mode
// reads `vmode:<name>` instead, so one request can fail its analysis and not its text model).

interface Upstream {
  url: string;
  origin: string;
  server: Server;
  /** Requests whose response has not closed yet. */
  open: number;
  requests: number;
  /** Open TCP connections. */
  sockets(): number;
  close(): Promise<void>;
}

type Dialect = 'openai' | 'anthropic' | 'gemini';

function dialectOf(path: string): Dialect {
  if (path.startsWith('/v1/chat/completions')) return 'openai';
  if (path.startsWith('/v1/messages')) return 'anthropic';
  return 'gemini';
}

const SSE = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** OpenAI frames for n choices, text or a tool call. */
function openaiFrames(n: number, tools: boolean, words: string[]): string[] {
  const base = { id: 'chatcmpl-leak', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o' };
  const chunk = (choices: unknown[], usage?: unknown) => `data: ${JSON.stringify({ ...base, choices, ...(usage ? { usage } : {}) })}\n\n`;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (tools) {
      out.push(chunk([{ index: i, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: `call_${i}`, type: 'function', function: { name: 'look', arguments: '' } }] }, finish_reason: null }]));
    } else out.push(chunk([{ index: i, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  }
  for (const w of words) {
    for (let i = 0; i < n; i++) {
      out.push(chunk([{ index: i, delta: tools ? { tool_calls: [{ index: 0, function: { arguments: JSON.stringify(w).slice(0, 3) } }] } : { content: w }, finish_reason: null }]));
    }
  }
  for (let i = 0; i < n; i++) out.push(chunk([{ index: i, delta: {}, finish_reason: tools ? 'tool_calls' : 'stop' }]));
  out.push(chunk([], { prompt_tokens: 5, completion_tokens: words.length * n, total_tokens: 5 + words.length * n }));
  out.push('data: [DONE]\n\n');
  return out;
}

function framesFor(dialect: Dialect, body: { n?: number; tools?: unknown[]; tool_choice?: unknown }, words: string[]): string[] {
  if (dialect !== 'openai') return dialectFrames(dialect, words);
  return openaiFrames(body.n ?? 1, Boolean(body.tools && body.tool_choice), words);
}

function answerFor(dialect: Dialect, body: { n?: number }, text: string): unknown {
  const answer = dialectAnswer(dialect, text) as { choices?: { index: number }[] };
  if (dialect === 'openai' && (body.n ?? 1) > 1) {
    const one = answer.choices![0];
    answer.choices = Array.from({ length: body.n! }, (_, index) => ({ ...one, index }));
  }
  return answer;
}

const WORDS = Array.from({ length: 20 }, (_, i) => ` w${i}`);

async function startUpstream(): Promise<Upstream> {
  const sockets = new Set<Socket>();
  let counter = 0;
  const upstream: Upstream = {
    url: '',
    origin: '',
    server: null as unknown as Server,
    open: 0,
    requests: 0,
    sockets: () => sockets.size,
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    upstream.requests++;
    upstream.open++;
    res.once('close', () => upstream.open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: { model?: string; stream?: boolean; n?: number; tools?: unknown[]; tool_choice?: unknown } = {};
      try {
        body = JSON.parse(raw);
      } catch {
        /* answered below */
      }
      const path = req.url ?? '';
      const dialect = dialectOf(path);
      const isVision = body.model === 'vision-1';
      const mode = (isVision ? /vmode:([\w-]+)/.exec(raw) : /(?<!v)mode:([\w-]+)/.exec(raw))?.[1] ?? 'ok';
      const stream = dialect === 'gemini' ? path.includes('streamGenerateContent') : body.stream === true;
      handle(mode, dialect, body, stream, req, res, counter++);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  upstream.server = server;
  upstream.origin = `http://127.0.0.1:${port}`;
  upstream.url = `${upstream.origin}/v1`;
  upstream.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  return upstream;
}

function handle(mode: string, dialect: Dialect, body: Parameters<typeof framesFor>[1], stream: boolean, req: IncomingMessage, res: ServerResponse, count: number): void {
  const frames = () => framesFor(dialect, body, WORDS);
  const normal = () => {
    if (stream) res.writeHead(200, SSE).end(frames().join(''));
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answerFor(dialect, body, 'All is well.')));
  };
  switch (mode) {
    case 'ok':
      return normal();
    case 'altfail':
      // Every other request fails: one of Anthropic's n calls.
      if (count % 2 === 0) return normal();
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'boom' } }));
      return;
    case 'slow': {
      // The stream, a frame every 10 ms, until the client goes.
      if (!stream) {
        const t = setTimeout(normal, 50);
        res.once('close', () => clearTimeout(t));
        return;
      }
      res.writeHead(200, SSE);
      const all = frames();
      let i = 0;
      const timer = setInterval(() => {
        if (i < all.length) res.write(all[i++]);
        else {
          clearInterval(timer);
          res.end();
        }
      }, 10);
      res.once('close', () => clearInterval(timer));
      return;
    }
    case 'hang':
      return;
    case 'stall':
      res.writeHead(200, stream ? SSE : { 'content-type': 'application/json' });
      res.write(stream ? frames().slice(0, 2).join('') : '{"id":');
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'cut': {
      if (stream) {
        res.writeHead(200, SSE);
        res.write(frames().slice(0, 3).join(''), () => req.socket.destroy());
      } else {
        const text = JSON.stringify(answerFor(dialect, body, 'All is well.'));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        res.write(text.slice(0, text.length >> 1), () => req.socket.destroy());
      }
      return;
    }
    case 'e429':
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded', param: null } }));
      return;
    case 'e500':
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'boom', type: 'server_error', code: null, param: null } }));
      return;
    case 'badjson':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"not json');
      return;
    case 'badsse':
      res.writeHead(200, SSE).end('data: {"not json\n\n');
      return;
    case 'flood': {
      // Chunks as fast as the reader takes them, until it goes.
      res.writeHead(200, SSE);
      const frame = openaiFrames(1, false, [` ${'z'.repeat(2000)}`])[1];
      const push = () => {
        while (!res.destroyed && res.write(frame));
        if (!res.destroyed) res.once('drain', push);
      };
      return push();
    }
    case 'huge': {
      // An answer past Iris's 64 MiB bound for answers read whole (or one SSE event past 32 MiB).
      const piece = Buffer.alloc(1 << 20, 0x61);
      const total = stream ? 34 : 66;
      res.writeHead(200, stream ? SSE : { 'content-type': 'application/json' });
      res.write(stream ? 'data: {"x":"' : '{"x":"');
      let sent = 0;
      const push = () => {
        while (!res.destroyed && sent < total) {
          sent++;
          if (!res.write(piece)) return void res.once('drain', push);
        }
        if (!res.destroyed) res.end('"}\n\n');
      };
      return push();
    }
    case 'doneHold':
      // The whole stream, [DONE] included, and then the body is never ended.
      res.writeHead(200, SSE);
      res.write(frames().join(''));
      return;
    default:
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `unknown mode ${mode}`, type: 'invalid_request_error', code: null, param: null } }));
  }
}

// ---------------------------------------------------------------------------------------------
// Clients

interface Answer {
  status: number;
  text: string;
}

type AbortAt = 'never' | 'response' | 'firstData' | 'done' | number | Promise<unknown>;

/**
 * POSTs a chat request on a connection of its own (agent: false). `abortAt`: destroy the request
 * at its response's headers, at its first body bytes, once `[DONE]` was read, or after that many ms.
 */
function post(iris: RunningIris, body: unknown, abortAt: AbortAt = 'never', timeoutMs = 20_000): Promise<Answer | null> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${iris.baseURL}/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (value: Answer | null) => {
      clearTimeout(timer);
      resolve(value);
    };
    if (typeof abortAt === 'number') {
      setTimeout(() => {
        req.destroy();
        finish(null);
      }, abortAt);
    } else if (abortAt instanceof Promise) {
      void abortAt.then(() => {
        req.destroy();
        finish(null);
      });
    }
    req.on('error', () => finish(null));
    req.on('response', (res) => {
      if (abortAt === 'response') {
        req.destroy();
        return finish(null);
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (abortAt === 'firstData' || (abortAt === 'done' && text.includes('[DONE]'))) {
          req.destroy();
          finish(null);
        }
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, text }));
      res.on('error', () => finish(null));
    });
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

/** Runs `count` tasks, `parallel` at a time. */
async function repeat(count: number, parallel: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const user = (text: string, ...images: string[]) => [
  { role: 'user', content: [{ type: 'text', text }, ...images.map((url) => ({ type: 'image_url', image_url: { url } }))] },
];

// ---------------------------------------------------------------------------------------------
// A hostile image server on loopback (allow-listed for Iris's fetcher).

async function startImageServer(png: Buffer): Promise<{ origin: string; server: Server; open: () => number; close(): Promise<void> }> {
  let open = 0;
  const server = createServer((req, res) => {
    open++;
    res.once('close', () => open--);
    const path = (req.url ?? '').split('?')[0];
    if (path === '/ok.png') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
    if (path === '/hang') return; // never answers
    if (path === '/loop') return void res.writeHead(302, { location: `/loop?${Math.random()}`, 'content-length': 0 }).end();
    if (path === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>no</html>');
    if (path === '/endless') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 0xff);
      const push = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', push);
      };
      return push();
    }
    if (path === '/truncated') return void res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png.subarray(0, png.length >> 1));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    open: () => open,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A 1×1 PNG. */
const TINY_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

// ---------------------------------------------------------------------------------------------
// The world

const BODY_BUDGET = 1 * MB;
const IMAGE_BUDGET = 1 * MB;
const UPSTREAM_TIMEOUT_MS = 400;

let upstream: Upstream;
let images: Awaited<ReturnType<typeof startImageServer>>;
let iris: RunningIris;
let bigPng: Buffer; // incompressible, larger than the image budget
let bigPngUrl: string;
let bmpUrl: string; // needs a conversion: takes a transform slot
let deadPort: number;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  bigPng = await makeImage('png', 620, 620, { noise: true });
  assert.ok(bigPng.length > IMAGE_BUDGET, `the big PNG is ${bigPng.length} bytes`);
  bigPngUrl = `data:image/png;base64,${bigPng.toString('base64')}`;
  bmpUrl = `data:image/bmp;base64,${(await makeBmp(64, 64)).toString('base64')}`;
  upstream = await startUpstream();
  images = await startImageServer(await makeImage('png', 64, 64));
  deadPort = await closedPort();
  const timeout = { timeout_ms: UPSTREAM_TIMEOUT_MS };
  iris = await startIris({
    providers: {
      oai: { type: 'openai', base_url: upstream.url, api_key: 'sk-up', fetch_urls: 'iris', ...timeout },
      ant: { type: 'anthropic', base_url: upstream.origin, api_key: 'sk-ant', ...timeout },
      gem: { type: 'gemini', base_url: upstream.origin, api_key: 'sk-gem', ...timeout },
      dead: { type: 'openai', base_url: `http://127.0.0.1:${deadPort}/v1`, ...timeout },
    },
    models: [
      { name: 'gpt', provider: 'oai' },
      { name: 'claude', provider: 'ant' },
      { name: 'gemini', provider: 'gem' },
      { name: 'dead', provider: 'dead' },
      { name: 'text-1', provider: 'oai', vision: false },
      { name: 'vision-1', provider: 'oai' },
    ],
    analysis: { model: 'vision-1', timeout_ms: UPSTREAM_TIMEOUT_MS, keepalive_ms: 30, cache_entries: 0 },
    limits: { max_body_bytes: 4 * MB, inflight_body_bytes: BODY_BUDGET },
    server: { client_read_timeout_s: 1 },
    images: {
      fetch: { allow_hosts: [new URL(images.origin).host], timeout_ms: UPSTREAM_TIMEOUT_MS, max_bytes: 3 * MB, max_redirects: 3 },
      inflight_bytes: IMAGE_BUDGET,
      inflight_wait_ms: 300,
      transform_concurrency: 1,
      transform_wait_ms: 300,
      cache_bytes: 0,
    },
  });
});

after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await iris?.close();
  await upstream?.close();
  await images?.close();
});

/** Iris and the upstream are idle: no connection at Iris, no request open at the upstream or image server. */
async function quiet(): Promise<{ irisConnections: number; upstreamOpen: number; imageOpen: number }> {
  const state = async () => ({ irisConnections: await connectionsOf(iris.iris.app.server), upstreamOpen: upstream.open, imageOpen: images.open() });
  await settle(async () => {
    const s = await state();
    return s.irisConnections === 0 && s.upstreamOpen === 0 && s.imageOpen === 0;
  });
  return state();
}

/** Nothing holds any of the body budget: a body larger than the whole budget is let in. */
async function bodyBudgetIsWhole(): Promise<boolean> {
  const body = JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x'.repeat(BODY_BUDGET * 1.5) }] });
  const answer = await post(iris, body);
  return answer !== null && answer.status !== 503;
}

/** Nothing holds any of the image budget (nor the one transform slot): an image as large as the whole budget passes. */
async function imageBudgetIsWhole(): Promise<{ ok: boolean; detail: string }> {
  const big = await post(iris, { model: 'gpt', messages: user('mode:ok', bigPngUrl) });
  const converted = await post(iris, { model: 'gpt', messages: user('mode:ok', bmpUrl) });
  return {
    ok: big?.status === 200 && converted?.status === 200,
    detail: `whole-budget image: ${big?.status} ${big?.text.slice(0, 120)}; converted image: ${converted?.status} ${converted?.text.slice(0, 120)}`,
  };
}

interface Baseline {
  resources: Counts;
  external: number;
  upstreamSockets: number;
}

async function baseline(): Promise<Baseline> {
  await quiet();
  return { resources: activeResources(), external: externalBytes(), upstreamSockets: upstream.sockets() };
}

/**
 * The checks after a scenario run `parallel` requests at a time: nothing open at Iris, the
 * upstream or the image server; both budgets whole; no handle type grown past the baseline (a
 * fresh idle keep-alive connection to the upstream per parallel lane is allowed: undici opens
 * one when it gives up a connection, and closes it after its keep-alive timeout); no buffers
 * grown by more than `memSlack` bytes.
 */
async function assertBackToIdle(label: string, base: Baseline, parallel: number, memSlack = 8 * MB): Promise<string> {
  const q = await quiet();
  const body = await bodyBudgetIsWhole();
  const image = await imageBudgetIsWhole();
  await quiet();
  const socketSlack = 3 * parallel + 4;
  let growth: string[] = [];
  const check = () => {
    const now = activeResources();
    growth = grown(
      { ...base.resources, TCPSocketWrap: (base.resources.TCPSocketWrap ?? 0) + socketSlack, Timeout: (base.resources.Timeout ?? 0) + socketSlack },
      now,
      2,
    );
    return growth.length === 0;
  };
  // undici's idle keep-alive connections to the image server (and their timers) go after 4 s.
  await settle(check, 6_000);
  const external = externalBytes();
  const report =
    `${label}: iris connections ${q.irisConnections}, upstream requests open ${q.upstreamOpen}, image requests open ${q.imageOpen}, ` +
    `upstream sockets ${base.upstreamSockets} → ${upstream.sockets()}, active resources ${JSON.stringify(base.resources)} → ${JSON.stringify(activeResources())}, ` +
    `buffers ${(base.external / MB).toFixed(1)} → ${(external / MB).toFixed(1)} MB, body budget whole: ${body}, image budget: ${image.detail.slice(0, 160)}`;
  assert.equal(q.irisConnections, 0, `${label}: connections left open at Iris\n${report}`);
  assert.equal(q.upstreamOpen, 0, `${label}: upstream requests never ended\n${report}`);
  assert.equal(q.imageOpen, 0, `${label}: image fetches never ended\n${report}`);
  assert.ok(body, `${label}: the body budget is not whole again (a body larger than the whole budget was refused 503)\n${report}`);
  assert.ok(image.ok, `${label}: the image budget is not whole again: ${image.detail}\n${report}`);
  assert.deepEqual(growth, [], `${label}: active resources grew\n${report}\nlive timers:\n${timerOrigins()}`);
  assert.ok(upstream.sockets() <= base.upstreamSockets + socketSlack, `${label}: upstream sockets grew\n${report}`);
  assert.ok(external - base.external < memSlack, `${label}: buffers grew by ${((external - base.external) / MB).toFixed(1)} MB\n${report}`);
  assert.deepEqual(unhandled, [], `${label}: unhandled rejections`);
  return report;
}

const N = Number(process.env.LEAK_ITERATIONS ?? 200);
const P = 10;

/** Opens a raw connection to Iris. */
async function rawSocket(): Promise<Socket> {
  const { port } = new URL(iris.origin);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

const head = (length: number) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${iris.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

const MODELS = ['gpt', 'claude', 'gemini'] as const;

/** Resolves (a moment later) once the upstream has received one more request than now. */
function upstreamReached(extra = 2): Promise<void> {
  const before = upstream.requests;
  return settle(() => upstream.requests > before, 5_000).then(() => sleep(extra));
}

/** Resolves once the image server has received one more request than now. */
function imageServerReached(): Promise<void> {
  const before = images.open();
  return settle(() => images.open() > before, 5_000).then(() => sleep(2));
}

describe('resource leaks on error paths', () => {
  before(async () => {
    // Warm up: the decode scratch buffer (kept for good by design), first connections, lazy modules.
    await imageBudgetIsWhole();
    await bodyBudgetIsWhole();
    for (const model of MODELS) await post(iris, { model, stream: true, messages: user('mode:ok') });
  });

  describe('the client leaves', () => {
    it('while uploading a large body', async () => {
      const base = await baseline();
      await repeat(N, P, async () => {
        const socket = await rawSocket();
        socket.write(head(900_000) + '{"model":"gpt","messages":[{"role":"user","content":"' + 'x'.repeat(300_000));
        await sleep(5);
        socket.destroy();
      });
      await assertBackToIdle('left while uploading', base, P);
    });

    it('while the upstream has not answered yet (plain and stream, all three dialects)', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        await post(iris, { model: MODELS[i % 3], stream: i % 2 === 0, messages: user('mode:hang') }, upstreamReached());
      });
      await assertBackToIdle('left while the upstream thinks', base, P);
    });

    it('mid-stream (all three dialects, OpenAI with n=2 and with tools)', async () => {
      const base = await baseline();
      const tools = [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } }];
      await repeat(N, P, async (i) => {
        const kind = i % 5;
        const body =
          kind < 3 ? { model: MODELS[kind], stream: true, messages: user('mode:slow') }
          : kind === 3 ? { model: 'gpt', stream: true, n: 2, messages: user('mode:slow') }
          : { model: 'gpt', stream: true, tools, tool_choice: 'required', messages: user('mode:slow') };
        await post(iris, body, 'firstData');
      });
      await assertBackToIdle('left mid-stream', base, P);
    });

    it('right after [DONE], and when the upstream never ends its body after [DONE]', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        await post(iris, { model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: user(i % 2 ? 'mode:ok' : 'mode:doneHold') }, 'done');
      });
      await assertBackToIdle('left after [DONE]', base, P);
    });

    it('while Iris fetches an image URL from a server that never answers', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        await post(iris, { model: 'gpt', stream: i % 2 === 0, messages: user('mode:ok', `${images.origin}/hang?${i}`) }, imageServerReached());
      });
      await assertBackToIdle('left during an image fetch', base, P);
    });

    it('while analysis mode describes its images (stream with keep-alives, and plain)', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        const image = i % 3 === 0 ? bigPngUrl : TINY_PNG;
        await post(iris, { model: 'text-1', stream: i % 2 === 0, messages: user(`mode:ok vmode:hang ${i}`, image, TINY_PNG) }, upstreamReached(i % 2 ? 2 : 50));
      });
      await assertBackToIdle('left during analysis', base, P, 8 * MB);
    });
  });

  describe('the upstream fails', () => {
    const failures = ['reset', 'cut', 'hang', 'stall', 'e429', 'e500', 'badjson', 'badsse', 'doneHold'];
    it(`every way (${failures.join(', ')}), plain and stream, in all three dialects; and a refused connection`, async () => {
      const base = await baseline();
      const statuses = new Map<string, number>();
      await repeat(N * 2, P * 2, async (i) => {
        const mode = failures[i % failures.length];
        const model = Math.floor(i / failures.length) % 4 === 3 ? 'dead' : MODELS[Math.floor(i / failures.length) % 3];
        const stream = Math.floor(i / (failures.length * 4)) % 2 === 0;
        const answer = await post(iris, { model, stream, messages: user(`mode:${mode}`) });
        const key = `${model}/${mode}/${stream ? 'stream' : 'plain'}`;
        statuses.set(`${key} ${answer?.status}`, (statuses.get(`${key} ${answer?.status}`) ?? 0) + 1);
      });
      await assertBackToIdle('upstream failures', base, P * 2);
    });

    it('one of the n calls Anthropic needs for n > 1 fails (plain and stream)', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        const answer = await post(iris, { model: 'claude', n: 3, stream: i % 2 === 0, messages: user(i % 4 < 2 ? 'mode:altfail' : 'mode:slow') }, i % 4 < 2 ? 'never' : 'firstData');
        if (answer) assert.ok(answer.status === 200 || answer.status >= 500, `${answer.status}`);
      });
      await assertBackToIdle('anthropic n>1 with a failing call', base, 3 * P);
    });
  });

  describe('images that fail', () => {
    it('bad base64, not an image, truncated, huge dimensions; URLs that hang, loop, never end, are HTML or truncated', async () => {
      const base = await baseline();
      const png = (await makeImage('png', 64, 64)).toString('base64');
      const mediumPngUrl = `data:image/png;base64,${(await makeImage('png', 220, 220, { noise: true })).toString('base64')}`;
      const bad = [
        'data:image/png;base64,@@@@',
        `data:image/png;base64,${Buffer.from('hello, this is not an image at all').toString('base64')}`,
        `data:image/png;base64,${png.slice(0, Math.floor(png.length / 8) * 4)}`,
        `data:image/png;base64,${makePngBomb(100_000, 100_000).toString('base64')}`,
        `${images.origin}/hang`,
        `${images.origin}/loop`,
        `${images.origin}/endless`,
        `${images.origin}/html`,
        `${images.origin}/truncated`,
      ];
      const statuses = new Map<number, number>();
      const count = Math.min(N, 90);
      await repeat(count, 3, async (i) => {
        // Beside the bad one, an image that holds part of the budget, or one being converted: the bad one's failure must give it back.
        const extra = i % 2 === 0 ? [mediumPngUrl] : [bmpUrl];
        const answer = await post(iris, { model: i % 3 === 2 ? 'gemini' : 'gpt', stream: i % 4 < 2, messages: user(`mode:ok ${i}`, bad[i % bad.length], ...extra) });
        statuses.set(answer?.status ?? 0, (statuses.get(answer?.status ?? 0) ?? 0) + 1);
        if (answer?.status === 503) assert.match(answer.text, /images_overloaded/); // the endless body asks for more budget than there is
      });
      assert.ok((statuses.get(400) ?? 0) > count * 0.6, 'the requests reached their bad image');
      await assertBackToIdle('bad images', base, 3);
    });
  });

  describe('analysis mode', () => {
    it('the vision model fails, times out or answers nonsense (plain and stream)', async () => {
      const base = await baseline();
      const vmodes = ['e500', 'hang', 'badjson', 'reset', 'e429'];
      await repeat(N, P, async (i) => {
        const answer = await post(iris, { model: i % 3 === 0 ? 'gpt-ocr' : 'text-1', stream: i % 2 === 0, messages: user(`mode:ok vmode:${vmodes[i % vmodes.length]} ${i}`, TINY_PNG, bigPngUrl) });
        assert.ok(answer && answer.status !== 200 ? answer.status >= 400 : true);
      });
      await assertBackToIdle('analysis failures', base, P);
    });
  });

  describe('the body budget', () => {
    it('is whole again after concurrent bodies past it were refused (sized and chunked)', async () => {
      const base = await baseline();
      const statuses = new Map<number, number>();
      for (let round = 0; round < 10; round++) {
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const body = JSON.stringify({ model: 'gpt', stream: i % 2 === 0, messages: user(`mode:slow ${'y'.repeat(300_000)}`) });
            const answer = await post(iris, body, i % 5 === 4 ? 'firstData' : 'never');
            if (answer) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          }),
        );
      }
      assert.ok((statuses.get(503) ?? 0) > 0, 'some bodies were refused');
      await assertBackToIdle('body budget', base, 20);
    });
  });

  describe('the client reads nothing of its stream', () => {
    it('is cut off after client_read_timeout_s and leaves nothing behind', async () => {
      const base = await baseline();
      // A stream far larger than the socket buffers, never read.
      const sockets = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const socket = await rawSocket();
          const body = JSON.stringify({ model: 'gpt', stream: true, messages: user('mode:flood') });
          socket.write(head(Buffer.byteLength(body)) + body);
          socket.pause(); // reads nothing
          return socket;
        }),
      );
      const started = performance.now();
      await settle(() => upstream.open > 0, 2_000);
      // Iris cuts them off: its side of each connection closes, the upstream calls end.
      const cut = await settle(async () => (await connectionsOf(iris.iris.app.server)) === 0 && upstream.open === 0, 10_000);
      const ms = Math.round(performance.now() - started);
      const left = await connectionsOf(iris.iris.app.server);
      const upstreamLeft = upstream.open;
      for (const socket of sockets) socket.destroy();
      assert.ok(cut, `${ms} ms after 10 clients stopped reading their streams (client_read_timeout_s 1), ${left} connections remain at Iris and ${upstreamLeft} upstream calls are open`);
      await assertBackToIdle('unread streams', base, 10);
    });
  });

  describe('graceful shutdown', () => {
    it('with requests in flight (plain, streams, image fetches, analysis): nothing is left behind', async () => {
      await quiet();
      const resourcesBefore = activeResources();
      const upstreamOpenBefore = upstream.open;
      const second = await startIris({
        providers: { oai: { type: 'openai', base_url: upstream.url, fetch_urls: 'iris', timeout_ms: 10_000 } },
        models: [{ name: 'gpt', provider: 'oai' }, { name: 'text-1', provider: 'oai', vision: false }, { name: 'vision-1', provider: 'oai' }],
        analysis: { model: 'vision-1', keepalive_ms: 30 },
        images: { fetch: { allow_hosts: [new URL(images.origin).host], timeout_ms: 10_000 } },
      });
      const bodies = [
        { model: 'gpt', messages: user('mode:hang') },
        { model: 'gpt', stream: true, messages: user('mode:hang') },
        { model: 'gpt', stream: true, messages: user('mode:stall') },
        { model: 'gpt', messages: user('mode:ok', `${images.origin}/hang`) },
        { model: 'text-1', stream: true, messages: user('mode:ok vmode:hang', TINY_PNG) },
      ];
      const pending = Array.from({ length: 40 }, (_, i) => post(second, bodies[i % bodies.length], 'never', 15_000).catch(() => null));
      await settle(() => upstream.open - upstreamOpenBefore + images.open() >= 40, 5_000);
      await sleep(50);
      await second.iris.close(200);
      const answers = await Promise.all(pending);
      await second.close().catch(() => undefined); // its data directory
      const statuses = answers.map((a) => a?.status ?? 0);
      const q = await quiet();
      let growth: string[] = [];
      await settle(() => (growth = grown(resourcesBefore, activeResources(), 2)).length === 0, 6_000);
      const report = `shutdown: statuses ${JSON.stringify(Object.fromEntries(statuses.map((s) => [s, statuses.filter((x) => x === s).length])))}, upstream requests open ${q.upstreamOpen}, image requests open ${q.imageOpen}, active resources ${JSON.stringify(resourcesBefore)} → ${JSON.stringify(activeResources())}`;
      assert.equal(q.upstreamOpen, 0, report);
      assert.equal(q.imageOpen, 0, report);
      assert.deepEqual(growth, [], `${report}\nlive timers:\n${timerOrigins()}`);
    });
  });

  describe('pipelined requests', () => {
    it('a request queued behind another on a connection the client then closes', async () => {
      const base = await baseline();
      const iterations = Math.ceil(N / 4);
      await repeat(iterations, 5, async (i) => {
        const socket = await rawSocket();
        const first = JSON.stringify({ model: 'gpt', messages: user('mode:hang') });
        const second = JSON.stringify({ model: 'gpt', stream: i % 2 === 0, messages: user(`mode:slow ${'p'.repeat(100_000)}`) });
        const before = upstream.requests;
        socket.write(head(Buffer.byteLength(first)) + first + head(Buffer.byteLength(second)) + second);
        await settle(() => upstream.requests >= before + 2, 2_000);
        socket.destroy();
      });
      await assertBackToIdle('pipelined requests, connection closed', base, 10);
    });
  });

  describe('answers too large', () => {
    it('an answer past 64 MiB and a stream event past 32 MiB give their memory back', async () => {
      const base = await baseline();
      for (let i = 0; i < 4; i++) {
        const answer = await post(iris, { model: 'gpt', stream: i % 2 === 1, messages: user('mode:huge') }, 'never', 30_000);
        assert.ok(answer && (answer.status === 502 || answer.text.includes('upstream_')), `${answer?.status} ${answer?.text.slice(0, 200)}`);
      }
      await assertBackToIdle('answers too large', base, 2, 16 * MB);
    });
  });

  describe('chunked bodies (no Content-Length)', () => {
    it('cut off mid-way, or refused for lack of budget, give the budget back', async () => {
      const base = await baseline();
      await repeat(N, P, async (i) => {
        const socket = await rawSocket();
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${iris.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        const piece = '{"model":"gpt","messages":[{"role":"user","content":"' + 'c'.repeat(200_000);
        socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
        if (i % 2 === 0) {
          await sleep(5);
          socket.destroy(); // cut off mid-body
          return;
        }
        const more = 'c'.repeat(200_000);
        for (let k = 0; k < 4; k++) socket.write(`${more.length.toString(16)}\r\n${more}\r\n`);
        const end = '"}]}';
        socket.write(`${end.length.toString(16)}\r\n${end}\r\n0\r\n\r\n`);
        await settle(() => socket.bytesRead > 0 || socket.destroyed, 5_000);
        socket.destroy();
      });
      await assertBackToIdle('chunked bodies', base, P);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The engine's response_format json_schema: validators compiled for clients' schemas are kept
// in a cache bounded to 64 (src/providers/local/json-schema-answer.ts), evicted with Ajv's
// removeSchema(). Any request to the engine model with a schema of its own goes through it
// (before any image is analysed, even one then refused with 400).

describe('the engine\'s JSON-schema validators', () => {
  it('stay bounded: 3000 distinct client schemas hold no more heap than the 64 kept', async () => {
    const { checkResponseSchema } = await import('../../src/providers/local/json-schema-answer.ts');
    const format = (i: number) => ({ type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { answer: { type: 'string', description: `the answer, take ${i}` } } } } });
    // Past the cache's bound first, so what is measured is steady state.
    for (let i = 0; i < 200; i++) checkResponseSchema(format(i) as never);
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 200; i < 3200; i++) checkResponseSchema(format(i) as never);
    gc();
    gc();
    const grownBy = process.memoryUsage().heapUsed - before;
    assert.ok(grownBy < 2 * MB, `the heap grew by ${(grownBy / MB).toFixed(1)} MB over 3000 distinct schemas (about ${Math.round(grownBy / 3000)} bytes each): evicted validators are still referenced`);
  });
});
