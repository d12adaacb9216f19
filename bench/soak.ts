// Does Iris leak under hours of mixed, adversarial traffic? Starts Iris exactly as `npm start`
// does (its VAR= words and Node flags, engine off) against fake OpenAI, Anthropic and Gemini
// upstreams on loopback, drives a steady mix of good, failing and misbehaving requests at a
// fixed concurrency, and samples Iris's RSS, file descriptors, sockets and threads every few
// seconds. It opens Iris's inspector with SIGUSR1 (no flag changes) to read, before, during and
// after the load, the heap after a full collection and the handles that keep its loop alive.
//
//   node bench/soak.ts                       # 300 s, 16 at a time
//   SOAK_SECONDS=60 node bench/soak.ts       # a quick check
//   SOAK_SECONDS=3600 SOAK_CONCURRENCY=32 node bench/soak.ts
//
// Other knobs: SOAK_SLOW_LANES (2 of the concurrency run only requests that take seconds:
// hanging upstreams), SOAK_SAMPLE_S (5), SOAK_IDLE_S (35, the quiet period before the baseline
// and the end figures), SOAK_PROBES (4 inspector probes during the load), SOAK_PROGRESS_S (30),
// SOAK_LOG_LEVEL (warn), SOAK_CACHE_BYTES (images.cache_bytes, 16 MiB: a bounded cache that
// fills is not a leak, and a small one fills at once), SOAK_INSPECT=0 (no inspector),
// GATEWAY_CPUS (1) / LOAD_CPUS (0) for taskset, RUN_DIR. Results land in
// bench/results/soak-<time>/: summary.md, samples.csv, iris.log, the config.
//
// Every request kind has one expected outcome; anything else is counted, kept (the first few
// with their message) and reported. The exit code is 1 when anything unexpected happened.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import sharp from 'sharp';
import { Agent, fetch as undiciFetch, request } from 'undici';
import {
  anthropicError, anthropicMessage, anthropicStreamEvents, FAKE_ANTHROPIC_KEY, FAKE_ANTHROPIC_MODEL, startFakeAnthropic,
} from '../test/support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, FAKE_GEMINI_MODEL, geminiError, geminiResponse, geminiStreamEvents, startFakeGemini } from '../test/support/fake-gemini-upstream.ts';
import { startFakeOpenAI } from '../test/support/fake-openai-upstream.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: "${raw}" is not a number`);
  return value;
};
const SECONDS = int('SOAK_SECONDS', 300);
const CONCURRENCY = Math.max(1, int('SOAK_CONCURRENCY', 16));
const SLOW_LANES = Math.min(Math.max(0, int('SOAK_SLOW_LANES', 2)), CONCURRENCY - 1);
const SAMPLE_S = Math.max(1, int('SOAK_SAMPLE_S', 5));
const PROBES = int('SOAK_PROBES', 4); // inspector probes during the load, evenly spaced
// Iris closes idle upstream connections after 30 s (src/providers/upstream/upstream-client.ts).
const IDLE_S = int('SOAK_IDLE_S', 35);
const PROGRESS_S = Math.max(1, int('SOAK_PROGRESS_S', 30));
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL || 'warn';
const CACHE_BYTES = int('SOAK_CACHE_BYTES', 16 * 1024 * 1024);
const INSPECT = process.env.SOAK_INSPECT !== '0';
const UPSTREAM_TIMEOUT_MS = 2000;
const RESIZE_EDGE = 1024;
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
const RUN_DIR = resolve(process.env.RUN_DIR || join(HERE, 'results', `soak-${stamp}`));
mkdirSync(RUN_DIR, { recursive: true });

const log = (line: string) => console.log(line);
const mb = (bytes: number) => bytes / 1048576;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------
// CPU pinning: the load, the fakes and this script on LOAD_CPUS; Iris on GATEWAY_CPUS.

const CPUS = availableParallelism();
const haveTaskset = spawnSync('taskset', ['-V']).status === 0;
const PIN = haveTaskset && CPUS >= 2;
const GATEWAY_CPUS = process.env.GATEWAY_CPUS || '1';
const LOAD_CPUS = process.env.LOAD_CPUS || '0';
if (PIN) spawnSync('taskset', ['-a', '-cp', LOAD_CPUS, String(process.pid)], { stdio: 'ignore' });

// ---------------------------------------------------------------------------------------------
// Fake upstreams: one instance per behaviour, so that concurrent requests never race for a
// scripted step. Their request logs are emptied every second (they keep whole bodies).

const oaOk = await startFakeOpenAI();
const oa429 = await startFakeOpenAI({ defaultBehaviour: { kind: 'error', status: 429 } });
const oa500 = await startFakeOpenAI({ defaultBehaviour: { kind: 'error', status: 500 } });
const oaHang = await startFakeOpenAI({ defaultBehaviour: { kind: 'hang' } });
const oaDie = await startFakeOpenAI({ defaultBehaviour: { kind: 'die-mid-stream', afterChunks: 3 } });
const oaSlow = await startFakeOpenAI({ chunkDelayMs: 15 });
const anth = await startFakeAnthropic();
const anthErr = await startFakeAnthropic();
const gem = await startFakeGemini();
const gemErr = await startFakeGemini();
const fakes = [oaOk, oa429, oa500, oaHang, oaDie, oaSlow, anth, anthErr, gem, gemErr];
const fakeNames = new Map<number, string>(
  Object.entries({
    ok: oaOk.url, e429: oa429.url, e500: oa500.url, hang: oaHang.url, die: oaDie.url, slow: oaSlow.url,
    anth: anth.baseUrl, 'anth-err': anthErr.baseUrl, gem: gem.baseUrl, 'gem-err': gemErr.baseUrl,
  }).map(([name, url]) => [Number(new URL(url).port), name]),
);
const forgetRequests = setInterval(() => {
  for (const fake of fakes) fake.requests.length = 0;
}, 1000);

// The error instances answer every request the same way, so a step queued per request cannot go
// to the wrong one. Streams are cut after some text; other requests get the dialect's error.
const anthropicErrorStep = () =>
  anthErr.enqueue((req) =>
    req.body?.stream
      ? { kind: 'sse', events: anthropicStreamEvents(anthropicMessage({ text: 'one two three four five six seven eight nine ten' })), dieAfter: 5 }
      : anthropicError(529, 'overloaded_error', 'Overloaded'),
  );
