import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { cutLongDataUrls, matchPlaceholders } from '../../json/cut-data-urls.ts';
import { RawBody } from '../../json/raw-body.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { SseEventQueue } from './sse-event-queue.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.ts';

// The upstream client against a real HTTP server on loopback: what each kind of answer becomes.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
const server: Server = createServer((req, res) => handler(req, res));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
const client: UpstreamClient = createUpstreamClient({ baseUrl: base, timeoutMs: 300, label: 'test upstream' });
after(async () => {
  await client.close();
  server.closeAllConnections();
  server.close();
});

const call = (signal = new AbortController().signal) => ({ path: '/chat/completions', headers: { 'x-test': '1' }, body: { model: 'm', messages: [] }, signal });

test("postForText: the whole answer as text; an error answer's headers lower-cased, repeated ones joined", async () => {
  let status = 200;
  handler = (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Seen', [req.url ?? '', req.headers['x-test'] as string]);
      res.end(JSON.stringify({ echo: JSON.parse(body) }));
    });
  };
  const answer = await client.postForText(call());
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(answer.text), { echo: { model: 'm', messages: [] } });
  assert.deepEqual(answer.headers, {}, "nothing reads a 2xx answer's headers");

  status = 429;
  const refused = await client.postForText(call());
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['content-type'], 'application/json');
  assert.equal(refused.headers['x-seen'], '/v1/chat/completions, 1');
});

test('an answer read whole is bounded: past maxAnswerBytes the call is cut, a 502 for a 2xx, what came for an error', async () => {
  const small = createUpstreamClient({ baseUrl: base, timeoutMs: 5_000, label: 'test upstream', maxAnswerBytes: 10_000 });
  let cut: Promise<unknown> = Promise.resolve();
  let status = 200;
  handler = (req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    cut = new Promise((resolve) => res.once('close', () => resolve(res.writableFinished)));
    // Far more than the bound, in pieces, never ending on its own.
    const piece = 'x'.repeat(4096);
    const timer = setInterval(() => res.write(piece), 1);
    res.once('close', () => clearInterval(timer));
  };
  try {
    await assert.rejects(small.postForText(call()), (err: ApiError) => {
      assert.equal(err.status, 502);
      assert.equal(err.code, 'upstream_bad_response');
      assert.equal(err.message, 'The test upstream sent an answer larger than 10 kB');
      return true;
    });
    assert.equal(await cut, false, 'the upstream request was cut, not read to its end');
    for (const stream of [false, true]) {
      status = 500;
      const answer = stream ? await small.postForEvents(call()) : await small.postForText(call());
      assert.equal(answer.status, 500);
      assert.ok('text' in answer && answer.text.length <= 10_000, `${stream ? 'stream' : 'plain'}: what came, up to the bound`);
    }
  } finally {
    await small.close();
  }
});

test('postForText: an upstream that does not answer in time is a 504 upstream_timeout', async () => {
  handler = () => {}; // never answers
  await assert.rejects(client.postForText(call()), (err: ApiError) => err.status === 504 && err.code === 'upstream_timeout');
});

/**
 * A JSON answer a byte every 100 ms: undici's headers and body timeouts (300 ms each) never
 * fire. It ends after 1.5 s, so a client without the overall deadline gets an answer, not a hang.
 */
function trickleJson(): { closed: () => boolean } {
  let closed = false;
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let sent = 0;
    const timer = setInterval(() => (++sent < 15 ? res.write(' ') : res.end('{}')), 100);
    res.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
  };
  return { closed: () => closed };
}

test('postForText: an answer that trickles in past timeoutMs overall is a 504, though no single wait is that long', async () => {
  const upstream = trickleJson();
  const started = Date.now();
  await assert.rejects(client.postForText(call()), (err: ApiError) => err.status === 504 && err.code === 'upstream_timeout');
  const took = Date.now() - started;
  assert.ok(took >= 290 && took < 1000, `failed after ${took} ms`);
  // The deadline cancels the upstream request too.
  for (let i = 0; i < 100 && !upstream.closed(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(upstream.closed(), 'the upstream request was not closed');
});

test('postForEvents: events are handed over as they arrive, before the body ends', async () => {
  let finish: () => void = () => {};
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    finish = () => res.end('data: {"n":2}\n\ndata: [DONE]\n\n');
  };
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  const first = await answer.events.next();
  assert.equal(first.value?.data, '{"n":1}');
  finish();
  const rest = [];
  for await (const e of answer.events) rest.push(e.data);
  assert.deepEqual(rest, ['{"n":2}', '[DONE]']);
});

test('postForEvents: an error status or a plain JSON answer comes back as text', async () => {
  handler = (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end('{"error":{"message":"slow down"}}');
  };
  const limited = await client.postForEvents(call());
  assert.ok('text' in limited);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '7');
  assert.match(limited.text, /slow down/);

  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"choices":[]}');
  };
  const plain = await client.postForEvents(call());
  assert.ok('text' in plain && plain.status === 200 && plain.text === '{"choices":[]}');
});

