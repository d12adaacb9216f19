import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { startAnalysisWorld, imagePartsIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// `detail` changes what the analysis model sees: `low` is sent at 512 px, where small print is
// lost. A description made at low detail must not stand in for one asked at high detail.

type Body = { model: string; messages: { role: string; content: unknown }[] };
type Part = { image_url: { url: string; detail?: string } };

describe('analysis mode and detail', () => {
  let world: AnalysisWorld;
  before(async () => {
    world = await startAnalysisWorld();
  });
  after(() => world.close());

  const sentWidth = async (body: Body) => {
    const [part] = imagePartsIn(body) as Part[];
    return (await sharp(Buffer.from(part.image_url.url.split(',')[1], 'base64')).metadata()).width;
  };
  const analysisOf = (usage: unknown) => (usage as { analysis: AnalysisUsage }).analysis;
  const ask = (url: string, detail?: 'low' | 'high') =>
    world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What does the small print say?' }, { type: 'image_url', image_url: detail ? { url, detail } : { url } }] }],
    });

  test('low then high detail of the same image: described twice, the second at full size', async () => {
    world.vision.reset();
    const image = dataUrl(await renderTextPng([`Small print ${Date.now()}`], { width: 1600 }));
    const low = await ask(image, 'low');
    const high = await ask(image, 'high');
    assert.equal(world.visionCalls(), 2, 'the high-detail request was not answered from the low-detail description');
    assert.equal(analysisOf(high.usage).cached_images, 0);
    assert.equal(analysisOf(low.usage).cached_images, 0);
    const [first, second] = world.vision.requests.map((r) => r.body as Body);
    assert.equal(await sentWidth(first), 512);
    assert.equal(await sentWidth(second), 1600);
    assert.equal((imagePartsIn(second) as Part[])[0].image_url.detail, 'high');
    // Unset detail is `auto`, as OpenAI reads it: the same description as `auto`, not as `high`.
    await ask(image);
    assert.equal(world.visionCalls(), 3);
    const again = await ask(image, 'high');
    assert.equal(analysisOf(again.usage).cached_images, 1);
  });

  test('one request with the image at low and at high detail: each copy is described at its own', async () => {
    world.vision.reset();
    const image = dataUrl(await renderTextPng([`Both details ${Date.now()}`], { width: 1600 }));
    await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare.' },
            { type: 'image_url', image_url: { url: image, detail: 'low' } },
            { type: 'image_url', image_url: { url: image, detail: 'high' } },
          ],
        },
      ],
    });
    assert.equal(world.visionCalls(), 2);
    const widths = await Promise.all(world.vision.requests.map((r) => sentWidth(r.body as Body)));
    assert.deepEqual(widths.sort((a, b) => a - b), [512, 1600]);
  });
});
