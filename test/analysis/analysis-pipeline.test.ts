import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createAnalysis, type Analysis } from '../../src/analysis/create-analysis.ts';
import { ChatService } from '../../src/chat/chat-service.ts';
import { ModelRegistry, routeFromConfig } from '../../src/chat/model-registry.ts';
import { analysisConfigSchema } from '../../src/config/analysis-config.ts';
import { imagesConfigSchema } from '../../src/config/images-config.ts';
import { modelConfigSchema, providerConfigSchema } from '../../src/config/providers-config.ts';
import { createImagePipeline, type ImagePipelineHandle } from '../../src/images/create-image-pipeline.ts';
import type { AnalysisUsage, ChatCompletionRequest } from '../../src/openai/types.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { imagePartsIn, textIn } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';
import { startGate, type Gate } from './support/upstream-gate.ts';

// Analysis over the full image pipeline (createImagePipeline): image URLs are fetched by
// Iris through the guarded fetcher (a loopback image server, allow-listed), and the cache
// is keyed by the bytes, so the same picture at another URL or inline is a hit.

type Body = { model: string; messages: { role: string; content: unknown }[] };

describe('analysis over the full image pipeline, image URLs', () => {
  let text: FakeOpenAI;
  let gate: Gate;
  let vision: FakeOpenAI;
  let images: Server;
  let origin: string;
  let pipeline: ImagePipelineHandle;
  let analysis: Analysis;
  let chat: ChatService;
  let providers: Provider[];
  let png: Buffer;
  const served: string[] = [];
  const log = pino({ level: 'silent' });
  const ctx = () => ({ requestId: 'req_test', signal: new AbortController().signal, log });

  before(async () => {
    png = await renderTextPng([`Served ${Date.now()}`]);
    const other = await renderTextPng([`Other ${Date.now()}`]);
    images = createServer((req, res) => {
      served.push(req.url ?? '');
      const body = req.url === '/other.png' ? other : png;
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;

    text = await startFakeOpenAI({ models: ['text-1'] });
    gate = await startGate({ target: text.url, rejectImages: true });
    vision = await startFakeOpenAI({ models: ['vision-1'] });
    const textProvider = createProvider('text', providerConfigSchema.parse({ type: 'openai', base_url: gate.url }));
    const visionProvider = createProvider('vision', providerConfigSchema.parse({ type: 'openai', base_url: vision.url }));
    providers = [textProvider, visionProvider];
    const models = new ModelRegistry();
    models.add(routeFromConfig(modelConfigSchema.parse({ name: 'text-1', provider: 'text', vision: false }), textProvider, 0));
    models.add(routeFromConfig(modelConfigSchema.parse({ name: 'vision-1', provider: 'vision' }), visionProvider, 0));
    pipeline = createImagePipeline(imagesConfigSchema.parse({ fetch: { allow_hosts: [new URL(origin).host] } }), log);
    analysis = createAnalysis({
      config: analysisConfigSchema.parse({ model: 'vision-1' }),
      engineModelName: 'Image-Recognition',
      models,
      images: pipeline,
      complete: (request, c) => chat.complete(request, c),
      log,
    });
    chat = new ChatService({ models, images: pipeline, steps: [analysis.step] });
  });
  after(async () => {
    await analysis?.close();
    await pipeline?.close();
    await Promise.all(providers.map((p) => p.close?.()));
    await Promise.all([gate?.close(), text?.close(), vision?.close()]);
    await new Promise<void>((resolve) => (images ? images.close(() => resolve()) : resolve()));
  });

  const ask = (url: string): ChatCompletionRequest => ({
    model: 'text-1-ocr',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What does it say?' }, { type: 'image_url', image_url: { url } }] }],
  });
  const visionBodies = () => vision.requests.filter((r) => r.method === 'POST').map((r) => r.body as Body);
  const usageOf = (c: { usage?: unknown }) => (c.usage as { analysis: AnalysisUsage }).analysis;

  test('Iris fetches the URL and sends the analysis model the bytes, inline', async () => {
    const completion = await chat.complete(ask(`${origin}/a.png`), ctx());
    assert.deepEqual(served, ['/a.png']);
    const [body] = visionBodies();
    const [part] = imagePartsIn(body) as { image_url: { url: string } }[];
    assert.equal(part.image_url.url, dataUrl(png), 'the fetched bytes, as a data URL');
    const textBody = text.requests.at(-1)!.body as Body;
    assert.equal(imagePartsIn(textBody).length, 0);
    assert.match(textIn(textBody), /\[Image 1: description by vision-1/);
    assert.equal(usageOf(completion).cached_images, 0);
  });

  test('the same bytes at another URL, or inline, are cache hits (keyed by content)', async () => {
    const atB = await chat.complete(ask(`${origin}/b.png`), ctx());
    assert.ok(served.includes('/b.png'), 'fetched to learn its content');
    assert.equal(usageOf(atB).cached_images, 1);
    const inline = await chat.complete(ask(dataUrl(png)), ctx());
    assert.equal(usageOf(inline).cached_images, 1);
    assert.equal(visionBodies().length, 1, 'the analysis model was called once in all');
  });

  test('a different image is analysed', async () => {
    const other = await chat.complete(ask(`${origin}/other.png`), ctx());
    assert.equal(usageOf(other).cached_images, 0);
    assert.equal(visionBodies().length, 2);
  });

  test('a URL Iris may not fetch fails as the pipeline says, naming the image', async () => {
    await assert.rejects(chat.complete(ask('http://127.0.0.2:9/x.png'), ctx()), (err: { status?: number; param?: string }) => {
      assert.equal(err.status, 400);
      assert.equal(err.param, 'messages[0].content[1].image_url.url');
      return true;
    });
  });
});
