import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import pino from 'pino';
import sharp from 'sharp';
import { EnginePool } from '../../engine/engine-pool.ts';
import { charAccuracy } from '../../engine/eval/char-accuracy.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletionChunk, ChatCompletionRequest, ContentPart } from '../../openai/types.ts';
import { createLocalProvider, type LocalProvider } from './local-provider.ts';

// End to end through real workers and real models, on images rendered here.

const log = pino({ level: 'silent' });
const ctx = () => ({ requestId: 't', signal: new AbortController().signal, log });
let provider: LocalProvider;
let pool: EnginePool;

const TEXT_LINES = ['Quarterly report for the garden club', 'Meeting moved to Thursday at noon', 'Bring your own gloves and seeds'];

function svg(width: number, height: number, body: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);
}
const documentPng = () =>
  sharp(svg(900, 260, `<rect width="900" height="260" fill="#fff"/>${TEXT_LINES.map((l, i) => `<text x="30" y="${70 + i * 60}" font-family="DejaVu Sans, sans-serif" font-size="34" fill="#000">${l}</text>`).join('')}`)).png().toBuffer();
const shapes = () => sharp(svg(320, 200, '<rect width="320" height="200" fill="#1e5adc"/><circle cx="160" cy="100" r="70" fill="#dc1e1e"/>'));
const dataUrl = (bytes: Buffer, mime = 'image/png') => `data:${mime};base64,${bytes.toString('base64')}`;
const ask = (text: string, urls: string[], extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
  model: 'Image-Recognition',
  messages: [{ role: 'user', content: [{ type: 'text', text }, ...urls.map((url): ContentPart => ({ type: 'image_url', image_url: { url } }))] }],
  ...extra,
});

