import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// No analysis model at all (the engine disabled, analysis.model unset): `<model>-ocr` is not
// advertised, but asking for it says what is missing rather than that the model does not exist.

describe('analysis mode without an analysis model', () => {
  let text: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    text = await startFakeOpenAI({ models: ['text-1'] });
    iris = await startIris({ providers: { text: { type: 'openai', base_url: text.url } }, models: [{ name: 'text-1', provider: 'text', vision: false }] });
  });
  after(async () => {
    await iris?.close();
    await text?.close();
  });

  test('`-ocr` is not listed', async () => {
    const ids = (await iris.client.models.list()).data.map((m) => m.id);
    assert.deepEqual(ids, ['text-1']);
  });

  for (const model of ['text-1-ocr', 'text-1']) {
    test(`${model} with an image: 503 analysis_unavailable, naming what to configure`, async () => {
      const image = dataUrl(await renderTextPng(['none']));
      const err = await iris.client.chat.completions
        .create({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: image } }] }] })
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 503);
      assert.equal(err.code, 'analysis_unavailable');
      assert.match(err.message, /`Image-Recognition`.*analysis\.model/);
      assert.equal(text.requests.filter((r) => r.method === 'POST').length, 0);
    });
  }

  test('text-1-ocr without images goes to the text model', async () => {
    const completion = await iris.client.chat.completions.create({ model: 'text-1-ocr', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.model, 'text-1-ocr');
    assert.equal((completion.usage as { analysis?: { images: number } }).analysis?.images, 0);
  });
});