test('postForEvents: a 2xx answer that is SSE under another Content-Type, or none, is read as events', async () => {
  for (const type of ['text/plain; charset=utf-8', undefined]) {
    handler = (_req, res) => {
      res.writeHead(200, type ? { 'content-type': type } : {});
      // The first bytes too few to tell.
      res.write('da', () => setTimeout(() => res.end('ta: {"n":1}\n\n: keep-alive\n\ndata: [DONE]\n\n'), 20));
    };
    const answer = await client.postForEvents(call());
    assert.ok('events' in answer, String(type));
    const seen = [];
    for await (const e of answer.events) seen.push(e.data);
    assert.deepEqual(seen, ['{"n":1}', '[DONE]']);
  }
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('{"choices":[]}');
  };
  const plain = await client.postForEvents(call());
  assert.ok('text' in plain && plain.text === '{"choices":[]}');
});

test('postForEvents: a JSON answer that trickles in past timeoutMs overall is a 504, not a hang', async () => {
  const upstream = trickleJson();
  const started = Date.now();
  await assert.rejects(client.postForEvents(call()), (err: ApiError) => err.status === 504 && err.code === 'upstream_timeout');
  assert.ok(Date.now() - started < 1400, 'cut at the deadline, before the body ended');
  while (!upstream.closed()) await new Promise((r) => setTimeout(r, 10));
});

test('postForEvents: an event stream is bounded by the wait for each event, not by timeoutMs overall', async () => {
  let timer: NodeJS.Timeout | undefined;
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // An event every 100 ms for 0.8 s: longer than timeoutMs (300 ms) overall, never idle that long.
    let sent = 0;
    timer = setInterval(() => (++sent <= 8 ? res.write(`data: ${sent}\n\n`) : (clearInterval(timer), res.end())), 100);
    res.on('close', () => clearInterval(timer));
  };
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  const seen: string[] = [];
  for await (const e of answer.events) seen.push(e.data);
  assert.equal(seen.length, 8);
});

/** Headers, then an SSE comment every 50 ms until the client goes; `at(ms, text)` writes more. */
function heartbeats(): { closed: () => boolean; at: (ms: number, text: string) => void } {
  let closed = false;
  const later: { ms: number; text: string }[] = [];
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write(': keep-alive\n\n'), 50);
    const timers = later.map(({ ms, text }) => setTimeout(() => res.write(text), ms));
    res.on('close', () => {
      closed = true;
      clearInterval(timer);
      timers.forEach(clearTimeout);
    });
  };
  return { closed: () => closed, at: (ms, text) => void later.push({ ms, text }) };
}

test('postForEvents: heartbeat comments do not hold a stream open: no event within timeoutMs is a 504', async () => {
  const upstream = heartbeats();
  const started = Date.now();
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  await assert.rejects(answer.events.next(), (err: ApiError) => err.status === 504 && err.code === 'upstream_timeout');
  const took = Date.now() - started;
  assert.ok(took >= 290 && took < 1000, `failed after ${took} ms`);
  await waitFor(upstream.closed);
});

test('postForEvents: each event re-arms the wait; comments after it do not', async () => {
  const upstream = heartbeats();
  upstream.at(200, 'data: {"n":1}\n\n');
  const started = Date.now();
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  assert.equal((await answer.events.next()).value?.data, '{"n":1}');
  await assert.rejects(answer.events.next(), (err: ApiError) => err.status === 504 && err.code === 'upstream_timeout');
  const took = Date.now() - started;
  // 300 ms after the event, not after the headers.
  assert.ok(took >= 490 && took < 1200, `failed after ${took} ms`);
  await waitFor(upstream.closed);
});

