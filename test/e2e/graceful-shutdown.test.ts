// Stopping Iris the way an orchestrator does (SIGTERM during a rollout): requests already in
// flight, plain and streamed, finish; a request that arrives during the drain gets an
// OpenAI-shaped 503 the SDK retries elsewhere; Iris exits as soon as the last one is done,
// and no later than server.shutdown_grace_s, cutting what is left.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { startFakeServer, type FakeServer } from '../support/fake-upstream-server.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { chatRequestHead, openRawSocket } from '../support/raw-socket.ts';
import { cleanEnv, LAUNCHER, REPO, startMain, type Started } from '../support/run-main.ts';

const KEY = 'sk-shutdown-test-key-123456';
/** npm's own entry script (the system's npm: the pinned Node comes without one), run with this Node. */
const NPM_CLI = process.env.npm_execpath ?? realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

/**
 * How long the slow upstream takes, read from the last message (`wait 1200`, or `wait 150 x8`
 * for a stream): a plain answer after the wait, or a stream of 8 events that far apart.
 */
function paceOf(body: { messages: { content: string }[] }): { ms: number; chunks: number } {
  const [, ms = '0', chunks = '1'] = /wait (\d+)(?: x(\d+))?/.exec(body.messages.at(-1)!.content) ?? [];
  return { ms: Number(ms), chunks: Number(chunks) };
}

/** An OpenAI-compatible upstream that takes its time, in OpenAI's wire format. */
function startSlowUpstream(): Promise<FakeServer<never, unknown>> {
  return startFakeServer<never, unknown>({
    async handle(record, res) {
      const pace = paceOf(record.body as { messages: { content: string }[] });
      // Stop waiting when Iris goes away, so a cut request leaves nothing running here.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const wait = (ms: number) => sleep(ms, undefined, { signal: gone.signal }).catch(() => {});
      const body = record.body as { model: string; stream?: boolean };
      const base = { id: 'chatcmpl-slow1', created: 1_700_000_000, model: body.model, system_fingerprint: 'fp_slow' };
      if (!body.stream) {
        await wait(pace.ms);
        if (gone.signal.aborted) return;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: 'slow and steady', refusal: null }, finish_reason: 'stop', logprobs: null }],
            usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (let i = 0; i < pace.chunks; i++) {
        await wait(pace.ms);
        if (gone.signal.aborted) return;
        res.write(chunk({ content: `w${i} ` }, null));
      }
      res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
    },
  });
}

function writeConfig(dir: string, upstream: string, graceS: number, server = ''): string {
  const file = join(dir, `iris-${graceS}${server ? '-more' : ''}.yaml`);
  writeFileSync(
    file,
    [
      `server: { shutdown_grace_s: ${graceS}${server ? `, ${server}` : ''} }`,
      'engine: { enabled: false }',
      'providers:',
      `  slow: { type: openai, base_url: "${upstream}/v1" }`,
      'models:',
      '  - { name: gpt-4o-mini, provider: slow }',
      '',
    ].join('\n'),
  );
  return file;
}

/** Resolves with the exit code and how long after `since` the process was gone. */
async function exitAfter(iris: Started, since: number): Promise<{ code: number | null; ms: number }> {
  const code = await iris.exited;
  return { code, ms: performance.now() - since };
}

/**
 * Signals the launcher (`node bin/iris.mjs serve`) and resolves with its exit code; fails after
 * 15 s, killing the Iris it left behind: an orphaned Iris holds the pipes, and this file, open.
 */
async function signalLauncher(launcher: Started, signal: NodeJS.Signals): Promise<number | null> {
  const irisPid = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(launcher.proc.pid)], { encoding: 'utf8' }).trim());
  launcher.proc.kill(signal);
  return Promise.race([
    launcher.exited,
    sleep(15_000, undefined, { ref: false }).then(() => {
      process.kill(irisPid, 'SIGKILL');
      return assert.fail(`Iris still running 15 s after ${signal} to the launcher:\n${launcher.stderr()}`);
    }),
  ]);
}

/**
 * One raw HTTP/1.1 request on a socket the test keeps; `send()` writes another request on the
 * same socket (pipelined behind the first), and `responses` resolves with all the bytes read.
 */
function rawConnection(origin: string, pageOrigin?: string) {
  const raw = openRawSocket(origin);
  return {
    send(body: object) {
      const json = JSON.stringify(body);
      raw.socket.write(chatRequestHead(raw.hostname, KEY, Buffer.byteLength(json), pageOrigin ? `Origin: ${pageOrigin}\r\n` : '') + json);
    },
    closed: raw.closed,
  };
}

