import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { imagePartsIn, textIn } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';
import { startGate, type Gate } from './support/upstream-gate.ts';

// Analysis mode with the embedded engine (Image-Recognition, the default analysis model):
// a text-only upstream receives what the engine read off an image the test renders.

type Body = { model: string; messages: { role: string; content: unknown }[] };

describe('analysis mode with the embedded engine', () => {
  let text: FakeOpenAI;
  let gate: Gate;
  let iris: RunningIris;

  before(async () => {
    text = await startFakeOpenAI({ models: ['text-1'] });
    gate = await startGate({ target: text.url, rejectImages: true });
    iris = await startIris({
      engine: { enabled: true, threads: 2 },
      providers: { text: { type: 'openai', base_url: gate.url } },
      models: [{ name: 'text-1', provider: 'text', vision: false }],
    });
  });
  after(async () => {
    await iris?.close();
    await gate?.close();
    await text?.close();
  });

  test('the text-only model receives the text the engine read off the image', async () => {
    const png = await renderTextPng(['INVOICE 4721', 'Total 99.50 EUR'], { fontSize: 64 });
    const t0 = performance.now();
    const completion = await iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the total on this invoice?' }, { type: 'image_url', image_url: { url: dataUrl(png) } }] }],
    });
    const ms = performance.now() - t0;
    assert.equal(completion.model, 'text-1-ocr');
    const bodies = text.requests.filter((r) => r.method === 'POST').map((r) => r.body as Body);
    assert.equal(bodies.length, 1);
    const [body] = bodies;
    assert.equal(body.model, 'text-1');
    assert.equal(imagePartsIn(body).length, 0);
    const sent = textIn(body);
    if (process.env.SHOW_DESCRIPTION) console.log(sent);
    assert.match(sent, /\[Image 1: description by Image-Recognition/);
    assert.match(sent, /INVOICE 4721/);
    assert.match(sent, /99\.50/);
    // The fake text model echoes the last user message: the transcription reaches the answer.
    assert.match(completion.choices[0].message.content ?? '', /INVOICE 4721/);

    const analysis = (completion.usage as { analysis?: AnalysisUsage }).analysis!;
    assert.equal(analysis.model, 'Image-Recognition');
    assert.equal(analysis.images, 1);
    assert.equal(analysis.cached_images, 0);
    assert.ok(analysis.completion_tokens > 0);
    console.log(`engine analysis + text model: ${Math.round(ms)} ms; analysis usage ${JSON.stringify(analysis)}`);
    // The request's log line names the model as the client did and the response does.
    const [line] = await iris.logged((l) => l.msg === 'request' && l.path === '/v1/chat/completions');
    assert.deepEqual([line?.model, line?.provider], ['text-1-ocr', 'text']);

    // Asked again (history resent): the engine is not run again.
    const t1 = performance.now();
    const again = await iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is the total on this invoice?' }, { type: 'image_url', image_url: { url: dataUrl(png) } }] },
        { role: 'assistant', content: completion.choices[0].message.content },
        { role: 'user', content: 'And the invoice number?' },
      ],
    });
    const cachedMs = performance.now() - t1;
    const cached = (again.usage as { analysis?: AnalysisUsage }).analysis!;
    assert.equal(cached.cached_images, 1);
    assert.equal(cached.completion_tokens, 0);
    assert.ok(!iris.logs.some((l) => l.msg === 'engine findings' && l.reqId === iris.logs.findLast((x) => x.msg === 'analysis: cache checked')?.reqId));
    console.log(`second turn with the cached description: ${Math.round(cachedMs)} ms`);
  });

  test('streamed, with the warm engine: the transcription arrives in the answer', async () => {
    const png = await renderTextPng(['ORDER 5530', 'Ship to Berlin'], { fontSize: 64 });
    const t0 = performance.now();
    const stream = await iris.client.chat.completions.create({
      model: 'text-1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Where does the order ship to?' }, { type: 'image_url', image_url: { url: dataUrl(png) } }] }],
    });
    let content = '';
    let analysis: AnalysisUsage | undefined;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) analysis = (chunk.usage as unknown as { analysis: AnalysisUsage }).analysis;
    }
    const ms = performance.now() - t0;
    assert.match(content, /ORDER 5530/);
    assert.match(content, /Berlin/);
    assert.equal(analysis?.model, 'Image-Recognition');
    const described = iris.logs.findLast((l) => l.msg === 'analysis: image described');
    console.log(`warm engine: analysis ${String(described?.ms)} ms, whole streamed request ${Math.round(ms)} ms`);
  });
});