const geminiErrorStep = () =>
  gemErr.enqueue((req) =>
    req.path.includes(':streamGenerateContent')
      ? { kind: 'sse', events: geminiStreamEvents(geminiResponse({ candidates: [{ text: 'one two three four five six seven eight nine ten' }] })), dieAfter: 1 }
      : geminiError(429, 'Resource has been exhausted (e.g. check quota).', {
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
        }),
  );

// ---------------------------------------------------------------------------------------------
// Iris, started as `npm start` starts it.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const PORT = await freePort();
const KEY = `sk-iris-soak-${randomBytes(8).toString('hex')}`;
const CONF = join(RUN_DIR, 'iris.soak.yaml');
const openaiProvider = (url: string, extra = '') => `{ type: openai, base_url: ${url}, timeout_ms: ${UPSTREAM_TIMEOUT_MS}${extra} }`;
writeFileSync(
  CONF,
  `server: { log_level: ${LOG_LEVEL} }
engine: { enabled: false }
images: { cache_bytes: ${CACHE_BYTES} }
providers:
  ok: ${openaiProvider(oaOk.url, `, image_limits: { max_edge: ${RESIZE_EDGE} }`)}
  e429: ${openaiProvider(oa429.url)}
  e500: ${openaiProvider(oa500.url)}
  hang: ${openaiProvider(oaHang.url)}
  die: ${openaiProvider(oaDie.url)}
  slow: ${openaiProvider(oaSlow.url)}
  anth: { type: anthropic, base_url: ${anth.baseUrl}, api_key: ${FAKE_ANTHROPIC_KEY}, timeout_ms: ${UPSTREAM_TIMEOUT_MS} }
  anth-err: { type: anthropic, base_url: ${anthErr.baseUrl}, api_key: ${FAKE_ANTHROPIC_KEY}, timeout_ms: ${UPSTREAM_TIMEOUT_MS} }
  gem: { type: gemini, base_url: ${gem.baseUrl}, api_key: ${FAKE_GEMINI_KEY}, timeout_ms: ${UPSTREAM_TIMEOUT_MS} }
  gem-err: { type: gemini, base_url: ${gemErr.baseUrl}, api_key: ${FAKE_GEMINI_KEY}, timeout_ms: ${UPSTREAM_TIMEOUT_MS} }
models:
  - { name: gpt-ok, provider: ok }
  - { name: gpt-429, provider: e429 }
  - { name: gpt-500, provider: e500 }
  - { name: gpt-hang, provider: hang }
  - { name: gpt-die, provider: die }
  - { name: gpt-slow, provider: slow }
  - { name: claude-ok, provider: anth, upstream: ${FAKE_ANTHROPIC_MODEL} }
  - { name: claude-err, provider: anth-err, upstream: ${FAKE_ANTHROPIC_MODEL} }
  - { name: gemini-ok, provider: gem, upstream: ${FAKE_GEMINI_MODEL} }
  - { name: gemini-err, provider: gem-err, upstream: ${FAKE_GEMINI_MODEL} }
`,
);

/** package.json's start script as words: its VAR= words and the command (`exec`/`env` dropped). */
function startCommand(): { env: Record<string, string>; argv: string[]; script: string } {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = script.trim().split(/\s+/);
  let at = 0;
  if (words[at] === 'exec') at++;
  if (words[at] === 'env') at++;
  const env: Record<string, string> = {};
  for (; at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]); at++) {
    const eq = words[at].indexOf('=');
    env[words[at].slice(0, eq)] = words[at].slice(eq + 1);
  }
  return { env, argv: words.slice(at), script };
}

const start = startCommand();
const irisLogPath = join(RUN_DIR, 'iris.log');
const irisLogFd = openSync(irisLogPath, 'a');
const irisArgv = PIN ? ['taskset', '-c', GATEWAY_CPUS, ...start.argv] : start.argv;
const iris: ChildProcess = spawn(irisArgv[0], irisArgv.slice(1), {
  cwd: ROOT,
  env: {
    ...process.env,
    // npm run puts the project's node_modules/.bin first on PATH: the same `node` as npm start.
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    ...start.env,
    IRIS_CONFIG: CONF,
    IRIS_API_KEYS: KEY,
    IRIS_DATA_DIR: join(RUN_DIR, 'data'),
    HOST: '127.0.0.1',
    PORT: String(PORT),
  },
  stdio: ['ignore', irisLogFd, irisLogFd],
});
closeSync(irisLogFd);
const PID = iris.pid!;
let irisExit: string | null = null;
iris.on('exit', (code, signal) => (irisExit = `exit ${code ?? signal}`));
const ORIGIN = `http://127.0.0.1:${PORT}`;