test('postForEvents: a reader that is behind (the body paused) is not timed out while it catches up', async () => {
  let finish: () => void = () => {};
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(Array.from({ length: 200 }, (_, i) => `data: ${i}\n\n`).join(''));
    finish = () => res.end();
  };
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  assert.equal((await answer.events.next()).value?.data, '0');
  await new Promise((r) => setTimeout(r, 700)); // over twice timeoutMs with the body paused
  assert.ok((answer.events as SseEventQueue).paused);
  const seen: string[] = [];
  for (let i = 1; i < 200; i++) seen.push((await answer.events.next()).value?.data);
  finish();
  assert.deepEqual(await answer.events.next(), { value: undefined, done: true });
  assert.equal(seen.length, 199);
});

test('postForEvents: a connection that dies mid-stream fails the reader with a 502, after the events that came', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n', () => setTimeout(() => res.socket?.destroy(), 20));
  };
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const e of answer.events) seen.push(e.data);
    })(),
    (err: ApiError) => err instanceof ApiError && err.status === 502 && err.code === 'upstream_unreachable',
  );
  assert.deepEqual(seen, ['{"n":1}']);
});

test('postForEvents: a reader that stops early, or a caller that aborts, closes the upstream request', async () => {
  const closed: string[] = [];
  handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    res.on('close', () => closed.push(req.headers['x-test'] as string));
  };
  const answer = await client.postForEvents(call());
  assert.ok('events' in answer);
  for await (const _ of answer.events) break;
  await waitFor(() => closed.length === 1);

  const controller = new AbortController();
  const aborted = await client.postForEvents(call(controller.signal));
  assert.ok('events' in aborted);
  const next = aborted.events.next().then(() => aborted.events.next());
  controller.abort(new Error('client went away'));
  await assert.rejects(next, (err: ApiError) => err.status === 499 && err.code === 'client_closed_request');
  await waitFor(() => closed.length === 2);
});

/** A client body with a long data URL, parsed as the JSON body parser does (verbatim bytes kept). */
function verbatimCall(signal = new AbortController().signal) {
  const url = `data:image/png;base64,${Buffer.alloc(300_000, 9).toString('base64')}`;
  const text = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] });
  const raw = Buffer.from(text);
  const cut = cutLongDataUrls(raw);
  assert.ok(cut);
  const value: unknown = JSON.parse(cut.skeleton);
  const body = new RawBody(raw);
  const verbatim = matchPlaceholders(value, cut, body);
  assert.ok(verbatim);
  return { text, raw, body, call: { path: '/chat/completions', headers: {}, body: value, verbatim, signal } };
}

test('a client body written upstream is held until the call ends, then freed once the request lets go too', async () => {
  const { text, raw, body, call } = verbatimCall();
  let received = '';
  handler = (req, res) => {
    req.setEncoding('latin1');
    req.on('data', (c: string) => (received += c));
    req.on('end', () => res.end('{}'));
  };
  const pending = client.postForText(call);
  body.release(); // the request is done with it (its client went away, say): the write still holds it
  assert.equal(body.freed, false);
  const answer = await pending;
  assert.equal(answer.status, 200);
  assert.equal(received, text, 'the upstream got the client bytes intact');
  assert.equal(body.freed, true);
  assert.equal(raw.length, 0);
});

test('a call whose client body is already freed fails as a closed request and sends nothing', async () => {
  const { body, call } = verbatimCall();
  let requests = 0;
  handler = (_req, res) => {
    requests++;
    res.end('{}');
  };
  body.release();
  await assert.rejects(client.postForText(call), (err: ApiError) => err.status === 499 && err.code === 'client_closed_request');
  assert.equal(requests, 0);
});

test('a failed call lets go of the client body as well', async () => {
  const { body, call } = verbatimCall();
  handler = (req) => req.socket.destroy();
  await assert.rejects(client.postForText(call), (err: ApiError) => err.status === 502);
  body.release();
  assert.equal(body.freed, true);
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), 'condition never became true');
}

