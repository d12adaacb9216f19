// Claude models released after Opus 4.6 refuse most sampling settings with a 400, while OpenAI
// clients (most UIs) send a temperature on every request. Through the real Iris and the official
// openai SDK: under the default policy (clamp) such a request succeeds without what the model
// would refuse; under `temperature: refuse` it is a 400 naming the setting; older Claudes get
// the settings as before. The fake Anthropic refuses them for such models as Anthropic does.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream } from '../support/fake-anthropic-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;

// top_k is not OpenAI's, but clients of vLLM-style servers send it, and Iris takes it.
const SAMPLING = { temperature: 0.2, top_p: 0.5, top_k: 40 };
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('sampling settings newer Claude models refuse', () => {
  let fake: FakeAnthropicUpstream;
  let iris: RunningIris;

  before(async () => {
    fake = await startFakeAnthropic();
    const provider = { type: 'anthropic', base_url: fake.baseUrl, api_key: FAKE_ANTHROPIC_KEY };
    iris = await startIris({
      providers: { claude: provider, strict: { ...provider, temperature: 'refuse' } },
      models: [
        { name: 'opus', provider: 'claude', upstream: 'claude-opus-4-7' },
        { name: 'opus-strict', provider: 'strict', upstream: 'claude-opus-4-7' },
        { name: 'opus-4-6', provider: 'strict', upstream: 'claude-opus-4-6' },
        { name: 'opus-4', provider: 'strict', upstream: 'claude-opus-4-20250514' },
        { name: 'opus-4-6-clamp', provider: 'claude', upstream: 'claude-opus-4-6' },
      ],
    });
  });
  after(async () => {
    await iris?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const create = (model: string, extra: Record<string, unknown> = {}) =>
    iris.client.chat.completions.create({ model, messages, ...SAMPLING, ...extra } as Params);

  it('the fake refuses them for claude-opus-4-7, in Anthropic’s error shape', async () => {
    const res = await fetch(`${fake.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': FAKE_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-opus-4-7', max_tokens: 100, messages, temperature: 0.2 }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /temperature/);
  });

  it('under the default policy the request succeeds without them, streamed or not', async () => {
    const completion = await create('opus');
    assertChatCompletion(completion);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    const stream = await iris.client.chat.completions.create({ model: 'opus', messages, ...SAMPLING, stream: true } as OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming);
    for await (const chunk of stream) assertChatCompletionChunk(chunk);
    assert.equal(fake.requests.length, 2);
    for (const { body } of fake.requests) {
      assert.equal(body.model, 'claude-opus-4-7');
      assert.deepEqual([body.temperature, body.top_p, body.top_k], [undefined, undefined, undefined]);
    }
  });

  it('under refuse it is a 400 naming the setting, and nothing reaches the upstream', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'temperature'],
      [{ temperature: 1 }, 'top_p'],
      [{ temperature: 1, top_p: 1 }, 'top_k'],
    ];
    for (const [extra, param] of cases) {
      const err = await create('opus-strict', extra).then(() => assert.fail('expected a 400'), (e: unknown) => e);
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assertErrorResponse({ error: err.error });
      assert.equal(err.param, param);
      assert.equal(err.type, 'invalid_request_error');
      assert.match((err.error as { message: string }).message, new RegExp(`^Unsupported (value|parameter): '${param}'`));
    }
    assert.equal(fake.requests.length, 0);
    // The defaults it takes go through.
    assertChatCompletion(await create('opus-strict', { temperature: 1, top_p: 1, top_k: undefined }));
  });

  it('an older Claude gets them as sent', async () => {
    assertChatCompletion(await create('opus-4'));
    assert.deepEqual([fake.requests[0].body.temperature, fake.requests[0].body.top_p, fake.requests[0].body.top_k], [0.2, 0.5, 40]);
  });

  it('Claude 4.1 to 4.6 take temperature or top_p, not both: top_p is left out, or refused under refuse', async () => {
    assertChatCompletion(await create('opus-4-6-clamp'));
    assert.deepEqual([fake.requests[0].body.temperature, fake.requests[0].body.top_p, fake.requests[0].body.top_k], [0.2, undefined, 40]);
    await assert.rejects(create('opus-4-6'), (err: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(err.status, 400);
      assertErrorResponse({ error: err.error });
      assert.equal((err.error as { param: string }).param, 'top_p');
      return true;
    });
    assert.equal(fake.requests.length, 1);
    // Either one alone goes as sent.
    assertChatCompletion(await create('opus-4-6', { top_p: undefined }));
    assert.deepEqual([fake.requests[1].body.temperature, fake.requests[1].body.top_p], [0.2, undefined]);
  });
});
