import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import sharp from 'sharp';
import { imagesConfigSchema } from '../config/images-config.ts';
import { ApiError } from '../openai/api-error.ts';
import type { ChatCompletionRequest, ImageDetail } from '../openai/types.ts';
import type { CallContext, ImageLimits } from '../providers/provider.ts';
import { createImagePipeline, type ImagePipelineHandle, type PreparedImageDetails } from './create-image-pipeline.ts';
import type { ImageTarget, PreparedImage } from './image-pipeline.ts';
import { InflightBudget } from './inflight-budget.ts';
import { TransformSlots } from './transform-slots.ts';
import { dataUrl, emptyBmp, makeAnimatedGif, makeBmp, makeHeicLike, makeImage, makePngBomb } from './testing/test-images.ts';

const log = pino({ level: 'silent' });
const ctx = (): CallContext => ({ requestId: 'test', signal: new AbortController().signal, log });
const openaiLimits: ImageLimits = { acceptsUrls: true, formats: ['jpeg', 'png', 'webp', 'gif'], maxBytes: 20_000_000, maxImages: 10, multiFrame: false };
const target = (limits: Partial<ImageLimits> = {}, extra: Partial<ImageTarget> = {}): ImageTarget => ({
  limits: { ...openaiLimits, ...limits },
  fetchUrls: 'iris',
  upstreamModel: 'gpt-4o',
  ...extra,
});
const request = (...urls: Array<string | [string, ImageDetail]>): ChatCompletionRequest => ({
  model: 'm',
  messages: [
    { role: 'system', content: 'be brief' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        ...urls.map((u) => ({ type: 'image_url' as const, image_url: Array.isArray(u) ? { url: u[0], detail: u[1] } : { url: u } })),
      ],
    },
  ],
});
const urlAt = (req: ChatCompletionRequest, i = 0): string => {
  const part = (req.messages[1].content as Array<{ type: string; image_url?: { url: string } }>)[1 + i];
  return part.image_url!.url;
};
type Image = PreparedImage & PreparedImageDetails;
const bytesOf = (url: string) => Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');

let server: Server;
let base: string;
let hits = 0;
const served = new Map<string, { body: Buffer; type: string; status?: number }>();

function pipeline(overrides: Record<string, unknown> = {}, budget?: InflightBudget): ImagePipelineHandle {
  const config = imagesConfigSchema.parse({ fetch: { allow_hosts: [new URL(base).host], timeout_ms: 3000 }, ...overrides });
  return createImagePipeline(config, log, budget ? { budget } : {});
}

