// A client that disconnects while Iris still works on its images: while they are resized by
// sharp, and while their URL is fetched from a slow image server on loopback. After it, the
// upstream has not been called, the image budget is whole again (the budget here fits one big
// image at a time, so a leaked lease makes the next request 503), the request is logged once,
// as 499, nothing is left unhandled, and Iris keeps answering.

import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { chatRequests, startStack, type Stack } from './e2e-setup.ts';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let stack: Stack;
let bigImage: string; // 6000×6000 JPEG: resized to the provider's 2048 px edge, ~350 ms of sharp
let small: Buffer;
const imageRequests: { path: string; closed: boolean }[] = [];
const images = createServer((req, res) => {
  const seen = { path: req.url ?? '', closed: false };
  imageRequests.push(seen);
  res.on('close', () => (seen.closed = true));
  if (req.url === '/small.jpg') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(small);
  // A byte every 50 ms, forever (until Iris goes away).
  res.writeHead(200, { 'content-type': 'image/png' });
  const timer = setInterval(() => res.write(Buffer.alloc(1)), 50);
  res.on('close', () => clearInterval(timer));
});

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  [bigImage, small] = await Promise.all([
    makeImage('jpeg', 6000, 6000).then((b) => `data:image/jpeg;base64,${b.toString('base64')}`),
    makeImage('jpeg', 64, 64),
  ]);
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  const { port } = images.address() as AddressInfo;
  stack = await startStack({
    provider: { fetch_urls: 'iris', image_limits: { max_edge: 2048 } },
    config: {
      images: {
        fetch: { allow_hosts: [`127.0.0.1:${port}`], timeout_ms: 30_000 },
        // One resize at a time, nothing cached (each request really resizes), and room for
        // about one big image: 1.2 MB against 0.33 MB per image and 1 MB per started fetch.
        transform_concurrency: 1,
        cache_bytes: 0,
        inflight_bytes: 1_200_000,
        inflight_wait_ms: 500,
      },
    },
  });
});

after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await stack?.close();
  images.closeAllConnections();
  await new Promise<void>((resolve) => images.close(() => resolve()));
});

const imageServer = () => `http://127.0.0.1:${(images.address() as AddressInfo).port}`;

function userWith(...urls: string[]) {
  return [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...urls.map((url) => ({ type: 'image_url', image_url: { url } }))] }];
}

/** Sends a request with node:http, to be destroyed mid-way. */
function send(body: unknown): ClientRequest {
  const req = httpRequest(`${stack.iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
  });
  req.on('error', () => {}); // the test destroys it
  req.end(JSON.stringify(body));
  return req;
}

/** Resolves to the id of the first request logged that was not logged before (one is sent at a time). */
function nextRequestId(): () => Promise<string> {
  const known = new Set(stack.iris.logs.map((l) => l.reqId));
  const fresh = () => stack.iris.logs.find((l) => typeof l.reqId === 'string' && !known.has(l.reqId));
  return async () => {
    await stack.upstream.until(() => fresh() !== undefined, 20_000);
    return fresh()!.reqId as string;
  };
}

/** Waits for the request's status line, then checks it was the only one, a 499, and no error. */
async function assertLoggedOnceAs499(reqId: string): Promise<void> {
  const lines = () => stack.iris.logs.filter((l) => l.reqId === reqId);
  await stack.upstream.until(() => lines().some((l) => typeof l.status === 'number'), 20_000);
  const statuses = lines().filter((l) => typeof l.status === 'number');
  assert.deepEqual(statuses.map((l) => l.status), [499], JSON.stringify(lines()));
  assert.equal(lines().filter((l) => (l.level as number) >= 50).length, 0, 'nothing logged as an error');
  assert.equal(lines().some((l) => l.msg === 'image fetch failed'), false, 'a cancelled fetch is not a failed image');
}

/** The next request with a big image gets in (and through) at once: the budget is whole. */
async function assertNextImageRequestSucceeds(): Promise<void> {
  const upstreamBefore = chatRequests(stack.upstream).length;
  const answer = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: userWith(bigImage) as never });
  assert.equal(answer.object, 'chat.completion');
  assert.equal(chatRequests(stack.upstream).length, upstreamBefore + 1);
}

describe('a client that disconnects while Iris works on its images', () => {
  for (const stream of [false, true]) {
    it(`during the resize (stream: ${stream}): upstream untouched, logged once as 499, budget whole`, async () => {
      const upstreamBefore = chatRequests(stack.upstream).length;
      const requestId = nextRequestId();
      // Three images, one resize at a time: at the first "image prepared", the second is being
      // resized and the third waits for its turn.
      const req = send({ model: 'gpt-4o-mini', stream, messages: userWith(bigImage, bigImage, bigImage) });
      const reqId = await requestId();
      await stack.upstream.until(() => stack.iris.logs.some((l) => l.reqId === reqId && l.msg === 'image prepared'), 20_000);
      req.destroy();
      await assertLoggedOnceAs499(reqId);
      assert.equal(chatRequests(stack.upstream).length, upstreamBefore, 'the upstream was not called');
      await assertNextImageRequestSucceeds();
    });
  }

  for (const stream of [false, true]) {
    it(`while its image URL is fetched (stream: ${stream}): fetch aborted, upstream untouched, logged once as 499`, async () => {
      const upstreamBefore = chatRequests(stack.upstream).length;
      const requestId = nextRequestId();
      const fetchesBefore = imageRequests.length;
      const req = send({ model: 'gpt-4o-mini', stream, messages: userWith(`${imageServer()}/slow.png?sig=secret`) });
      await stack.upstream.until(() => imageRequests.length > fetchesBefore, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 150)); // a few bytes in: budget reserved
      req.destroy();
      await stack.upstream.until(() => imageRequests.at(-1)!.closed, 20_000); // Iris hung up on the image server
      await assertLoggedOnceAs499(await requestId());
      assert.equal(chatRequests(stack.upstream).length, upstreamBefore, 'the upstream was not called');
      await assertNextImageRequestSucceeds();
    });
  }

  it('serves image URLs as before, and nothing was left unhandled', async () => {
    const answer = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: userWith(`${imageServer()}/small.jpg`) as never });
    assert.equal(answer.object, 'chat.completion');
    assert.deepEqual(unhandled, []);
  });
});