let cleanedUp = false;
async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  clearInterval(forgetRequests);
  if (irisExit === null) {
    iris.kill('SIGTERM');
    const stopped = await Promise.race([new Promise((done) => iris.once('exit', done)), sleep(15_000, 'timeout')]);
    if (stopped === 'timeout') iris.kill('SIGKILL');
  }
  await Promise.all(fakes.map((fake) => fake.close()));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping Iris and the fakes`);
    void cleanup().then(() => process.exit(130));
  });
}

/** GET /health on a connection of its own, closed at once: no kept-alive socket of ours stays in Iris's counts. */
async function health(): Promise<{ status: number; text: string }> {
  const once = new Agent({ connections: 1 });
  try {
    const res = await request(`${ORIGIN}/health`, { dispatcher: once, headersTimeout: 10_000, bodyTimeout: 10_000 });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await once.close();
  }
}

async function waitForHealth(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (irisExit !== null) throw new Error(`Iris ${irisExit} before it was ready; see ${irisLogPath}`);
    try {
      if ((await health()).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`Iris did not answer /health within 30 s; see ${irisLogPath}`);
}

// ---------------------------------------------------------------------------------------------
// Looking at Iris from outside: /proc, and the inspector opened by SIGUSR1.

interface Sample {
  t: number; // seconds since the load started (negative before)
  rss: number; // bytes
  hwm: number;
  threads: number;
  fds: number;
  sockets: Record<string, number>; // role/state → count
  cpu: number; // Iris's CPU seconds so far
  loadRss: number; // this process's RSS
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
};
const CLK_TCK = 100;

function tcpTable(pid: number): Map<string, { local: number; remote: number; state: string }> {
  const table = new Map<string, { local: number; remote: number; state: string }>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      table.set(cols[9], {
        local: parseInt(cols[1].split(':')[1], 16),
        remote: parseInt(cols[2].split(':')[1], 16),
        state: TCP_STATES[cols[3]] ?? cols[3],
      });
    }
  }
  return table;
}

function sample(t: number): Sample {
  const status = readFileSync(`/proc/${PID}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const fdDir = `/proc/${PID}/fd`;
  const fds = readdirSync(fdDir);
  const tcp = tcpTable(PID);
  const sockets: Record<string, number> = {};
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`${fdDir}/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode === undefined) continue;
    const conn = tcp.get(inode);
    let key: string;
    if (conn === undefined) key = 'other socket';
    else if (conn.state === 'LISTEN') key = 'listening';
    else if (conn.local === PORT) key = `from clients ${conn.state}`;
    else if (fakeNames.has(conn.remote)) key = `to ${fakeNames.get(conn.remote)} ${conn.state}`;
    else key = `tcp ${conn.state}`;
    sockets[key] = (sockets[key] ?? 0) + 1;
  }
  const statText = readFileSync(`/proc/${PID}/stat`, 'utf8');
  const stat = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  return {
    t,
    rss: field('VmRSS') * 1024,
    hwm: field('VmHWM') * 1024,
    threads: field('Threads'),
    fds: fds.length,
    sockets,
    cpu: (Number(stat[11]) + Number(stat[12])) / CLK_TCK,
    loadRss: process.memoryUsage().rss,
  };
}

/** What Iris's file descriptors are (sockets, pipes, eventfds, files) and its threads' names. */
function describeProcess(): { fds: Record<string, number>; threads: Record<string, number> } {
  const fds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${PID}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${PID}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.startsWith('socket:') ? 'socket' : target.startsWith('pipe:') ? 'pipe' : target.startsWith('anon_inode:') ? target.slice(11) : target.startsWith('/dev/') ? target : 'file';
    fds[kind] = (fds[kind] ?? 0) + 1;
  }
  const threads: Record<string, number> = {};
  for (const task of readdirSync(`/proc/${PID}/task`)) {
    let name: string;
    try {
      name = readFileSync(`/proc/${PID}/task/${task}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    threads[name] = (threads[name] ?? 0) + 1;
  }
  return { fds, threads };
}

const listCounts = (counts: Record<string, number>) =>
  Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

interface Probe {
  t: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  resources: Record<string, number>;
}

let inspectorNote: string | null = null;
let inspectorUrl: string | null = null;

