// The embedded engine beside configured providers: a provider called `local` (the engine's
// provider type) still gets its models' requests, and the engine keeps its own model.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_IMAGE_DATA_URL } from '../../src/startup-banner.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

describe('a configured provider named local, with the engine on', () => {
  let upstream: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    upstream = await startFakeOpenAI();
    iris = await startIris({
      engine: { enabled: true, threads: 1 },
      providers: { local: { type: 'openai', base_url: upstream.url, fetch_urls: 'upstream' } },
      models: [{ name: 'my-vllm', provider: 'local', upstream: 'gpt-4o' }],
    });
  });
  after(async () => {
    await iris?.close();
    await upstream?.close();
  });

  it('sends its models to that provider, not to the engine', async () => {
    upstream.reset();
    const completion = await iris.client.chat.completions.create({ model: 'my-vllm', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(completion.choices[0].message.content, 'I see 0 images. You said: hello');
    assert.equal(upstream.requests.length, 1);
    assert.equal((upstream.requests[0].body as { model: string }).model, 'gpt-4o');
  });

  it('still serves the engine model, which reads the sample image the start-up banner sends', async () => {
    assert.deepEqual((await iris.client.models.list()).data.map((m) => m.id).sort(), ['Image-Recognition', 'my-vllm']);
    upstream.reset();
    const completion = await iris.client.chat.completions.create({
      model: 'Image-Recognition',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: SAMPLE_IMAGE_DATA_URL } }] }],
    });
    assert.match(completion.choices[0].message.content ?? '', /red/);
    assert.equal(upstream.requests.length, 0);
  });
});