test('a body nested too deeply to serialize is a 400 for the client, not a 502 for the upstream, and sends nothing', async () => {
  let received = 0;
  handler = (_req, res) => {
    received++;
    res.end('{}');
  };
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const body = { model: 'm', messages: [], vendor_extension: deep };
  for (const send of [client.postForText, client.postForEvents]) {
    await assert.rejects(send({ ...call(), body }), (err: ApiError) => {
      assert.equal(err.status, 400);
      assert.equal(err.type, 'invalid_request_error');
      assert.equal(err.code, 'nested_too_deeply');
      return true;
    });
  }
  assert.equal(received, 0);
});

test('postForEvents: a reader that finish()es at the stream end marker leaves the body to end: the connection is kept', async () => {
  let connections = 0;
  let ended: Promise<unknown> = Promise.resolve();
  const counted = createServer((req, res) => {
    req.resume();
    ended = once(res, 'finish');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // The body's end a moment after the marker, as servers that end the body in a second write.
    res.write('data: {"n":1}\n\ndata: [DONE]\n\n', () => setTimeout(() => res.end(), 10));
  });
  counted.on('connection', () => connections++);
  counted.listen(0, '127.0.0.1');
  await once(counted, 'listening');
  const own = createUpstreamClient({ baseUrl: `http://127.0.0.1:${(counted.address() as AddressInfo).port}`, timeoutMs: 2000, label: 'test upstream' });
  try {
    for (let i = 0; i < 3; i++) {
      const answer = await own.postForEvents(call());
      assert.ok('events' in answer);
      for await (const e of answer.events) {
        if (e.data !== '[DONE]') continue;
        answer.events.finish();
        break;
      }
      // The next call goes out once this body has ended (however slow the machine), and the
      // client has had a moment to read that end and free the connection.
      await ended;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(connections, 1, 'one keep-alive connection for the three streams');
  } finally {
    await own.close();
    counted.closeAllConnections();
    counted.close();
  }
});

test('postForEvents: a body that goes on after finish() is cut within a moment', async () => {
  let closed = false;
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: [DONE]\n\n');
    const timer = setInterval(() => res.write(': still here\n\n'), 20);
    res.on('close', () => {
      closed = true;
      clearInterval(timer);
    });
  };
  const long = createUpstreamClient({ baseUrl: base, timeoutMs: 60_000, label: 'test upstream' });
  try {
    const answer = await long.postForEvents(call());
    assert.ok('events' in answer);
    assert.equal((await answer.events.next()).value?.data, '[DONE]');
    answer.events.finish();
    await waitFor(() => closed);
  } finally {
    await long.close();
  }
});

test('a call still waiting for a connection (all busy) is bounded by timeoutMs and ends when its caller aborts', async () => {
  // One connection, taken by a healthy stream that lasts 1.5 s.
  const one = createUpstreamClient({ baseUrl: base, timeoutMs: 300, label: 'test upstream', connections: 1 });
  let connections = 0;
  let requests = 0;
  const count = () => connections++;
  server.on('connection', count);
  after(() => server.off('connection', count));
  handler = (_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = 0;
    const timer = setInterval(() => (++sent <= 15 ? res.write(`data: ${sent}\n\n`) : (clearInterval(timer), res.end())), 100);
    res.on('close', () => clearInterval(timer));
  };
  try {
    const busy = await one.postForEvents(call());
    assert.ok('events' in busy);
    const reading = (async () => {
      for await (const _ of busy.events);
    })();
    let started = Date.now();
    // Never sent: Iris's own limit of connections, a 503 to retry, not the upstream's timeout.
    await assert.rejects(
      one.postForText(call()),
      (err: ApiError) => err.status === 503 && err.code === 'upstream_busy' && err.headers['retry-after'] === '1' && /All 1 connections to the test upstream stayed busy for 300 ms/.test(err.message),
    );
    let took = Date.now() - started;
    assert.ok(took < 800, `timed out after ${took} ms, not at timeoutMs`);

    const controller = new AbortController();
    started = Date.now();
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    await assert.rejects(one.postForEvents(call(controller.signal)), (err: ApiError) => err.status === 499);
    took = Date.now() - started;
    assert.ok(took < 500, `ended ${took} ms after, not when aborted`);
    await reading;
    // The calls that gave up never start when the connection frees up, and do not cost it:
    // the next call goes out on the same keep-alive connection.
    handler = (_req, res) => {
      requests++;
      res.end('{}');
    };
    assert.equal((await one.postForText(call())).status, 200);
    assert.equal(connections, 1, `${connections} connections: the given-up calls opened or killed one`);
    assert.equal(requests, 2, 'only the stream and the last call reached the server');
  } finally {
    await one.close();
  }
});