async function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/** A full collection in Iris, then its memory and the resources that keep its loop alive. */
async function probe(t: number): Promise<Probe | null> {
  if (!INSPECT) {
    inspectorNote ??= 'inspector probe off (SOAK_INSPECT=0)';
    return null;
  }
  try {
    if (inspectorUrl === null) {
      if (await portTaken(9229)) {
        inspectorNote = 'inspector probe skipped: 127.0.0.1:9229 was taken by another process';
        return null;
      }
      process.kill(PID, 'SIGUSR1');
      for (let i = 0; i < 50 && inspectorUrl === null; i++) {
        await sleep(100);
        try {
          const list = (await (await fetch('http://127.0.0.1:9229/json/list')).json()) as { webSocketDebuggerUrl: string }[];
          inspectorUrl = list[0]?.webSocketDebuggerUrl ?? null;
        } catch {
          // not listening yet
        }
      }
      if (inspectorUrl === null) throw new Error('the inspector did not open on 127.0.0.1:9229');
    }
    const ws = new WebSocket(inspectorUrl);
    await new Promise<void>((done, fail) => {
      ws.onopen = () => done();
      ws.onerror = () => fail(new Error('could not connect to the inspector'));
    });
    let nextId = 1;
    const pending = new Map<number, (result: any) => void>();
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
      if (message.id !== undefined) pending.get(message.id)?.(message.error ? { error: message.error } : message.result);
    };
    const call = (method: string, params: unknown = {}) =>
      new Promise<any>((done) => {
        const id = nextId++;
        pending.set(id, done);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const result = await call('Runtime.evaluate', {
      expression: `(() => { const counts = {}; for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1; return JSON.stringify({ pid: process.pid, mem: process.memoryUsage(), counts }); })()`,
      returnByValue: true,
    });
    ws.close();
    const value = JSON.parse(result.result.value as string) as { pid: number; mem: NodeJS.MemoryUsage; counts: Record<string, number> };
    if (value.pid !== PID) throw new Error(`the inspector on 9229 belongs to pid ${value.pid}, not Iris (${PID})`);
    return { t, ...value.mem, resources: value.counts };
  } catch (err) {
    inspectorNote = `inspector probe failed: ${(err as Error).message}`;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads.

async function jpegNear(targetBytes: number): Promise<Buffer> {
  let edge = 200;
  let best = Buffer.alloc(0);
  for (let i = 0; i < 12; i++) {
    best = await sharp({ create: { width: edge, height: edge, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 80 })
      .toBuffer();
    if (Math.abs(best.length - targetBytes) < targetBytes * 0.05) break;
    edge = Math.round(edge * Math.sqrt(targetBytes / best.length));
  }
  return best;
}

const image100k = await jpegNear(100 * 1024);
const image100kUrl = `data:image/jpeg;base64,${image100k.toString('base64')}`;
// 3000×2000: a small noisy picture scaled up (smooth, so a few hundred KB), which the `ok`
// provider's max_edge of 1024 makes Iris downscale. Each request gets its own bytes (a JPEG
// comment with a counter), so Iris's prepared-image cache never answers it.
const oversized = await sharp(
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png().toBuffer(),
)
  .resize(3000, 2000)
  .jpeg({ quality: 85 })
  .toBuffer();
let oversizedCount = 0;
function uniqueOversizedUrl(): string {
  const note = Buffer.from(`iris-soak ${process.pid} ${++oversizedCount}`);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(note.length + 2, 2);
  return `data:image/jpeg;base64,${Buffer.concat([oversized.subarray(0, 2), segment, note, oversized.subarray(2)]).toString('base64')}`;
}
const notAnImageUrl = `data:image/png;base64,${randomBytes(3000).toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// Clients: the official SDK where it can say what we mean, undici and raw sockets where it cannot.

let agent = new Agent({ connections: 256, keepAliveTimeout: 4000 });
const sdk = (apiKey: string) =>
  new OpenAI({
    baseURL: `${ORIGIN}/v1`,
    apiKey,
    maxRetries: 0,
    timeout: 30_000,
    fetch: ((url: any, init: any) => undiciFetch(url, { ...init, dispatcher: agent })) as any,
  });
const client = sdk(KEY);
const wrongKeyClient = sdk(`sk-wrong-${randomBytes(8).toString('hex')}`);

type Outcome = string;
class Unexpected extends Error {}

/** The outcome of an SDK call, by status; errors that are not API errors are named. */
function sdkOutcome(err: unknown): Outcome {
  if (err instanceof OpenAI.APIConnectionTimeoutError) return 'client-timeout';
  if (err instanceof OpenAI.APIConnectionError) return `connection-error: ${String((err as any).cause?.message ?? err.message).slice(0, 80)}`;
  if (err instanceof OpenAI.APIError && err.status !== undefined) return String(err.status);
  if (err instanceof Unexpected) return `wrong-body: ${err.message.slice(0, 120)}`;
  return `error: ${String((err as Error)?.message ?? err).slice(0, 120)}`;
}

const userText = () => `soak ${randomBytes(3).toString('hex')} what do you see`;
const textMessage = (text: string) => [{ role: 'user' as const, content: text }];
const imageMessage = (url: string) => [
  { role: 'user' as const, content: [{ type: 'text' as const, text: 'What is in this picture?' }, { type: 'image_url' as const, image_url: { url } }] },
];

async function completion(model: string, messages: any, check?: (c: OpenAI.Chat.Completions.ChatCompletion) => void, extra: object = {}): Promise<Outcome> {
  try {
    const c = await client.chat.completions.create({ model, messages, ...extra });
    check?.(c);
    return '200';
  } catch (err) {
    return sdkOutcome(err);
  }
}

/** A stream read to its end: '200', '200+stream-error' (an error event after 200), or the failure. */
async function stream(model: string, messages: any, check?: (text: string, usage: boolean) => void): Promise<Outcome> {
  let started = false;
  try {
    const { data, response } = await client.chat.completions
      .create({ model, messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    started = true;
    let text = '';
    let usage = false;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = true;
    }
    check?.(text, usage);
    return String(response.status);
  } catch (err) {
    if (started && err instanceof OpenAI.APIError && err.status === undefined) return '200+stream-error';
    const outcome = sdkOutcome(err);
    return started ? `200+${outcome}` : outcome;
  }
}

async function raw(body: string, headers: Record<string, string> = {}): Promise<Outcome> {
  try {
    const res = await request(`${ORIGIN}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
      body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400 && !/"error"/.test(text)) return `${res.statusCode} without an error body`;
    return String(res.statusCode);
  } catch (err) {
    return `error: ${(err as Error).message.slice(0, 120)}`;
  }
}

/** Reads a stream until its first data event, then goes away. */
async function abortMidStream(): Promise<Outcome> {
  try {
    const res = await request(`${ORIGIN}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-slow', stream: true, messages: textMessage(`${userText()} and a few more words to stream slowly`) }),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    if (res.statusCode !== 200) {
      await res.body.text();
      return String(res.statusCode);
    }
    let seen = '';
    for await (const chunk of res.body) {
      seen += String(chunk);
      if (seen.includes('data: ')) break; // leaving the loop destroys the body and its socket
    }
    return seen.includes('[DONE]') ? '200 (finished before the abort)' : '200+client-abort';
  } catch (err) {
    return `error: ${(err as Error).message.slice(0, 120)}`;
  }
}

/** Sends a whole request and goes away after `afterMs`, before the answer. */
async function abortAfter(afterMs: number, body: unknown): Promise<Outcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), afterMs);
  try {
    const res = await request(`${ORIGIN}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: controller.signal,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    await res.body.text();
    return `${res.statusCode} (answered before the abort)`;
  } catch (err) {
    return controller.signal.aborted ? 'client-abort' : `error: ${(err as Error).message.slice(0, 120)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Announces a 400 KB body, sends 100 KB of it, and hangs up. */
function abortMidUpload(): Promise<Outcome> {
  return new Promise((done) => {
    const socket = connect(PORT, '127.0.0.1');
    let answered = '';
    socket.on('data', (data) => (answered += String(data)));
    socket.on('error', () => {});
    socket.once('connect', () => {
      const head =
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nAuthorization: Bearer ${KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 400000\r\n\r\n`;
      const start = `{"model":"gpt-ok","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`;
      socket.write(head + start + image100kUrl.slice(0, 100_000), () => {
        setTimeout(() => {
          socket.destroy();
          const status = /^HTTP\/1\.1 (\d+)/.exec(answered)?.[1];
          done(status === undefined ? 'upload-aborted' : `answered ${status} before the body was complete`);
        }, 5);
      });
    });
    socket.once('close', () => done('closed by Iris before the body was complete'));
  });
}

const expectText = (text: string) => (c: OpenAI.Chat.Completions.ChatCompletion) => {
  const content = c.choices[0]?.message?.content ?? '';
  if (content !== `I see 0 images. You said: ${text}`) throw new Unexpected(`content ${JSON.stringify(content).slice(0, 80)}`);
};
const expectContains = (needle: string) => (c: OpenAI.Chat.Completions.ChatCompletion) => {
  const content = c.choices[0]?.message?.content ?? '';
  if (!content.includes(needle)) throw new Unexpected(`content ${JSON.stringify(content).slice(0, 80)}`);
};
const expectSomeText = (c: OpenAI.Chat.Completions.ChatCompletion) => {
  if (!c.choices[0]?.message?.content) throw new Unexpected('no content');
};
const expectTextAndUsage = (text: string, usage: unknown) => {
  if (!text || !usage) throw new Unexpected(`text ${text.length} chars, usage ${usage}`);
};

interface Kind {
  name: string;
  what: string;
  expect: Outcome;
  weight: number;
  slow?: boolean;
  run(): Promise<Outcome>;
}