describe('graceful shutdown (SIGTERM)', () => {
  let upstream: FakeServer<never, unknown>;
  let dir: string;
  before(async () => {
    upstream = await startSlowUpstream();
    dir = mkdtempSync(join(tmpdir(), 'iris-shutdown-'));
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (graceS: number) =>
    startMain(cleanEnv({ IRIS_CONFIG: writeConfig(dir, upstream.origin, graceS), IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY, LOG_LEVEL: 'info' }));

  it('lets in-flight requests and streams finish, refuses new ones with an OpenAI 503, then exits at once', async () => {
    upstream.reset();
    const iris = await start(30);
    const client = new OpenAI({ baseURL: `${iris.origin}/v1`, apiKey: KEY, maxRetries: 0 });
    const plain = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain, wait 1200' }] });
    const streamed = (async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'streamed, wait 150 x8' }] });
      let text = '';
      for await (const chunk of stream) {
        assertChatCompletionChunk(chunk);
        text += chunk.choices[0]?.delta.content ?? '';
      }
      return text;
    })();
    // A request on a connection the client keeps: a second request pipelined behind it arrives
    // during the drain.
    const raw = rawConnection(iris.origin);
    raw.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'raw, wait 1000' }] });
    await upstream.until(() => upstream.requests.length === 3);

    const signalled = performance.now();
    iris.proc.kill('SIGTERM');
    await sleep(200);
    raw.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'too late' }] });

    const completion = await plain;
    assertChatCompletion(completion);
    assert.equal(completion.choices[0].message.content, 'slow and steady');
    assert.equal(await streamed, 'w0 w1 w2 w3 w4 w5 w6 w7 ', iris.stdout());

    // The pipelined pair: the first answered in full, the second refused, then the socket closed.
    const exchange = await raw.closed;
    const statuses = [...exchange.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 503], exchange);
    const refusal = exchange.slice(exchange.lastIndexOf('HTTP/1.1 503'));
    assert.match(refusal, /^connection: close\r$/im);
    assert.match(refusal, /^retry-after: \d+\r$/im);
    const error = JSON.parse(refusal.slice(refusal.indexOf('\r\n\r\n') + 4)) as { error: { code: string; type: string } };
    assertErrorResponse(error);
    assert.equal(error.error.type, 'server_error');
    assert.equal(error.error.code, 'server_shutting_down');
    assert.equal(upstream.requests.length, 3, 'the refused request never reached the upstream');

    // Gone as soon as the last request is done: not after a keep-alive timeout, not after the grace.
    const { code, ms } = await exitAfter(iris, signalled);
    assert.equal(code, 0, iris.stderr());
    assert.ok(ms < 5_000, `exited ${Math.round(ms)} ms after SIGTERM`);
    assert.match(iris.stdout() + iris.stderr(), /shutting down/);
  });

  it("a stopping Iris's 503s carry CORS headers, for allowed origins only, so a page can read them", async () => {
    upstream.reset();
    const page = 'https://app.example.com';
    const iris = await startMain(
      cleanEnv({ IRIS_CONFIG: writeConfig(dir, upstream.origin, 1, `cors_origins: ["${page}"]`), IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY, LOG_LEVEL: 'info' }),
    );
    const allowed = rawConnection(iris.origin, page);
    const other = rawConnection(iris.origin, 'https://elsewhere.example');
    allowed.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'allowed, wait 800' }] });
    other.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'other, wait 800' }] });
    // Still running when the 1 s grace ends: cut with a 503.
    const hung = fetch(`${iris.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: page, authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'wait 60000' }] }),
    });
    await upstream.until(() => upstream.requests.length === 3);
    iris.proc.kill('SIGTERM');
    await sleep(200);
    allowed.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'too late' }] });
    other.send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'too late' }] });

    const refusalOn = async (raw: ReturnType<typeof rawConnection>) => {
      const exchange = await raw.closed;
      assert.deepEqual([...exchange.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), [200, 503], exchange);
      return exchange.slice(exchange.lastIndexOf('HTTP/1.1 503'));
    };
    const refused = await refusalOn(allowed);
    assert.match(refused, new RegExp(`^access-control-allow-origin: ${page}\r$`, 'im'));
    assert.match(refused, /^access-control-expose-headers: .*retry-after/im, 'the page may read Retry-After');
    assert.match(refused, /"code":"server_shutting_down"/);
    const refusedOther = await refusalOn(other);
    assert.doesNotMatch(refusedOther, /^access-control-allow-origin:/im, 'an origin not in server.cors_origins gets none');

    const cut = await hung;
    assert.equal(cut.status, 503);
    assert.equal(cut.headers.get('access-control-allow-origin'), page);
    assert.equal(((await cut.json()) as { error: { code: string } }).error.code, 'server_shutting_down');
    assert.equal(await iris.exited, 0, iris.stderr());
  });

  it('stops when the signal goes to `npm start` (as a process manager sends it), not only to Iris', async () => {
    // npm runs the start script through sh, which would die and leave Iris running: the script
    // execs, so npm's signal reaches Iris itself.
    const npm = await startMain(
      cleanEnv({ IRIS_CONFIG: writeConfig(dir, upstream.origin, 30), IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY, LOG_LEVEL: 'info' }),
      REPO,
      [NPM_CLI, 'start'],
    );
    const signalled = performance.now();
    npm.proc.kill('SIGTERM');
    // An orphaned Iris keeps npm's pipes open, so 'close' would never come.
    const { code } = await Promise.race([
      exitAfter(npm, signalled),
      sleep(15_000, undefined, { ref: false }).then(() => assert.fail(`npm start still running 15 s after SIGTERM:\n${npm.stderr()}`)),
    ]);
    assert.equal(code, 0, npm.stderr());
    assert.match(npm.stdout(), /"msg":"stopped"/, 'Iris itself stopped gracefully');
    await assert.rejects(fetch(`${npm.origin}/health`), 'nothing serves on its port any more');
  });

  it('drains when SIGTERM goes to the launcher, `node bin/iris.mjs serve`, and exits 0', async () => {
    upstream.reset();
    const launcher = await startMain(
      cleanEnv({ IRIS_CONFIG: writeConfig(dir, upstream.origin, 30), IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY, LOG_LEVEL: 'info' }),
      REPO,
      [LAUNCHER, 'serve'],
    );
    const client = new OpenAI({ baseURL: `${launcher.origin}/v1`, apiKey: KEY, maxRetries: 0 });
    const plain = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain, wait 1200' }] });
    await upstream.until(() => upstream.requests.length === 1);
    const code = signalLauncher(launcher, 'SIGTERM');
    assert.equal((await plain).choices[0].message.content, 'slow and steady', 'the request in flight finished');
    assert.equal(await code, 0, launcher.stderr());
    assert.match(launcher.stdout(), /"msg":"stopped"/, 'Iris itself stopped gracefully');
  });

  it('passes SIGHUP on too: Iris and the launcher end as Iris alone would, nothing left running', async () => {
    const launcher = await startMain(
      cleanEnv({ IRIS_CONFIG: writeConfig(dir, upstream.origin, 30), IRIS_DATA_DIR: join(dir, 'data'), IRIS_API_KEYS: KEY }),
      REPO,
      [LAUNCHER, 'serve'],
    );
    await signalLauncher(launcher, 'SIGHUP');
    // Iris has no SIGHUP handler, so it dies of it; the launcher dies of the same signal.
    assert.equal(launcher.proc.signalCode, 'SIGHUP');
    await assert.rejects(fetch(`${launcher.origin}/health`), 'nothing serves on its port any more');
  });

  it("Ctrl-C under a wrapper drains: the wrapper's copy of the signal is not a second Ctrl-C; a later one is", async () => {
    // The terminal sends SIGINT to the whole process group, and `npm start` or the launcher
    // passes its own copy on a moment later: Iris gets two within milliseconds.
    upstream.reset();
    const iris = await start(30);
    const client = new OpenAI({ baseURL: `${iris.origin}/v1`, apiKey: KEY, maxRetries: 0 });
    const plain = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'plain, wait 2500' }] });
    await upstream.until(() => upstream.requests.length === 1);
    iris.proc.kill('SIGINT');
    await sleep(20);
    iris.proc.kill('SIGINT');
    assert.equal((await plain).choices[0].message.content, 'slow and steady', 'the request in flight finished');
    assert.equal(await iris.exited, 0, iris.stderr());

    // A person's second Ctrl-C, a second later: exit now, the request in flight cut.
    upstream.reset();
    const impatient = await start(30);
    const cut = new OpenAI({ baseURL: `${impatient.origin}/v1`, apiKey: KEY, maxRetries: 0 })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'wait 60000' }] })
      .catch((err: unknown) => err);
    await upstream.until(() => upstream.requests.length === 1);
    impatient.proc.kill('SIGINT');
    await sleep(1_000);
    impatient.proc.kill('SIGINT');
    assert.equal(await impatient.exited, 1, impatient.stderr());
    assert.ok((await cut) instanceof OpenAI.APIConnectionError);
  });

  it('stops what is still running when the grace period ends, telling each client so, and exits', async () => {
    upstream.reset();
    const iris = await start(1);
    const client = new OpenAI({ baseURL: `${iris.origin}/v1`, apiKey: KEY, maxRetries: 0 });
    const hung = client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'wait 60000' }] });
    // A stream that would take 20 s: some words arrive, then the stop.
    const long = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'wait 200 x100' }] });
    let words = '';
    const streamed = (async () => {
      for await (const chunk of long) words += chunk.choices[0]?.delta.content ?? '';
    })();
    await upstream.until(() => upstream.requests.length === 2);
    const signalled = performance.now();
    iris.proc.kill('SIGTERM');

    // The plain request: a 503 the SDK would retry (elsewhere), not a dropped connection.
    const plainError = await hung.then(() => assert.fail('answered'), (err: unknown) => err);
    assert.ok(plainError instanceof OpenAI.APIError && plainError.status === 503, String(plainError));
    assert.equal(plainError.code, 'server_shutting_down');
    // The stream: an error as its last event, so it is not mistaken for a finished answer.
    await assert.rejects(streamed, (err: unknown) => err instanceof OpenAI.APIError && /shutting down/.test(err.message));
    assert.match(words, /^w0 w1 w2/);

    const { code, ms } = await exitAfter(iris, signalled);
    assert.equal(code, 0, iris.stderr());
    assert.ok(ms >= 900 && ms < 4_000, `exited ${Math.round(ms)} ms after SIGTERM with a 1 s grace`);
    assert.match(iris.stdout(), /stopped 2 request\(s\) still running/);
    await upstream.until(() => upstream.requests.every((r) => r.aborted), 2_000);
  });
});