describe('local provider (real engine)', () => {
  before(async () => {
    pool = new EnginePool({ threads: 1, maxQueue: 1 });
    provider = createLocalProvider({ enabled: true, model_name: 'Image-Recognition', threads: 1, max_queue: 1 }, log, { pool });
    assert.equal(provider.isReady(), false);
    const started = performance.now();
    await provider.whenReady();
    assert.equal(provider.isReady(), true);
    assert.ok(performance.now() - started < 10_000);
  });
  after(() => provider.close());

  it('a worker failing outside any task is reported, not the end of the process, and the engine still answers', async () => {
    const piscina = (pool as unknown as { piscina: import('node:events').EventEmitter }).piscina;
    const stderr = mock.method(console, 'error', () => undefined);
    try {
      // What piscina emits when an idle worker throws; with no listener, emit() would throw.
      piscina.emit('error', new Error('worker blew up between tasks'));
      assert.match(String(stderr.mock.calls[0]?.arguments[0]), /recognition worker failed: Error: worker blew up between tasks/);
    } finally {
      stderr.mock.restore();
    }
    const c = await provider.complete(ask('What colours are there?', [dataUrl(await shapes().png().toBuffer())]), ctx());
    assert.match(c.choices[0]!.message.content!, /blue|red/i);
  });

  it('reads document text line by line', async () => {
    const c = await provider.complete(ask('What does the text say?', [dataUrl(await documentPng())]), ctx());
    const content = c.choices[0]!.message.content!;
    assert.match(content, /^The text reads:\n/);
    const read = content.replace(/^The text reads:\n/, '');
    assert.ok(charAccuracy(TEXT_LINES.join('\n'), read) > 0.95, read);
    assert.equal(read.trim().split('\n').length, 3);
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.ok(c.usage!.prompt_tokens > 5 && c.usage!.completion_tokens > 10);
  });

  it('names dominant colours and invents no objects in plain shapes', async () => {
    const c = await provider.complete(ask('Describe this image.', [dataUrl(await shapes().png().toBuffer())]), ctx());
    const content = c.choices[0]!.message.content!;
    assert.match(content, /landscape PNG image, 320×200 pixels/);
    assert.match(content, /blue \(\d+%\) and red \(\d+%\)/);
    assert.match(content, /don't recognise any everyday objects/);
  });

  it('returns structured findings for several formats as JSON, image by image', async () => {
    const urls = [
      dataUrl(await shapes().jpeg().toBuffer(), 'image/jpeg'),
      dataUrl(await shapes().webp().toBuffer(), 'image/webp'),
      dataUrl(await shapes().gif().toBuffer(), 'image/gif'),
    ];
    const c = await provider.complete(ask('What is this?', urls, { response_format: { type: 'json_object' }, n: 2 }), ctx());
    assert.equal(c.choices.length, 2);
    assert.equal(c.choices[0]!.message.content, c.choices[1]!.message.content);
    const json = JSON.parse(c.choices[0]!.message.content!);
    assert.deepEqual(json.images.map((i: { format: string }) => i.format), ['jpeg', 'webp', 'gif']);
    for (const image of json.images) {
      assert.equal(image.width, 320);
      assert.equal(image.height, 200);
      assert.equal(image.colours[0].name, 'blue');
    }
    assert.match(json.answer, /^Image 1: .*\n\nImage 2: .*\n\nImage 3: /s);
  });

  it('streams role, content, finish and usage chunks, honouring max_tokens', async () => {
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of provider.stream(ask('Describe this image.', [dataUrl(await shapes().png().toBuffer())], { max_tokens: 6, stream: true }), ctx())) chunks.push(chunk);
    assert.deepEqual(chunks[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'length');
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.equal(chunks.at(-1)!.usage!.completion_tokens, 6);
    assert.ok(chunks.slice(1, -2).map((c) => c.choices[0]!.delta.content).join('').startsWith('This is a landscape'));
  });

  it('rejects an undecodable image with invalid_image and its param path', async () => {
    const bad = `data:image/png;base64,${Buffer.from('not an image at all').toString('base64')}`;
    await assert.rejects(provider.complete(ask('What is this?', [dataUrl(await shapes().png().toBuffer()), bad]), ctx()), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'invalid_image');
      assert.equal(err.param, 'messages[0].content[2].image_url.url');
      return true;
    });
  });

  it('answers 429 engine_busy when the queue is full', async () => {
    const url = dataUrl(await shapes().png().toBuffer());
    // One thread, one queue place: the first runs, the second waits, the third is refused.
    const results = await Promise.allSettled([1, 2, 3].map(() => provider.complete(ask('What is this?', [url]), ctx())));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof ApiError);
    assert.equal(refused.reason.status, 429);
    assert.equal(refused.reason.type, 'rate_limit_error');
    assert.equal(refused.reason.code, 'engine_busy');
    assert.deepEqual(refused.reason.headers, { 'retry-after': '1' });
  });

  it('stops waiting when the request is aborted', async () => {
    const controller = new AbortController();
    const url = dataUrl(await shapes().png().toBuffer());
    const first = provider.complete(ask('What is this?', [url]), ctx());
    const second = provider.complete(ask('What is this?', [url]), { ...ctx(), signal: controller.signal });
    controller.abort(new Error('client went away'));
    await assert.rejects(second, /client went away/);
    await first;
  });

  it('drops the result of a request aborted while its image is analysed, and frees its worker', async () => {
    const controller = new AbortController();
    const pending = provider.complete(ask('What does the text say?', [dataUrl(await documentPng())]), { ...ctx(), signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(provider.load().running, 1);
    controller.abort(new Error('client went away'));
    await assert.rejects(pending, /client went away/);
    // The worker finishes the image (killing it would cost a model reload), then is free again.
    const deadline = performance.now() + 10_000;
    while (provider.load().running > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual({ running: provider.load().running, queued: provider.load().queued }, { running: 0, queued: 0 });
  });

  it('fails a request whose worker dies mid-analysis with a 5xx, and the pool recovers', async () => {
    const url = dataUrl(await documentPng());
    const pending = provider.complete(ask('What does the text say?', [url]), ctx());
    await new Promise((r) => setTimeout(r, 50));
    // A crash (out of memory, a native fault) as piscina sees it: the worker thread ends mid-task.
    await (pool as unknown as { piscina: { threads: { terminate(): Promise<number> }[] } }).piscina.threads[0]!.terminate();
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.ok(err.status >= 500 && err.status < 600, String(err.status));
      assert.equal(err.type, 'server_error');
      assert.match(err.message, /recognition engine/);
      return true;
    });
    const again = await provider.complete(ask('What does the text say?', [url]), ctx());
    assert.match(again.choices[0]!.message.content!, /Quarterly report/);
  });

  it('refuses a forced tool call and an unfillable JSON schema before analysing anything', async () => {
    const url = dataUrl(await shapes().png().toBuffer());
    const tools: ChatCompletionRequest['tools'] = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    await assert.rejects(provider.complete(ask('What is this?', [url], { tools, tool_choice: 'required' }), ctx()), (err: unknown) => err instanceof ApiError && err.status === 400 && err.param === 'tool_choice');
    const schema = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'], additionalProperties: false };
    await assert.rejects(
      provider.complete(ask('How many?', [url], { response_format: { type: 'json_schema', json_schema: { name: 'n', strict: true, schema } } }), ctx()),
      (err: unknown) => err instanceof ApiError && err.status === 400 && err.param === 'response_format.json_schema.schema',
    );
    // With tools it may still answer in text.
    const c = await provider.complete(ask('What is this?', [url], { tools, tool_choice: 'auto' }), ctx());
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.match(c.choices[0]!.message.content!, /PNG image/);
  });

  it('fills a strict JSON schema with the fields it names', async () => {
    const url = dataUrl(await shapes().png().toBuffer());
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['answer', 'images'],
      properties: {
        answer: { type: 'string' },
        images: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['width', 'height'], properties: { width: { type: 'integer' }, height: { type: 'integer' } } } },
      },
    };
    const c = await provider.complete(ask('What size is it?', [url], { response_format: { type: 'json_schema', json_schema: { name: 'size', strict: true, schema } } }), ctx());
    const json = JSON.parse(c.choices[0]!.message.content!);
    assert.deepEqual(Object.keys(json), ['answer', 'images']);
    assert.match(json.answer, /^The image is 320×200 pixels/);
    assert.deepEqual(json.images, [{ width: 320, height: 200 }]);
  });
});

describe('local provider (engine that failed to start)', () => {
  it('answers 503 engine_unavailable, also to the chat core waiting for it', async () => {
    const failed = Promise.reject(new Error('centernet.json: no such file'));
    failed.catch(() => undefined);
    const fake = {
      threads: 1,
      maxQueue: 1,
      load: { running: 0, queued: 0 },
      isReady: () => false,
      whenReady: () => failed,
      close: async () => undefined,
    } as unknown as EnginePool;
    const broken = createLocalProvider({ enabled: true, model_name: 'Image-Recognition', threads: 1, max_queue: 1 }, log, { pool: fake });
    const is503 = (err: unknown) => err instanceof ApiError && err.status === 503 && err.code === 'engine_unavailable' && /failed to start/.test(err.message);
    // The chat core awaits whenReady() before it calls the provider: that must fail as clearly.
    await assert.rejects(broken.whenReady(), is503);
    await assert.rejects(broken.complete(ask('What is this?', [dataUrl(await shapes().png().toBuffer())]), ctx()), is503);
  });
});