const KINDS: Kind[] = [
  {
    name: 'text', what: 'small text (SDK)', expect: '200', weight: 12,
    run: () => { const t = userText(); return completion('gpt-ok', textMessage(t), expectText(t)); },
  },
  { name: 'image-100k', what: '100 KB JPEG data URL', expect: '200', weight: 6, run: () => completion('gpt-ok', imageMessage(image100kUrl), expectContains('I see 1 image.')) },
  {
    name: 'image-resize', what: `3000×2000 JPEG, unique bytes, provider max_edge ${RESIZE_EDGE}`, expect: '200', weight: 1,
    run: () => completion('gpt-ok', imageMessage(uniqueOversizedUrl()), expectContains('I see 1 image.')),
  },
  {
    name: 'stream', what: 'stream with include_usage', expect: '200', weight: 8,
    run: () => {
      const t = userText();
      return stream('gpt-ok', textMessage(t), (text, usage) => {
        if (text !== `I see 0 images. You said: ${t}`) throw new Unexpected(`streamed ${JSON.stringify(text).slice(0, 80)}`);
        if (!usage) throw new Unexpected('no usage chunk');
      });
    },
  },
  {
    name: 'n2', what: 'n=2', expect: '200', weight: 4,
    run: () => completion('gpt-ok', textMessage(userText()), (c) => { if (c.choices.length !== 2) throw new Unexpected(`${c.choices.length} choices`); }, { n: 2 }),
  },
  { name: 'upstream-429', what: 'OpenAI upstream 429', expect: '429', weight: 3, run: () => completion('gpt-429', textMessage(userText())) },
  { name: 'upstream-500', what: 'OpenAI upstream 500', expect: '502', weight: 2, run: () => completion('gpt-500', textMessage(userText())) },
  { name: 'upstream-500-stream', what: 'upstream 500 to a stream', expect: '502', weight: 1, run: () => stream('gpt-500', textMessage(userText())) },
  { name: 'upstream-dies-stream', what: 'upstream cuts its stream after 3 events', expect: '200+stream-error', weight: 2, run: () => stream('gpt-die', textMessage(userText())) },
  { name: 'upstream-dies-body', what: 'upstream cuts its JSON body half-way', expect: '502', weight: 1, run: () => completion('gpt-die', textMessage(userText())) },
  { name: 'client-abort-stream', what: 'client leaves after the first event (undici)', expect: '200+client-abort', weight: 3, run: abortMidStream },
  {
    name: 'client-abort-resize', what: 'client leaves 40 ms into a resize request (undici)', expect: 'client-abort', weight: 1,
    run: () => abortAfter(40, { model: 'gpt-ok', messages: imageMessage(uniqueOversizedUrl()) }),
  },
  {
    name: 'client-abort-waiting', what: 'client leaves 200 ms into a call the upstream never answers', expect: 'client-abort', weight: 1,
    run: () => abortAfter(200, { model: 'gpt-hang', messages: textMessage(userText()) }),
  },
  { name: 'client-abort-upload', what: 'client sends 100 KB of a 400 KB body, hangs up (socket)', expect: 'upload-aborted', weight: 2, run: abortMidUpload },
  {
    name: 'invalid-400', what: 'messages is not an array (undici)', expect: '400', weight: 2,
    run: () => raw(JSON.stringify({ model: 'gpt-ok', messages: 'hello' })),
  },
  { name: 'not-an-image-400', what: 'data URL of random bytes', expect: '400', weight: 2, run: () => completion('gpt-ok', imageMessage(notAnImageUrl)) },
  { name: 'unknown-model-404', what: 'a model nobody serves', expect: '404', weight: 1, run: () => completion('gpt-nope', textMessage(userText())) },
  {
    name: 'wrong-key-401', what: 'a key Iris does not know', expect: '401', weight: 2,
    run: async () => {
      try {
        await wrongKeyClient.chat.completions.create({ model: 'gpt-ok', messages: textMessage(userText()) });
        return '200';
      } catch (err) {
        return sdkOutcome(err);
      }
    },
  },
  { name: 'malformed-json-400', what: 'a body cut mid-JSON (undici)', expect: '400', weight: 2, run: () => raw('{"model":"gpt-ok","messages":[{"role":"user","content":"hi') },
  { name: 'anthropic-text', what: 'Anthropic upstream, text', expect: '200', weight: 4, run: () => completion('claude-ok', textMessage(userText()), expectSomeText) },
  {
    name: 'anthropic-stream', what: 'Anthropic upstream, stream', expect: '200', weight: 3,
    run: () => stream('claude-ok', textMessage(userText()), expectTextAndUsage),
  },
  { name: 'anthropic-image', what: 'Anthropic upstream, 100 KB image', expect: '200', weight: 2, run: () => completion('claude-ok', imageMessage(image100kUrl), expectSomeText) },
  {
    name: 'anthropic-529', what: 'Anthropic upstream overloaded (529)', expect: '503', weight: 1,
    run: () => (anthropicErrorStep(), completion('claude-err', textMessage(userText()))),
  },
  {
    name: 'anthropic-dies-stream', what: 'Anthropic upstream cuts its stream', expect: '200+stream-error', weight: 1,
    run: () => (anthropicErrorStep(), stream('claude-err', textMessage(userText()))),
  },
  { name: 'gemini-text', what: 'Gemini upstream, text', expect: '200', weight: 4, run: () => completion('gemini-ok', textMessage(userText()), expectSomeText) },
  {
    name: 'gemini-stream', what: 'Gemini upstream, stream', expect: '200', weight: 3,
    run: () => stream('gemini-ok', textMessage(userText()), expectTextAndUsage),
  },
  { name: 'gemini-image', what: 'Gemini upstream, 100 KB image', expect: '200', weight: 2, run: () => completion('gemini-ok', imageMessage(image100kUrl), expectSomeText) },
  {
    name: 'gemini-429', what: 'Gemini upstream 429 RESOURCE_EXHAUSTED', expect: '429', weight: 1,
    run: () => (geminiErrorStep(), completion('gemini-err', textMessage(userText()))),
  },
  {
    name: 'gemini-dies-stream', what: 'Gemini upstream cuts its stream', expect: '200+stream-error', weight: 1,
    run: () => (geminiErrorStep(), stream('gemini-err', textMessage(userText()))),
  },
  {
    name: 'upstream-hangs', what: `upstream never answers (timeout_ms ${UPSTREAM_TIMEOUT_MS})`, expect: '504', weight: 1, slow: true,
    run: () => completion('gpt-hang', textMessage(userText())),
  },
  {
    name: 'upstream-hangs-stream', what: 'upstream never answers a stream', expect: '504', weight: 1, slow: true,
    run: () => stream('gpt-hang', textMessage(userText())),
  },
];

// ---------------------------------------------------------------------------------------------
// Tallies.

interface Tally {
  outcomes: Map<Outcome, number>;
  unexpected: number;
  examples: string[];
  ms: number[];
}
const tallies = new Map<string, Tally>(KINDS.map((k) => [k.name, { outcomes: new Map(), unexpected: 0, examples: [], ms: [] }]));
let total = 0;
let unexpectedTotal = 0;