async function rejects(promise: Promise<unknown>, code: string, param: string | null = 'messages[1].content[1].image_url.url'): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.param, param);
    if (err.status !== 503) assert.equal(err.status, 400);
    return err;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  server = createServer((req, res) => {
    hits++;
    const item = served.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!item) return void res.writeHead(404).end('not found');
    res.writeHead(item.status ?? 200, { 'content-type': item.type, 'cache-control': 'max-age=600' }).end(item.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

describe('data URLs that already fit', () => {
  test('are forwarded as the very same string, with size, format and tokens', async () => {
    const p = pipeline();
    const url = dataUrl(await makeImage('jpeg', 1024, 1024), 'image/jpeg');
    const req = request(url);
    const out = await p.prepare(req, target(), ctx());
    assert.equal(urlAt(out.request), url);
    assert.equal(out.request, req); // nothing changed: not even a copy
    const [image] = out.images as Image[];
    assert.deepEqual([image.format, image.width, image.height, image.mediaType, image.tokens, image.changes.length], ['jpeg', 1024, 1024, 'image/jpeg', 765, 0]);
    assert.equal(out.imageTokens, 765);
    assert.deepEqual(image.data, bytesOf(url));
    assert.equal(image.sha256, createHash('sha256').update(bytesOf(url)).digest('hex'));
    assert.ok(p.budget.used > 0);
    out.release();
    assert.equal(p.budget.used, 0);
    await p.close();
  });

  test('several images in one request keep their own bytes (scratch buffer reuse)', async () => {
    const p = pipeline();
    const a = await makeImage('png', 300, 200);
    const b = await makeImage('jpeg', 2000, 1000);
    const c = await makeImage('gif', 50, 60);
    const out = await p.prepare(request(dataUrl(a), [dataUrl(b, 'image/jpeg'), 'low'], dataUrl(c, 'image/gif')), target(), ctx());
    const [ia, ib, ic] = out.images as Image[];
    assert.deepEqual(ia.data, a);
    assert.deepEqual(ic.data, c);
    assert.deepEqual([ib.width, ib.height, ib.changes], [512, 256, ['low_detail']]);
    assert.deepEqual(ib.data, bytesOf(urlAt(out.request, 1)));
    assert.equal(ib.sha256, createHash('sha256').update(b).digest('hex'));
    assert.deepEqual([ia.sha256, ic.sha256], [a, c].map((x) => createHash('sha256').update(x).digest('hex')));
    out.release();
    await p.close();
  });

  test('a wrong declared media type is corrected without re-encoding', async () => {
    const p = pipeline();
    const jpeg = await makeImage('jpeg', 100, 80);
    const out = await p.prepare(request(dataUrl(jpeg, 'image/png')), target(), ctx());
    assert.ok(urlAt(out.request).startsWith('data:image/jpeg;base64,'));
    assert.deepEqual(bytesOf(urlAt(out.request)), jpeg);
    out.release();
    await p.close();
  });

  test('an uppercase data URL header is sent on as data:image/png (upstream parsers match it case-sensitively)', async () => {
    const p = pipeline();
    const png = await makeImage('png', 100, 80);
    const payload = png.toString('base64');
    for (const head of ['DATA:IMAGE/PNG;BASE64,', 'Data:image/png;base64,', 'data:Image/Png; base64,']) {
      const out = await p.prepare(request(head + payload), target(), ctx());
      const url = urlAt(out.request);
      assert.equal(url.slice(0, url.indexOf(',') + 1), 'data:image/png;base64,', head);
      assert.ok(url.endsWith(`,${payload}`) && url.length === 22 + payload.length, head);
      assert.deepEqual((out.images[0] as Image).changes, []);
      out.release();
    }
    await p.close();
  });

  test('tokens follow the target model: Anthropic, Gemini, patches; summed over images', async () => {
    const p = pipeline();
    const url = dataUrl(await makeImage('png', 960, 540));
    const small = dataUrl(await makeImage('png', 200, 200));
    const claude = await p.prepare(request(url, small), target({}, { upstreamModel: 'claude-sonnet-4-5' }), ctx());
    assert.deepEqual(claude.images.map((i) => i.tokens), [Math.ceil((960 * 540) / 750), 54]);
    assert.equal(claude.imageTokens, 692 + 54);
    const gemini = await p.prepare(request(url), target({}, { upstreamModel: 'gemini-2.5-flash' }), ctx());
    assert.equal(gemini.imageTokens, 1548);
    const mini = await p.prepare(request(url), target({}, { upstreamModel: 'gpt-4.1-mini', tokens: { formula: 'patches', multiplier: 1 } }), ctx());
    assert.equal(mini.imageTokens, 30 * 17);
    for (const r of [claude, gemini, mini]) r.release();
    await p.close();
  });
});

describe('preparing for the upstream', () => {
  test('a request with more images than manyImages.over gets its lower edge (Anthropic: 2000 px past 20)', async () => {
    const p = pipeline();
    const wide = dataUrl(await makeImage('png', 2400, 16), 'image/png');
    const limits = { maxEdge: 8000, manyImages: { over: 2, maxEdge: 2000 } };
    const few = await p.prepare(request(wide, wide), target(limits), ctx());
    assert.deepEqual((few.images as Image[]).map((i) => i.width), [2400, 2400]);
    const many = await p.prepare(request(wide, wide, wide), target(limits), ctx());
    assert.deepEqual((many.images as Image[]).map((i) => i.width), [2000, 2000, 2000]);
    few.release();
    many.release();
    await p.close();
  });

  test('downscales past max edge, aspect kept, same format', async () => {
    const p = pipeline();
    // A model outside the token table: nothing is known of the size it sees.
    const out = await p.prepare(request(dataUrl(await makeImage('jpeg', 3000, 2000), 'image/jpeg')), target({ maxEdge: 1568 }, { upstreamModel: 'qwen2.5-vl' }), ctx());
    const [image] = out.images as Image[];
    assert.deepEqual([image.width, image.height, image.originalWidth, image.mediaType], [1568, 1045, 3000, 'image/jpeg']);
    assert.deepEqual(image.changes, ['edge']);
    const meta = await sharp(bytesOf(urlAt(out.request))).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [1568, 1045, 'jpeg']);
    out.release();
    await p.close();
  });

  test('an image re-encoded anyway goes at the size the model sees, where OpenAI says it downscales; one sent as it came stays whole', async () => {
    const p = pipeline();
    const photo = await makeImage('jpeg', 4032, 3024, { noise: true });
    // Turned: decoded and encoded anyway. gpt-4o sees it at 1024×768 (fit in 2048, short side 768).
    const turned = await sharp(photo).withMetadata({ orientation: 6 }).toBuffer();
    const out = await p.prepare(request(dataUrl(turned, 'image/jpeg')), target(), ctx());
    const [image] = out.images as Image[];
    assert.deepEqual(image.changes, ['orientation', 'model_size']);
    assert.deepEqual([image.width, image.height], [768, 1024], 'upright, at the size seen');
    assert.equal(image.tokens, 85 + 4 * 170, 'the same tiles as the full photo');
    const meta = await sharp(bytesOf(urlAt(out.request))).metadata();
    assert.deepEqual([meta.width, meta.height, meta.orientation], [768, 1024, undefined]);
    out.release();
    // The same for a patch model (gpt-4.1-mini: 1536 patches at most), and not for a model
    // outside the table, a configured formula, or an image that goes as it came.
    const patched = await p.prepare(request(dataUrl(turned, 'image/jpeg')), target({}, { upstreamModel: 'gpt-4.1-mini' }), ctx());
    const [small] = patched.images as Image[];
    const [w, h] = [small.width ?? 0, small.height ?? 0];
    assert.ok(w > 0 && w * h <= 1536 * 32 * 32 && w < h, `${w}×${h}`);
    assert.ok(small.changes.includes('model_size'));
    patched.release();
    for (const extra of [{ upstreamModel: 'qwen2.5-vl' }, { tokens: { formula: 'tiles' as const } }]) {
      const whole = await p.prepare(request(dataUrl(turned, 'image/jpeg')), target({}, extra), ctx());
      assert.deepEqual((whole.images as Image[])[0].changes, ['orientation'], JSON.stringify(extra));
      assert.deepEqual([(whole.images as Image[])[0].width, (whole.images as Image[])[0].height], [3024, 4032]);
      whole.release();
    }
    const upright = await p.prepare(request(dataUrl(photo, 'image/jpeg')), target(), ctx());
    assert.deepEqual((upright.images as Image[])[0].changes, []);
    assert.equal(urlAt(upright.request), dataUrl(photo, 'image/jpeg'), 'the very bytes');
    upright.release();
    await p.close();
  });

  test('re-encodes and shrinks an image over the byte limit instead of failing', async () => {
    const p = pipeline();
    const png = await makeImage('png', 800, 600, { noise: true });
    assert.ok(png.length > 1_000_000);
    const out = await p.prepare(request(dataUrl(png)), target({ maxBytes: 300_000 }), ctx());
    const [image] = out.images as Image[];
    assert.ok(image.bytes! <= 300_000, String(image.bytes));
    assert.ok(bytesOf(urlAt(out.request)).length <= 300_000);
    assert.ok(image.changes.includes('bytes'));
    out.release();
    await p.close();
  });

  test('an oversized PNG becomes JPEG (opaque) or WebP (transparent) at full size, not a smaller PNG', async () => {
    const p = pipeline();
    const cases: Array<[boolean, string]> = [
      [false, 'image/jpeg'],
      [true, 'image/webp'],
    ];
    for (const [alpha, mediaType] of cases) {
      const png = await makeImage('png', 800, 600, { noise: true, alpha });
      assert.ok(png.length > 1_400_000, String(png.length));
      const out = await p.prepare(request(dataUrl(png)), target({ maxBytes: 1_000_000 }), ctx());
      const [image] = out.images as Image[];
      assert.deepEqual([image.mediaType, image.width, image.height], [mediaType, 800, 600]);
      assert.ok(image.changes.includes('bytes'));
      const meta = await sharp(bytesOf(urlAt(out.request))).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.hasAlpha], [mediaType.slice(6), 800, 600, alpha]);
      out.release();
    }
    // An upstream without a lossy format gets a smaller PNG, as before.
    const out = await p.prepare(request(dataUrl(await makeImage('png', 800, 600, { noise: true }))), target({ maxBytes: 1_000_000, formats: ['png'] }), ctx());
    const [image] = out.images as Image[];
    assert.equal(image.mediaType, 'image/png');
    assert.ok(image.width! < 800 && image.bytes! <= 1_000_000, `${image.width} ${image.bytes}`);
    out.release();
    await p.close();
  });

  test('converts what the upstream lacks: TIFF, AVIF, BMP, WebP → JPEG/PNG; alpha kept as PNG', async () => {
    const p = pipeline();
    const t = target({ formats: ['jpeg', 'png'] });
    const cases: Array<[Buffer, string]> = [
      [await makeImage('tiff', 120, 90), 'image/jpeg'],
      [await makeImage('avif', 120, 90), 'image/jpeg'],
      [await makeBmp(120, 90), 'image/jpeg'],
      [await makeImage('webp', 120, 90), 'image/jpeg'],
      [await makeImage('webp', 120, 90, { alpha: true }), 'image/png'],
    ];
    for (const [bytes, mediaType] of cases) {
      const out = await p.prepare(request(dataUrl(bytes, 'image/whatever')), t, ctx());
      const [image] = out.images as Image[];
      assert.equal(image.mediaType, mediaType);
      assert.ok(image.changes.includes('format'));
      const meta = await sharp(bytesOf(urlAt(out.request))).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], [mediaType.slice(6), 120, 90]);
      out.release();
    }
    await p.close();
  });

  test('a 32-bit BMP whose fourth byte is unused (all zero) converts opaque, not fully transparent', async () => {
    const p = pipeline();
    const [w, h] = [4, 2];
    const bmp = emptyBmp(w, h, 32, w * h * 4);
    for (let i = 54; i < bmp.length; i += 4) bmp[i + 2] = 255; // BGRx: red, x = 0
    const out = await p.prepare(request(dataUrl(bmp, 'image/bmp')), target(), ctx());
    const { data, info } = await sharp(bytesOf(urlAt(out.request))).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [w, h]);
    assert.deepEqual([...data.subarray(0, 4)], [255, 0, 0, 255]);
    out.release();
    await p.close();
  });

  test('a TIFF goes as it is to a provider that reads TIFF (the local engine), converted only to resize', async () => {
    const p = pipeline();
    const tiff = await makeImage('tiff', 120, 90);
    const kept = await p.prepare(request(dataUrl(tiff, 'image/tiff')), target({ formats: ['jpeg', 'png', 'tiff'] }), ctx());
    const [image] = kept.images as Image[];
    assert.deepEqual([image.mediaType, image.changes], ['image/tiff', []]);
    assert.deepEqual(bytesOf(urlAt(kept.request)), tiff);
    // Iris writes no TIFF: one that must shrink becomes what else the provider takes.
    const shrunk = await p.prepare(request(dataUrl(tiff, 'image/tiff')), target({ formats: ['jpeg', 'png', 'tiff'], maxEdge: 60 }), ctx());
    const [small] = shrunk.images as Image[];
    assert.deepEqual([small.mediaType, small.width, small.height], ['image/jpeg', 60, 45]);
    kept.release();
    shrunk.release();
    await p.close();
  });

  test('an animated GIF becomes its first frame where the upstream takes one frame, else goes as is', async () => {
    const p = pipeline();
    const gif = await makeAnimatedGif(60, 40, 3);
    const one = await p.prepare(request(dataUrl(gif, 'image/gif')), target({ multiFrame: false }), ctx());
    const [image] = one.images as Image[];
    assert.deepEqual([image.mediaType, image.changes], ['image/png', ['first_frame']]);
    const meta = await sharp(bytesOf(urlAt(one.request))).metadata();
    assert.deepEqual([meta.pages ?? 1, meta.width, meta.height], [1, 60, 40]);
    const { data } = await sharp(bytesOf(urlAt(one.request))).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0]); // the first (red) frame
    const many = await p.prepare(request(dataUrl(gif, 'image/gif')), target({ multiFrame: true }), ctx());
    assert.deepEqual(bytesOf(urlAt(many.request)), gif);
    one.release();
    many.release();
    await p.close();
  });

  test('detail low downscales to 512 px and costs the base tokens', async () => {
    const p = pipeline();
    const out = await p.prepare(request([dataUrl(await makeImage('jpeg', 2048, 1024), 'image/jpeg'), 'low']), target(), ctx());
    const [image] = out.images as Image[];
    assert.deepEqual([image.width, image.height, image.tokens], [512, 256, 85]);
    out.release();
    await p.close();
  });

  test('the same image again is served from the prepared cache', async () => {
    const p = pipeline();
    const url = dataUrl(await makeImage('png', 3000, 3000));
    const t = target({ maxEdge: 1000 });
    let started = performance.now();
    const first = await p.prepare(request(url), t, ctx());
    const firstMs = performance.now() - started;
    started = performance.now();
    const second = await p.prepare(request(url), t, ctx());
    const secondMs = performance.now() - started;
    assert.equal((first.images[0] as Image).cached, false);
    assert.equal((second.images[0] as Image).cached, true);
    assert.equal(urlAt(second.request), urlAt(first.request));
    assert.ok(secondMs < firstMs, `${secondMs} < ${firstMs}`);
    first.release();
    second.release();
    await p.close();
  });

  test('too many images → 400 on messages', async () => {
    const p = pipeline();
    const url = dataUrl(await makeImage('png', 10, 10));
    await rejects(p.prepare(request(url, url, url), target({ maxImages: 2 }), ctx()), 'too_many_images', 'messages');
    await p.close();
  });
});

