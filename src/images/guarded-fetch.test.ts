import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createGuardedFetcher, ImageFetchError, parseFetchUrl, type GuardedFetcher } from './guarded-fetch.ts';

// Every connection here goes to 127.0.0.1; the refused cases never connect at all (the
// connector refuses before dialling), which is what `kind: 'refused'` asserts.

let server: Server;
let port: number;
const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/img.png':
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=60' });
        res.end(png);
        return;
      case '/missing':
        res.writeHead(404).end('nope');
        return;
      case '/to': // redirect to whatever ?u= says
        res.writeHead(302, { location: url.searchParams.get('u') ?? '/img.png' }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-length': String(5000) });
        res.end(Buffer.alloc(5000));
        return;
      case '/big-chunked': {
        res.writeHead(200, { 'content-type': 'image/png' });
        let sent = 0;
        const push = () => {
          if (sent >= 50_000 || res.destroyed) return res.end();
          sent += 1000;
          res.write(Buffer.alloc(1000), () => setImmediate(push));
        };
        push();
        return;
      }
      case '/slow': {
        res.writeHead(200, { 'content-type': 'image/png' });
        const timer = setInterval(() => res.write(Buffer.alloc(1)), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      default:
        res.writeHead(500).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

function fetcher(extra: Partial<Parameters<typeof createGuardedFetcher>[0]> = {}): GuardedFetcher {
  return createGuardedFetcher({
    allowHosts: [`127.0.0.1:${port}`],
    denyHosts: [],
    maxBytes: 4000,
    timeoutMs: 2000,
    maxRedirects: 5,
    userAgent: 'iris-test',
    ...extra,
  });
}

async function failure(f: GuardedFetcher, url: string): Promise<ImageFetchError> {
  try {
    await f.fetch(url);
  } catch (err) {
    assert.ok(err instanceof ImageFetchError, `expected ImageFetchError, got ${String(err)}`);
    return err;
  }
  assert.fail(`fetching ${url} succeeded`);
}

describe('guarded fetch', () => {
  test('fetches from an allow-listed loopback host and reads Cache-Control', async () => {
    const f = fetcher();
    const got = await f.fetch(`http://127.0.0.1:${port}/img.png?sig=secret`);
    assert.deepEqual(got.bytes, png);
    assert.equal(got.ttlMs, 60_000);
    assert.ok(!got.finalUrl.includes('secret'));
    await f.close();
  });

  const refused = [
    ['a loopback address that is not allow-listed', (p: number) => `http://127.0.0.2:${p}/img.png?token=secret`],
    ['localhost', (p: number) => `http://localhost:${p}/img.png?token=secret`],
    ['IPv6 loopback', (p: number) => `http://[::1]:${p}/img.png?token=secret`],
    ['IPv4-mapped IPv6 loopback', (p: number) => `http://[::ffff:127.0.0.1]:${p}/img.png?token=secret`],
    ['decimal loopback', (p: number) => `http://2130706434:${p}/img.png?token=secret`],
    ['hex loopback', (p: number) => `http://0x7f000002:${p}/img.png?token=secret`],
    ['short-form loopback', (p: number) => `http://127.2:${p}/img.png?token=secret`],
    ['octal loopback', (p: number) => `http://0177.0.0.2:${p}/img.png?token=secret`],
    ['loopback with a trailing dot', (p: number) => `http://127.0.0.2.:${p}/img.png?token=secret`],
    ['the unspecified address', (p: number) => `http://0.0.0.0:${p}/img.png?token=secret`],
    ['the allowed host on another port', (p: number) => `http://127.0.0.1:${p + 1 === 65536 ? 1 : p + 1}/img.png?token=secret`],
  ] as const;
  for (const [name, make] of refused) {
    test(`refuses ${name}, leaking neither address nor query`, async () => {
      const f = fetcher();
      const err = await failure(f, make(port));
      assert.equal(err.kind, 'refused');
      assert.ok(!/secret|127\.|::1|ffff|0\.0\.0\.0/.test(err.message), err.message);
      await f.close();
    });
  }

  test('re-checks redirects: allowed host → another loopback address is refused', async () => {
    const f = fetcher();
    for (const target of [`http://127.0.0.2:${port}/img.png`, `http://localhost:${port}/img.png`, `http://[::1]:${port}/x`]) {
      const err = await failure(f, `http://127.0.0.1:${port}/to?u=${encodeURIComponent(target)}`);
      assert.equal(err.kind, 'refused', target);
    }
    await f.close();
  });

  test('follows a redirect within the allow-list', async () => {
    const f = fetcher();
    const got = await f.fetch(`http://127.0.0.1:${port}/to?u=/img.png`);
    assert.deepEqual(got.bytes, png);
    await f.close();
  });

  test('refuses non-http schemes, in the URL and in a redirect', async () => {
    const f = fetcher();
    assert.equal((await failure(f, 'file:///etc/passwd')).kind, 'invalid_url');
    assert.equal((await failure(f, 'ftp://example.com/x.png')).kind, 'invalid_url');
    assert.equal((await failure(f, `http://127.0.0.1:${port}/to?u=${encodeURIComponent('file:///etc/passwd')}`)).kind, 'invalid_url');
    await f.close();
  });

  test('a redirect from https to plain http is refused (the image would travel unprotected)', () => {
    const from = new URL('https://cdn.example/a.png?sig=secret');
    assert.throws(() => parseFetchUrl('http://cdn.example/a.png', from), (err: unknown) => err instanceof ImageFetchError && err.kind === 'refused' && !err.message.includes('secret'));
    assert.equal(parseFetchUrl('https://other.example/b.png', from).href, 'https://other.example/b.png');
    assert.equal(parseFetchUrl('https://other.example/b.png', new URL('http://cdn.example/')).protocol, 'https:');
    assert.equal(parseFetchUrl('http://cdn.example/c.png').protocol, 'http:');
  });

  test('stops an endless redirect chain', async () => {
    const f = fetcher({ maxRedirects: 5 });
    const err = await failure(f, `http://127.0.0.1:${port}/loop`);
    assert.equal(err.kind, 'too_many_redirects');
    await f.close();
  });

  test('caps the body: declared and streamed', async () => {
    const f = fetcher({ maxBytes: 4000 });
    assert.equal((await failure(f, `http://127.0.0.1:${port}/big-declared`)).kind, 'too_large');
    assert.equal((await failure(f, `http://127.0.0.1:${port}/big-chunked`)).kind, 'too_large');
    await f.close();
  });

  test('times out a server that sends slowly forever', async () => {
    const f = fetcher({ timeoutMs: 400, maxBytes: 1_000_000 });
    const started = Date.now();
    const err = await failure(f, `http://127.0.0.1:${port}/slow?key=secret`);
    assert.equal(err.kind, 'timeout');
    assert.ok(Date.now() - started < 2000);
    assert.ok(!err.message.includes('secret'));
    await f.close();
  });

  test('reports the upstream status as http_status', async () => {
    const f = fetcher();
    const err = await failure(f, `http://127.0.0.1:${port}/missing?x=secret`);
    assert.equal(err.kind, 'http_status');
    assert.equal(err.status, 404);
    assert.ok(!err.message.includes('secret'));
    await f.close();
  });

  test('checks the address it dials, not an earlier answer (DNS rebinding)', async () => {
    // A name that "resolves" to loopback is refused although nothing vetted it earlier;
    // the same name allow-listed is dialled at the address the resolver returned.
    let calls = 0;
    const resolve = async (host: string) => {
      calls++;
      return host === 'mixed.test' ? ['93.184.216.34', '127.0.0.1'] : ['127.0.0.1'];
    };
    const f = fetcher({ resolve, allowHosts: [`images.internal.test:${port}`] });
    assert.equal((await failure(f, `http://rebind.test:${port}/img.png`)).kind, 'refused');
    assert.equal((await failure(f, `http://mixed.test:${port}/img.png`)).kind, 'refused');
    const got = await f.fetch(`http://images.internal.test:${port}/img.png`);
    assert.deepEqual(got.bytes, png);
    assert.equal(calls, 3);
    await f.close();
  });

  test('deny-list wins over everything', async () => {
    const f = fetcher({ denyHosts: ['127.0.0.1'] });
    assert.equal((await failure(f, `http://127.0.0.1:${port}/img.png`)).kind, 'refused');
    await f.close();
  });

  test('a deny-listed address is denied under any name that reaches it', async () => {
    // Allow-listing stands in for "public" here: the deny entry must still win, whether the
    // address is reached through a DNS name or spelled as an IPv4-mapped IPv6 literal.
    const resolve = async () => ['127.0.0.1'];
    const f = fetcher({
      resolve,
      denyHosts: ['127.0.0.1'],
      allowHosts: [`alias.test:${port}`, `[::ffff:127.0.0.1]:${port}`],
    });
    assert.equal((await failure(f, `http://alias.test:${port}/img.png`)).kind, 'refused');
    assert.equal((await failure(f, `http://[::ffff:127.0.0.1]:${port}/img.png`)).kind, 'refused');
    await f.close();
  });

  test('names under localhost are refused, with or without a trailing dot', async () => {
    const asked: string[] = [];
    const resolve = async (host: string) => {
      asked.push(host);
      return ['127.0.0.1'];
    };
    const f = fetcher({ resolve });
    for (const host of ['localhost.', 'LOCALHOST', 'a.localhost', 'a.localhost.']) {
      assert.equal((await failure(f, `http://${host}:${port}/img.png`)).kind, 'refused', host);
    }
    assert.deepEqual(asked, ['localhost', 'localhost', 'a.localhost', 'a.localhost']);
    assert.equal((await failure(f, `http://.:${port}/img.png`)).kind, 'refused');
    assert.equal(asked.length, 4);
    await f.close();
  });

  test('reserves memory before holding the bytes', async () => {
    const f = fetcher();
    const reserved: number[] = [];
    await f.fetch(`http://127.0.0.1:${port}/img.png`, { reserve: async (n) => { reserved.push(n); } });
    assert.ok(reserved.reduce((a, b) => a + b, 0) >= png.length);
    const refusing = fetcher({ maxBytes: 100_000 });
    await assert.rejects(
      refusing.fetch(`http://127.0.0.1:${port}/big-chunked`, { reserve: async () => { throw new Error('budget'); } }),
      /budget/,
    );
    await f.close();
    await refusing.close();
  });
});

// Servers that lie: raw sockets, so the response can say what node:http would not let it.
describe('guarded fetch against a hostile server', () => {
  let raw: NetServer;
  let rawPort: number;
  const seen: string[] = [];
  const bomb = gzipSync(Buffer.alloc(64 << 20)); // 64 MB of zeros in ~64 kB
  const gzipped = gzipSync(png);

  before(async () => {
    raw = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', (head) => {
        const text = head.toString('latin1');
        seen.push(text);
        const path = text.split(' ')[1].split('?')[0];
        const send = (headers: string, body: Buffer = Buffer.alloc(0)) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${headers}\r\n`), body]));
        switch (path) {
          case '/longer-than-body': // declares 1000 bytes, sends 100, hangs up
            send('content-type: image/png\r\ncontent-length: 1000\r\n', png);
            socket.end();
            return;
          case '/shorter-than-body': // declares the PNG's length, then keeps sending past it
            send(`content-type: image/png\r\ncontent-length: ${png.length}\r\n`, Buffer.concat([png, Buffer.alloc(10_000, 0x41)]));
            socket.end();
            return;
          case '/gzip':
            send(`content-type: image/png\r\ncontent-encoding: gzip\r\ncontent-length: ${bomb.length}\r\n`, bomb);
            socket.end();
            return;
          case '/br':
            send('content-type: image/png\r\ncontent-encoding: br\r\ntransfer-encoding: chunked\r\n', Buffer.from('5\r\nxxxxx\r\n0\r\n\r\n'));
            socket.end();
            return;
          case '/gzip-second': // an innocent first Content-Encoding, the real one second
            send(`content-type: image/png\r\ncontent-encoding: identity\r\ncontent-encoding: gzip\r\ncontent-length: ${gzipped.length}\r\n`, gzipped);
            socket.end();
            return;
          case '/html':
            send('content-type: text/html; charset=utf-8\r\ncontent-length: 15\r\n', Buffer.from('<html>hi</html>'));
            socket.end();
            return;
          default:
            socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        }
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    rawPort = (raw.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => raw.close(() => r())));

  const hostile = (extra: Partial<Parameters<typeof createGuardedFetcher>[0]> = {}) =>
    createGuardedFetcher({ allowHosts: [`127.0.0.1:${rawPort}`], denyHosts: [], maxBytes: 4000, timeoutMs: 2000, maxRedirects: 5, userAgent: 'iris-test', ...extra });

  test('a body shorter than its Content-Length fails as a cut connection, not a short image', async () => {
    const f = hostile();
    const err = await failure(f, `http://127.0.0.1:${rawPort}/longer-than-body?k=secret`);
    assert.equal(err.kind, 'network');
    assert.match(err.message, /before the whole image arrived/);
    assert.ok(!err.message.includes('secret'));
    await f.close();
  });

  test('bytes past the Content-Length are never read (the cap cannot be slipped past)', async () => {
    const f = hostile();
    const got = await f.fetch(`http://127.0.0.1:${rawPort}/shorter-than-body`);
    assert.deepEqual(got.bytes, png);
    await f.close();
  });

  test('asks for no compression, and refuses a compressed body without inflating it', async () => {
    const f = hostile({ maxBytes: 20_000_000 });
    const before = process.memoryUsage().rss;
    for (const path of ['/gzip', '/br']) {
      const err = await failure(f, `http://127.0.0.1:${rawPort}${path}`);
      assert.equal(err.kind, 'unsupported_encoding', path);
      assert.match(err.message, /compressed \((gzip|br)\)/);
    }
    assert.ok(process.memoryUsage().rss - before < 32 << 20, 'the 64 MB bomb was not inflated');
    assert.match(seen.at(-1)!, /\r\naccept-encoding: identity\r\n/i);
    await f.close();
  });

  test('every Content-Encoding header counts, not only the first', async () => {
    const f = hostile();
    assert.equal((await failure(f, `http://127.0.0.1:${rawPort}/gzip-second`)).kind, 'unsupported_encoding');
    await f.close();
  });

  test('reports the content type the server declared', async () => {
    const f = hostile();
    const got = await f.fetch(`http://127.0.0.1:${rawPort}/html`);
    assert.equal(got.contentType, 'text/html');
    await f.close();
  });
});
