import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { fakeReply } from '../support/fake-openai-upstream.ts';
import { startAnalysisWorld, imagePartsIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// Streaming through analysis mode: analysis runs before the first content chunk, and while
// it runs the connection carries SSE keep-alive comments (short interval and a slow
// analysis model here; 5 s by default).

type Body = { model: string; messages: { role: string; content: unknown }[] };

async function postRaw(world: AnalysisWorld, body: unknown): Promise<{ status: number; type: string | null; text: string; firstByteMs: number }> {
  const t0 = performance.now();
  const res = await fetch(`${world.iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${world.iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const firstByteMs = performance.now() - t0;
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), firstByteMs };
}

describe('analysis mode, streamed', () => {
  let world: AnalysisWorld;
  before(async () => {
    world = await startAnalysisWorld({ keepalive_ms: 100 });
  });
  after(() => world.close());

  test('keep-alive comments go out while a slow analysis runs, then the answer streams', async () => {
    world.visionGate.delayMs = 650;
    try {
      world.text.reset();
      const image = dataUrl(await renderTextPng([`Stream ${Date.now()}`]));
      const res = await postRaw(world, {
        model: 'text-1',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Read this.' }, { type: 'image_url', image_url: { url: image } }] }],
      });
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /^text\/event-stream/);
      // Headers went out with the first keep-alive, long before the analysis finished.
      assert.ok(res.firstByteMs < 500, `headers after ${Math.round(res.firstByteMs)} ms`);

      const blocks = res.text.split('\n\n').filter(Boolean);
      const firstData = blocks.findIndex((b) => b.startsWith('data: '));
      const comments = blocks.slice(0, firstData);
      assert.ok(comments.length >= 3, `${comments.length} keep-alives before the first chunk`);
      assert.ok(comments.every((b) => b === ': keep-alive'));
      assert.ok(blocks.slice(firstData).every((b) => b.startsWith('data: ')), 'no comments once content flows');
      assert.equal(blocks.at(-1), 'data: [DONE]');

      const chunks = blocks.slice(firstData, -1).map((b) => JSON.parse(b.slice(6)));
      const content = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      const [textBody] = world.textBodies() as Body[];
      assert.equal(imagePartsIn(textBody).length, 0);
      assert.equal(content, fakeReply(textBody as never).content);
      assert.match(content, /\[Image 1: description by vision-1/);
      assert.ok(chunks.every((c) => c.model === 'text-1'));
      const usage = chunks.at(-1).usage;
      assert.equal(usage.analysis.model, 'vision-1');
      assert.equal(usage.analysis.images, 1);
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test('the openai SDK streams it (ignoring the comments), usage.analysis in the last chunk', async () => {
    world.visionGate.delayMs = 350;
    try {
      const image = dataUrl(await renderTextPng([`SDK ${Date.now()}`]));
      const stream = await world.iris.client.chat.completions.create({
        model: 'text-1-ocr',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }, { type: 'text', text: 'What does it say?' }] }],
      });
      let content = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        assert.equal(chunk.model, 'text-1-ocr');
        content += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      assert.match(content, /\[Image 1: description by vision-1/);
      const analysis = (usage as unknown as { analysis: AnalysisUsage }).analysis;
      assert.deepEqual({ model: analysis.model, images: analysis.images, cached: analysis.cached_images }, { model: 'vision-1', images: 1, cached: 0 });
      assert.ok(analysis.prompt_tokens > 0);
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test('all images cached: no keep-alive needed, the stream starts with content', async () => {
    const image = dataUrl(await renderTextPng([`Cached ${Date.now()}`]));
    const body = { model: 'text-1', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'Again.' }, { type: 'image_url', image_url: { url: image } }] }] };
    await postRaw(world, body);
    world.visionGate.delayMs = 650; // would force keep-alives if the model were called
    try {
      const calls = world.visionCalls();
      const res = await postRaw(world, body);
      assert.equal(world.visionCalls(), calls);
      assert.ok(res.text.startsWith('data: '), 'first block is data');
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test('an analysis failure before any byte is sent is a plain HTTP error', async () => {
    world.vision.script({ kind: 'error', status: 500 });
    const image = dataUrl(await renderTextPng([`Fail ${Date.now()}`]));
    const err = await world.iris.client.chat.completions
      .create({ model: 'text-1', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: image } }] }] })
      .then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 502);
    assert.equal(err.code, 'analysis_failed');
    assert.equal(err.param, 'messages[0].content[1].image_url.url');
  });

  test('an analysis failure after keep-alives started ends the stream with an error event', async () => {
    world.visionGate.delayMs = 350;
    try {
      world.vision.script({ kind: 'error', status: 500 });
      const image = dataUrl(await renderTextPng([`Late fail ${Date.now()}`]));
      const res = await postRaw(world, {
        model: 'text-1',
        stream: true,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: image } }] }],
      });
      assert.equal(res.status, 200);
      const blocks = res.text.split('\n\n').filter(Boolean);
      assert.equal(blocks[0], ': keep-alive');
      const last = JSON.parse(blocks.at(-1)!.slice(6));
      assert.equal(last.error.code, 'analysis_failed');
      assert.equal(last.error.param, 'messages[0].content[1].image_url.url');
      assert.match(last.error.message, /`vision-1`/);
      assert.ok(!res.text.includes('[DONE]'));
    } finally {
      world.visionGate.delayMs = 0;
    }
  });
});
