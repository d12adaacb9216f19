import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// A client that leaves while its images are being described: the analysis model's calls are
// cancelled (not left running for nobody), and the text model is never called. The vision
// upstream is reached directly here (no gate), so it sees its connection close.

describe('a client that disconnects during analysis', () => {
  let text: FakeOpenAI;
  let vision: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    text = await startFakeOpenAI({ models: ['text-1'] });
    vision = await startFakeOpenAI({ models: ['vision-1'] });
    iris = await startIris({
      providers: { text: { type: 'openai', base_url: text.url }, vision: { type: 'openai', base_url: vision.url } },
      models: [{ name: 'text-1', provider: 'text', vision: false }, { name: 'vision-1', provider: 'vision' }],
      analysis: { model: 'vision-1', concurrency: 2 },
    });
  });
  after(async () => {
    await iris?.close();
    await Promise.all([text?.close(), vision?.close()]);
  });

  for (const stream of [false, true]) {
    test(`stream: ${stream}: the descriptions in flight are aborted, nothing more is started`, async () => {
      vision.reset();
      text.reset();
      vision.script([{ kind: 'hang' }, { kind: 'hang' }]);
      const stamp = `${stream} ${Date.now()}`;
      const urls = await Promise.all([1, 2, 3].map(async (n) => dataUrl(await renderTextPng([`Leave ${n} ${stamp}`]))));
      const client = new AbortController();
      const pending = fetch(`${iris.baseURL}/chat/completions`, {
        method: 'POST',
        signal: client.signal,
        headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text-1', stream, messages: [{ role: 'user', content: [{ type: 'text', text: 'Read them.' }, ...urls.map((url) => ({ type: 'image_url', image_url: { url } }))] }] }),
      }).then((res) => res.text());
      pending.catch(() => undefined);
      const chats = () => vision.requests.filter((r) => r.method === 'POST');
      await vision.until(() => chats().length === 2);
      client.abort();
      await vision.until(() => chats().every((r) => r.aborted), 3000);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(chats().length, 2, 'the third image was not sent for description');
      assert.equal(text.requests.filter((r) => r.method === 'POST').length, 0);
    });
  }
});