describe('refusals', () => {
  test('a decompression bomb is refused from its header, before any decode', async () => {
    const p = pipeline();
    const started = performance.now();
    const err = await rejects(p.prepare(request(dataUrl(makePngBomb(100_000, 100_000))), target(), ctx()), 'image_too_large');
    assert.match(err.message, /100000×100000/);
    assert.ok(performance.now() - started < 200);
    // A real, highly compressible 60-megapixel PNG: small file, huge canvas.
    const huge = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#fff' } }).png().toBuffer();
    assert.ok(huge.length < 1_000_000);
    await rejects(p.prepare(request(dataUrl(huge)), target(), ctx()), 'image_too_large');
    assert.equal(p.budget.used, 0);
    await p.close();
  });

  test('truncated and corrupt images → invalid_image', async () => {
    const p = pipeline();
    for (const format of ['jpeg', 'png', 'gif'] as const) {
      const full = await makeImage(format, 300, 200, { noise: true });
      await rejects(p.prepare(request(dataUrl(full.subarray(0, Math.floor(full.length * 0.6)))), target(), ctx()), 'invalid_image');
      await rejects(p.prepare(request(dataUrl(full.subarray(0, 20))), target(), ctx()), 'invalid_image');
    }
    await p.close();
  });

  test('a text file named .png, SVG and HEIC', async () => {
    const p = pipeline();
    const text = Buffer.from('Dear diary, today I renamed notes.txt to photo.png.\n'.repeat(5));
    await rejects(p.prepare(request(dataUrl(text)), target(), ctx()), 'invalid_image');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await rejects(p.prepare(request(dataUrl(svg, 'image/svg+xml')), target(), ctx()), 'unsupported_image_media_type');
    await rejects(p.prepare(request(dataUrl(makeHeicLike(), 'image/heic')), target(), ctx()), 'unsupported_image_media_type');
    await p.close();
  });

  test('bad base64 → invalid_base64_image, at the right param', async () => {
    const p = pipeline();
    const good = dataUrl(await makeImage('png', 10, 10));
    const err = await rejects(p.prepare(request(good, 'data:image/png;base64,iVBOR w0K'), target(), ctx()), 'invalid_base64_image', 'messages[1].content[2].image_url.url');
    assert.match(err.message, /base64/);
    assert.equal(p.budget.used, 0);
    await p.close();
  });
});