async function runOne(kind: Kind, t: number): Promise<Outcome> {
  const began = performance.now();
  let outcome: Outcome;
  try {
    outcome = await kind.run();
  } catch (err) {
    outcome = `threw: ${(err as Error).message.slice(0, 120)}`;
  }
  const tally = tallies.get(kind.name)!;
  tally.ms.push(performance.now() - began);
  tally.outcomes.set(outcome, (tally.outcomes.get(outcome) ?? 0) + 1);
  total++;
  if (outcome !== kind.expect) {
    tally.unexpected++;
    unexpectedTotal++;
    if (tally.examples.length < 5) tally.examples.push(`t=${t.toFixed(1)} s: ${outcome}`);
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// The run.

const samples: Sample[] = [];
let loadStart = 0;
const since = () => (performance.now() - loadStart) / 1000;

try {
  log(`Iris soak: ${SECONDS} s at concurrency ${CONCURRENCY} (${SLOW_LANES} slow lanes), results in ${RUN_DIR}`);
  log(`start script: ${start.script}`);
  log(`started as: ${Object.entries(start.env).map(([k, v]) => `${k}=${v}`).join(' ')} ${irisArgv.join(' ')} (pid ${PID}${PIN ? `, CPU ${GATEWAY_CPUS}; load on CPU ${LOAD_CPUS}` : ', not pinned'})`);
  await waitForHealth();
  await sleep(1000);
  const cold = sample(-Infinity);

  // Preflight: every kind once, so a wrong expectation shows at once, and the resize is checked.
  log('preflight: each kind once');
  for (const kind of KINDS) {
    const outcome = await runOne(kind, 0);
    log(`  ${outcome === kind.expect ? 'ok  ' : 'FAIL'} ${kind.name.padEnd(22)} ${outcome}${outcome === kind.expect ? '' : ` (expected ${kind.expect})`}`);
  }
  oaOk.requests.length = 0;
  await runOne(KINDS.find((k) => k.name === 'image-resize')!, 0);
  const sent = JSON.stringify(oaOk.requests.at(-1)?.body ?? {});
  const dataUrl = /data:image\/[a-z]+;base64,([A-Za-z0-9+/=]+)/.exec(sent)?.[1];
  const resizedMeta = dataUrl ? await sharp(Buffer.from(dataUrl, 'base64')).metadata() : null;
  const resizeNote = resizedMeta
    ? `the upstream received ${resizedMeta.width}×${resizedMeta.height} ${resizedMeta.format} (${fmt(Buffer.from(dataUrl!, 'base64').length / 1024)} KB) for the 3000×2000 JPEG (${fmt(oversized.length / 1024)} KB)`
    : 'could not find the image the upstream received';
  log(`  resize: ${resizeNote}`);
  const preflightUnexpected = unexpectedTotal;
  for (const tally of tallies.values()) tally.ms.length = 0;

  // Let the preflight's connections go, then take the baseline (after the first probe, which
  // opens the inspector: its thread and socket are then part of the baseline too).
  await agent.close();
  agent = new Agent({ connections: 256, keepAliveTimeout: 4000 });
  await sleep(IDLE_S * 1000);
  const baseProbe = await probe(0);
  await sleep(1000);
  const baseline = sample(0);
  const baselineParts = describeProcess();
  log(`baseline: RSS ${fmt(mb(baseline.rss))} MB, ${baseline.fds} FDs, ${baseline.threads} threads${baseProbe ? `, heap after GC ${fmt(mb(baseProbe.heapUsed), 1)} MB` : ''}`);

  // The load.
  loadStart = performance.now();
  const deadline = loadStart + SECONDS * 1000;
  const fast = KINDS.filter((k) => !k.slow);
  const slow = KINDS.filter((k) => k.slow);
  const fastWeights = fast.reduce((sum, k) => sum + k.weight, 0);
  const pick = () => {
    let r = Math.random() * fastWeights;
    for (const k of fast) if ((r -= k.weight) < 0) return k;
    return fast[fast.length - 1];
  };
  let slowTurn = 0;
  const probes: Probe[] = baseProbe ? [baseProbe] : [];
  const probing = (async () => {
    for (let i = 1; i <= PROBES && baseProbe; i++) {
      const at = loadStart + (SECONDS * 1000 * i) / (PROBES + 1);
      await sleep(Math.max(0, at - performance.now()));
      if (performance.now() >= deadline || irisExit !== null) break;
      const p = await probe(since());
      if (p) {
        probes.push(p);
        log(`  probe at ${fmt(p.t)} s: heap after GC ${fmt(mb(p.heapUsed), 1)} MB, external ${fmt(mb(p.external), 1)} MB, active: ${listCounts(p.resources)}`);
      }
    }
  })();
  const lanes = Array.from({ length: CONCURRENCY }, async (_, lane) => {
    while (performance.now() < deadline && irisExit === null) {
      const kind = lane < SLOW_LANES && slow.length > 0 ? slow[slowTurn++ % slow.length] : pick();
      await runOne(kind, since());
    }
  });

  samples.push(baseline);
  let lastProgress = { t: 0, total: 0, cpu: baseline.cpu };
  const sampler = setInterval(() => {
    if (irisExit !== null) return;
    const s = sample(since());
    samples.push(s);
    if (s.t - lastProgress.t >= PROGRESS_S - 0.5) {
      const dt = s.t - lastProgress.t;
      log(
        `[${fmt(s.t).padStart(5)} s / ${SECONDS} s] ${fmt(total - KINDS.length - 1)} requests (${fmt((total - lastProgress.total) / dt)}/s), ` +
          `unexpected ${unexpectedTotal - preflightUnexpected} | Iris RSS ${fmt(mb(s.rss))} MB (peak ${fmt(mb(s.hwm))}), ${s.fds} FDs, ` +
          `${s.threads} threads, CPU ${fmt(((s.cpu - lastProgress.cpu) / dt) * 100)} %`,
      );
      lastProgress = { t: s.t, total, cpu: s.cpu };
    }
  }, SAMPLE_S * 1000);
  await Promise.all(lanes);
  const loadSeconds = since();
  clearInterval(sampler);
  const endOfLoad = sample(loadSeconds);
  samples.push(endOfLoad);
  await probing;
  if (irisExit !== null) throw new Error(`Iris ${irisExit} during the load; see ${irisLogPath}`);

  // Quiet: the client's connections close, upstream keep-alives expire, then the end figures.
  await agent.close();
  log(`load done after ${fmt(loadSeconds)} s; ${IDLE_S} s idle before the end figures`);
  await sleep(IDLE_S * 1000);
  const endProbe = await probe(since());
  await sleep(1000);
  const after = sample(since());
  const afterParts = describeProcess();
  const healthAfter = await health().then((res) => `${res.status} ${res.text.slice(0, 60)}`, (err: Error) => `failed: ${err.message}`);
  const afterHealth = sample(since());

  await cleanup();
  const irisLog = readFileSync(irisLogPath, 'utf8');
  writeSummary({
    cold, baseline, baselineParts, baseProbe, probes, endOfLoad, after, afterParts, afterHealth, endProbe, health: healthAfter, loadSeconds, resizeNote, preflightUnexpected, irisLog,
  });
  process.exitCode = unexpectedTotal > 0 ? 1 : 0;
} catch (err) {
  console.error(`soak failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exitCode = 2;
}

// ---------------------------------------------------------------------------------------------
// The report.

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Least-squares slope of y over t, and its standard error. */
function slope(points: { t: number; y: number }[]): { perSecond: number; stderr: number } {
  const n = points.length;
  if (n < 3) return { perSecond: NaN, stderr: NaN };
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.t - mt) ** 2;
    sxy += (p.t - mt) * (p.y - my);
  }
  const b = sxy / sxx;
  const residual = points.reduce((s, p) => s + (p.y - my - b * (p.t - mt)) ** 2, 0);
  return { perSecond: b, stderr: Math.sqrt(residual / (n - 2) / sxx) };
}

function nearest(t: number): Sample {
  return samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0]);
}

function socketLine(s: Sample): string {
  const entries = Object.entries(s.sockets).sort();
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

function writeSummary(r: {
  cold: Sample; baseline: Sample; baselineParts: ReturnType<typeof describeProcess>; baseProbe: Probe | null; probes: Probe[];
  endOfLoad: Sample; after: Sample; afterParts: ReturnType<typeof describeProcess>; afterHealth: Sample; endProbe: Probe | null;
  health: string; loadSeconds: number; resizeNote: string; preflightUnexpected: number; irisLog: string;
}): void {
  const commit = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim() !== '';
  const lines: string[] = [];
  const L = (s = '') => lines.push(s);
  const requests = total - KINDS.length - 1;

  L(`# Iris soak, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  L();
  L(`Commit ${commit}${dirty ? ' (src/ has uncommitted changes)' : ''}, Node ${process.version}, ${CPUS} CPUs` +
    `${PIN ? `, Iris on CPU ${GATEWAY_CPUS}, load and fakes on CPU ${LOAD_CPUS}` : ', not pinned'}.`);
  L(`Iris started as \`npm start\` starts it: \`${Object.entries(start.env).map(([k, v]) => `${k}=${v}`).join(' ')} ${start.argv.join(' ')}\`, ` +
    `engine off, log level ${LOG_LEVEL}, images.cache_bytes ${fmt(CACHE_BYTES / 1048576)} MiB, upstream timeout_ms ${UPSTREAM_TIMEOUT_MS}.`);
  L(`Load: ${fmt(r.loadSeconds)} s at concurrency ${CONCURRENCY} (${SLOW_LANES} lanes for the hanging upstreams), ` +
    `${fmt(requests)} requests (${fmt(requests / r.loadSeconds)}/s), Iris CPU ${fmt(((r.endOfLoad.cpu - r.baseline.cpu) / r.loadSeconds) * 100)} % of a core. ` +
    `The load generator's own RSS ended at ${fmt(mb(r.endOfLoad.loadRss))} MB.`);
  L(`Resize check: ${r.resizeNote}.`);
  L();
  L('## Requests');
  L();
  L('| kind | what | expected | requests | outcomes | unexpected | p50 ms | p99 ms |');
  L('|---|---|---|---:|---|---:|---:|---:|');
  for (const kind of KINDS) {
    const t = tallies.get(kind.name)!;
    const count = [...t.outcomes.values()].reduce((a, b) => a + b, 0);
    const outcomes = [...t.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} × ${fmt(n)}`).join(', ');
    L(`| ${kind.name} | ${kind.what} | ${kind.expect} | ${fmt(count)} | ${outcomes.replace(/\|/g, '\\|')} | ${t.unexpected ? `**${fmt(t.unexpected)}**` : '0'} | ` +
      `${fmt(percentile(t.ms, 50), 1)} | ${fmt(percentile(t.ms, 99), 1)} |`);
  }
  L();
  L(`Counts include the preflight (each kind once, plus one more resize). Unexpected: **${fmt(unexpectedTotal)}** (${fmt(r.preflightUnexpected)} in the preflight).`);
  const examples = KINDS.flatMap((k) => tallies.get(k.name)!.examples.map((e) => `- ${k.name}, ${e}`));
  if (examples.length > 0) {
    L();
    L('First unexpected outcomes per kind:');
    L();
    for (const e of examples) L(e);
  }

  // Memory.
  const load = samples.filter((s) => s.t > 0 && s.t <= r.loadSeconds + 0.01);
  const secondHalf = load.filter((s) => s.t >= r.loadSeconds / 2);
  const fit = slope(secondHalf.map((s) => ({ t: s.t, y: mb(s.rss) })));
  const per10 = fit.perSecond * 600;
  const halfGrowth = fit.perSecond * (r.loadSeconds / 2);
  const peakFds = Math.max(...samples.map((s) => s.fds));
  const peakThreads = Math.max(...samples.map((s) => s.threads));
  const at1 = nearest(60);
  const mid = nearest(r.loadSeconds / 2);
  L();
  L('## Memory and handles');
  L();
  L('| | cold (after start) | baseline (after preflight, idle) | 1 min | mid-run | end of load | after idle |');
  L('|---|---:|---:|---:|---:|---:|---:|');
  L(`| RSS MB | ${fmt(mb(r.cold.rss))} | ${fmt(mb(r.baseline.rss))} | ${fmt(mb(at1.rss))} (t=${fmt(at1.t)} s) | ${fmt(mb(mid.rss))} (t=${fmt(mid.t)} s) | ${fmt(mb(r.endOfLoad.rss))} | ${fmt(mb(r.after.rss))} |`);
  L(`| file descriptors | ${r.cold.fds} | ${r.baseline.fds} | ${at1.fds} | ${mid.fds} | ${r.endOfLoad.fds} | ${r.after.fds} |`);
  L(`| threads | ${r.cold.threads} | ${r.baseline.threads} | ${at1.threads} | ${mid.threads} | ${r.endOfLoad.threads} | ${r.after.threads} |`);
  L();
  L(`RSS peak (VmHWM) ${fmt(mb(r.after.hwm))} MB. RSS over the second half of the load (${secondHalf.length} samples, every ${SAMPLE_S} s): ` +
    `slope ${per10 >= 0 ? '+' : ''}${fmt(per10, 1)} ± ${fmt(fit.stderr * 600, 1)} MB per 10 min, i.e. ${halfGrowth >= 0 ? '+' : ''}${fmt(halfGrowth, 1)} MB over the half; ` +
    `range ${fmt(Math.min(...secondHalf.map((s) => mb(s.rss))))}–${fmt(Math.max(...secondHalf.map((s) => mb(s.rss))))} MB.`);
  L(`File descriptors: ${r.baseline.fds} at baseline, peak ${peakFds} under load, ${r.after.fds} after ${IDLE_S} s idle (${r.afterHealth.fds} after a GET /health). ` +
    `Threads: ${r.baseline.threads} at baseline, peak ${peakThreads}, ${r.after.threads} after idle.`);
  L();
  L(`Sockets at baseline: ${socketLine(r.baseline)}.`);
  L(`Sockets at the end of the load: ${socketLine(r.endOfLoad)}.`);
  L(`Sockets after idle: ${socketLine(r.after)}.`);
  L(`GET /health after the soak: ${r.health}.`);
  L(`File descriptors at baseline: ${listCounts(r.baselineParts.fds)}; after idle: ${listCounts(r.afterParts.fds)}.`);
  L(`Threads at baseline: ${listCounts(r.baselineParts.threads)}; after idle: ${listCounts(r.afterParts.threads)}.`);
  const series = [...r.probes, ...(r.endProbe ? [r.endProbe] : [])];
  if (series.length >= 2) {
    const keys = [...new Set(series.flatMap((p) => Object.keys(p.resources)))].sort();
    L();
    L('Iris after two full collections, through the inspector (opened with SIGUSR1 before the baseline; a session only for each probe). ' +
      'The probes in the middle ran under load, so they include the requests in flight:');
    L();
    L(`| | ${series.map((p, i) => (i === 0 ? 'baseline' : i === series.length - 1 && r.endProbe ? 'after idle' : `t=${fmt(p.t)} s`)).join(' | ')} |`);
    L(`|---|${series.map(() => '---:').join('|')}|`);
    L(`| V8 heap used MB | ${series.map((p) => fmt(mb(p.heapUsed), 1)).join(' | ')} |`);
    L(`| V8 heap total MB | ${series.map((p) => fmt(mb(p.heapTotal), 1)).join(' | ')} |`);
    L(`| external MB | ${series.map((p) => fmt(mb(p.external), 1)).join(' | ')} |`);
    L(`| ArrayBuffers MB | ${series.map((p) => fmt(mb(p.arrayBuffers), 1)).join(' | ')} |`);
    L(`| RSS MB | ${series.map((p) => fmt(mb(p.rss))).join(' | ')} |`);
    for (const key of keys) L(`| active ${key} | ${series.map((p) => p.resources[key] ?? 0).join(' | ')} |`);
  } else {
    L();
    L(inspectorNote ?? 'no inspector probe');
  }

  // Iris's own log.
  const byMessage = new Map<string, number>();
  let logLines = 0;
  for (const line of r.irisLog.split('\n')) {
    if (!line.startsWith('{')) continue;
    logLines++;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      const key = `${entry.level ?? '?'} ${entry.msg ?? ''}`.slice(0, 100);
      byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
    } catch {
      byMessage.set('(not JSON)', (byMessage.get('(not JSON)') ?? 0) + 1);
    }
  }
  L();
  L(`Iris's log (level ${LOG_LEVEL}): ${fmt(logLines)} lines${logLines ? ', by level and message:' : '.'}`);
  if (logLines) {
    L();
    for (const [key, n] of [...byMessage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) L(`- ${fmt(n)} × ${key}`);
  }

  // Verdict.
  const rssGrew = halfGrowth > 10 && fit.perSecond > 3 * fit.stderr;
  const fdsLeft = r.after.fds - r.baseline.fds;
  // Heap after GC: from the first probe under load (past warm-up) to the one after idle.
  const warm = r.probes.length >= 2 ? r.probes[1] : r.baseProbe;
  const heapGrew = warm && r.endProbe ? mb(r.endProbe.heapUsed - warm.heapUsed) : null;
  const verdicts = [
    rssGrew
      ? `RSS grew ${fmt(halfGrowth, 1)} MB over the second half (${fmt(per10, 1)} MB per 10 min)`
      : `no RSS growth past warm-up (second half: ${halfGrowth >= 0 ? '+' : ''}${fmt(halfGrowth, 1)} MB, within noise)`,
    fdsLeft > 2 ? `${fdsLeft} more file descriptors after idle than at baseline` : `file descriptors back to baseline (${fdsLeft >= 0 ? '+' : ''}${fdsLeft})`,
    heapGrew === null
      ? null
      : `heap after GC ${heapGrew > 5 ? 'grew ' : ''}${heapGrew >= 0 ? '+' : ''}${fmt(heapGrew, 1)} MB from t=${fmt(warm!.t)} s to after idle`,
    unexpectedTotal > 0 ? `**${fmt(unexpectedTotal)} unexpected outcomes**` : 'every request got its expected outcome',
  ].filter(Boolean);
  L();
  L(`**Verdict:** ${verdicts.join('; ')}.`);

  const summary = lines.join('\n') + '\n';
  writeFileSync(join(RUN_DIR, 'summary.md'), summary);
  const csv = ['t_s,rss_mb,hwm_mb,fds,threads,iris_cpu_s,load_rss_mb,sockets'];
  for (const s of samples) csv.push(`${s.t.toFixed(1)},${mb(s.rss).toFixed(1)},${mb(s.hwm).toFixed(1)},${s.fds},${s.threads},${s.cpu.toFixed(2)},${mb(s.loadRss).toFixed(1)},"${socketLine(s)}"`);
  writeFileSync(join(RUN_DIR, 'samples.csv'), csv.join('\n') + '\n');
  log('');
  log(summary);
  log(`summary: ${join(RUN_DIR, 'summary.md')}`);
}