test('a call that gives up while queued lets go of the client body at once (it no longer counts against the budget)', async () => {
  const one = createUpstreamClient({ baseUrl: base, timeoutMs: 200, label: 'test upstream', connections: 1 });
  let finish: () => void = () => {};
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Events keep the busy stream within its per-event deadline while the other call waits.
    const timer = setInterval(() => res.write('data: 1\n\n'), 50);
    finish = () => {
      clearInterval(timer);
      res.end();
    };
  };
  try {
    const busy = await one.postForEvents(call());
    assert.ok('events' in busy);
    const raw = Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(40_000)}` } }] }] }));
    const cut = cutLongDataUrls(raw)!;
    const body = new RawBody(raw);
    const verbatim = matchPlaceholders(JSON.parse(cut.skeleton), cut, body)!;
    const queued = one.postForText({ ...call(), body: JSON.parse(cut.skeleton), verbatim });
    body.release(); // the request's own hold ends (its response closed): the call's hold remains
    assert.equal(raw.buffer.detached, false);
    await assert.rejects(queued, (err: ApiError) => err.status === 503 && err.code === 'upstream_busy');
    assert.equal(raw.buffer.detached, true, 'freed when the call gave up, not when the connection came free');
    finish();
    for await (const _ of busy.events);
  } finally {
    finish();
    await one.close();
  }
});

/**
 * A server like uvicorn: no Keep-Alive header; a request for which `closeOn(nth overall, nth on its
 * connection)` says 'end' is not answered, its connection closed. Keeps the bodies it received.
 */
async function closingServer(closeOn: (request: number, onConnection: number) => 'end' | null) {
  const bodies: string[] = [];
  const server = createNetServer((socket) => {
    let buffered = Buffer.alloc(0);
    let onConnection = 0;
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (;;) {
        const head = buffered.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.subarray(0, head).toString())?.[1] ?? 0);
        if (buffered.length < head + 4 + length) return;
        bodies.push(buffered.subarray(head + 4, head + 4 + length).toString('latin1'));
        buffered = buffered.subarray(head + 4 + length);
        if (closeOn(bodies.length, ++onConnection) === 'end') return void socket.end();
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const upstream = createUpstreamClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, timeoutMs: 2_000, label: 'test upstream', connections: 1 });
  return {
    bodies,
    upstream,
    close: async () => {
      await upstream.close();
      server.close();
    },
  };
}

test('a kept-alive connection the upstream closes as the next request goes out: the call is sent again on a new connection', async () => {
  // Each connection's second request meets a closed connection, as when an idle timeout and a request cross.
  const up = await closingServer((_n, onConnection) => (onConnection === 2 ? 'end' : null));
  try {
    assert.equal((await up.upstream.postForText(call())).status, 200);
    assert.equal((await up.upstream.postForText(call())).status, 200, 'answered on a new connection');
    assert.equal((await up.upstream.postForEvents(call())).status, 200, 'a stream request too');
    const { text, call: big } = verbatimCall();
    assert.equal((await up.upstream.postForText(big)).status, 200);
    assert.equal(up.bodies.length, 7, 'four calls, the last three each sent twice');
    assert.equal(up.bodies.at(-1), text, "the client's body sent again intact");
    assert.equal(up.bodies.at(-2), text);
  } finally {
    await up.close();
  }
});

test('a connection closed before its first answer, or a second time, is not retried: a 502', async () => {
  // The first request is answered; every later one meets a closed connection.
  const up = await closingServer((n) => (n === 1 ? null : 'end'));
  try {
    assert.equal((await up.upstream.postForText(call())).status, 200);
    await assert.rejects(up.upstream.postForText(call()), (err: ApiError) => err.status === 502 && err.code === 'upstream_unreachable');
    assert.equal(up.bodies.length, 3, 'sent on the kept-alive connection, then once on a new one, which was closed too');
    await assert.rejects(up.upstream.postForText(call()), (err: ApiError) => err.status === 502);
    assert.equal(up.bodies.length, 4, 'a new connection closed before any answer: not sent again');
  } finally {
    await up.close();
  }
});