describe('http(s) URLs', () => {
  test('passed through unfetched when the upstream fetches: tokens by the documented fallback', async () => {
    const p = pipeline();
    hits = 0;
    const url = 'https://images.example.com/cat.jpg?sig=abc';
    const out = await p.prepare(request(url, [url, 'low']), target({}, { fetchUrls: 'upstream' }), ctx());
    assert.equal(urlAt(out.request), url);
    assert.deepEqual(out.images.map((i) => [i.tokens, i.width, i.sha256]), [[765, null, null], [85, null, null]]);
    assert.equal(hits, 0);
    await rejects(p.prepare(request('ftp://example.com/a.png'), target({}, { fetchUrls: 'upstream' }), ctx()), 'invalid_image_url');
    await p.close();
  });

  test("the upstream's own storage URLs (Gemini's File API) pass unfetched, though Iris fetches others", async () => {
    const p = pipeline();
    hits = 0;
    const own = `${base}/files/abc123`;
    const out = await p.prepare(request(own), target({ acceptsUrls: false, ownUrls: /\/files\// }), ctx());
    assert.equal(urlAt(out.request), own);
    assert.deepEqual([out.images[0].sha256, hits], [null, 0]);
    await p.close();
  });

  test('fetched through the guard and inlined; cached by URL', async () => {
    const p = pipeline();
    const jpeg = await makeImage('jpeg', 640, 480);
    served.set('/photo.jpg', { body: jpeg, type: 'text/plain' });
    hits = 0;
    const url = `${base}/photo.jpg?token=secret`;
    const out = await p.prepare(request(url), target(), ctx());
    assert.equal(urlAt(out.request), dataUrl(jpeg, 'image/jpeg'));
    assert.equal(out.images[0].tokens, 85 + 170 * 2);
    const again = await p.prepare(request(url), target({ acceptsUrls: false }, { fetchUrls: 'upstream' }), ctx());
    assert.equal((again.images[0] as Image).cached, true);
    assert.equal(hits, 1);
    out.release();
    again.release();
    await p.close();
  });

  test('fetch failures: 404 → image_fetch_failed, refused address → invalid_image_url, text → invalid_image', async () => {
    const p = pipeline();
    served.set('/notes.png', { body: Buffer.from('just text'), type: 'image/png' });
    const e404 = await rejects(p.prepare(request(`${base}/missing.png?token=secret`), target(), ctx()), 'image_fetch_failed');
    assert.match(e404.message, /404/);
    assert.ok(!e404.message.includes('secret'));
    const port = new URL(base).port;
    for (const host of ['127.0.0.2', 'localhost', '[::1]', '2130706434']) {
      const err = await rejects(p.prepare(request(`http://${host}:${port}/photo.jpg?token=secret`), target(), ctx()), 'invalid_image_url');
      assert.ok(!/secret|127\.|::1/.test(err.message), err.message);
    }
    await rejects(p.prepare(request(`${base}/notes.png`), target(), ctx()), 'invalid_image');
    served.set('/login', { body: Buffer.from('<!doctype html><title>Sign in</title>'), type: 'text/html; charset=utf-8' });
    const html = await rejects(p.prepare(request(`${base}/login`), target(), ctx()), 'invalid_image');
    assert.match(html.message, /answered with text\/html, not an image/);
    await p.close();
  });
});

describe('a client that leaves', () => {
  const gone = () => new ApiError(499, 'The client closed the request', { code: 'client_closed_request' });

  test('while its image is fetched: the reason it left, not a 400 for the image', async () => {
    const controller = new AbortController();
    const slow = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(8)); // then nothing: the client leaves meanwhile
      controller.abort(gone());
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const { port } = slow.address() as AddressInfo;
    const p = pipeline({ fetch: { allow_hosts: [`127.0.0.1:${port}`], timeout_ms: 3000 } });
    try {
      await assert.rejects(
        p.prepare(request(`http://127.0.0.1:${port}/a.png`), target(), { ...ctx(), signal: controller.signal }),
        (err: ApiError) => err.status === 499,
      );
      assert.equal(p.budget.used, 0);
    } finally {
      await p.close();
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  test('while its image is resized: no prepared request (so no provider call), budget whole', async () => {
    const p = pipeline();
    const controller = new AbortController();
    const big = dataUrl(await makeImage('jpeg', 3000, 3000));
    const prepared = p.prepare(request(big), target({ maxEdge: 512 }), { ...ctx(), signal: controller.signal });
    while (p.budget.used < 10_000_000) await new Promise((r) => setImmediate(r)); // the resize holds its working memory
    controller.abort(gone());
    await assert.rejects(prepared, (err: ApiError) => err.status === 499);
    assert.equal(p.budget.used, 0);
    await p.close();
  });
});

describe('memory budget', () => {
  test('one bad image stops the re-encodes its sibling data URLs still wait for (slots go to other requests)', async () => {
    const slots = new TransformSlots(1, 5000);
    let started = 0;
    const run = slots.run.bind(slots);
    slots.run = (fn, signal) => run(() => (started++, fn()), signal);
    const config = imagesConfigSchema.parse({ fetch: { allow_hosts: [new URL(base).host] } });
    const p = createImagePipeline(config, log, { slots });
    const big = dataUrl(await makeImage('png', 1500, 1500));
    await rejects(p.prepare(request(dataUrl(Buffer.from('not an image at all')), big, big, big), target({ maxEdge: 256 }), ctx()), 'invalid_image');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(started <= 1, `${started} re-encodes ran for a refused request`);
    assert.equal(p.budget.used, 0);
    await p.close();
  });

  test('over budget: waits, then 503 with Retry-After; release lets the next one in', async () => {
    const budget = new InflightBudget(3_000_000, 150);
    const p = pipeline({}, budget);
    const url = dataUrl(await makeImage('png', 700, 700, { noise: true }));
    const first = await p.prepare(request(url), target(), ctx());
    assert.ok(budget.used > 1_400_000);
    const err = await rejects(p.prepare(request(url, url), target(), ctx()), 'images_overloaded', null);
    assert.equal(err.status, 503);
    assert.equal(err.headers['retry-after'], '1');
    // A waiting request proceeds as soon as the first one releases.
    const waiting = p.prepare(request(url, url), target(), ctx());
    setTimeout(() => first.release(), 50);
    const second = await waiting;
    second.release();
    assert.equal(budget.used, 0);
    await p.close();
  });
});
