// POST /v1/chat/completions, non-streamed: the chat.completion body, through the official SDK.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakePromptTokens, fakeReply } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion } from '../support/openai-schemas.ts';
import { IMAGE_URL, chatRequests, startStack, type Stack } from './e2e-setup.ts';

describe('non-streamed chat completions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers a text+image request with a schema-valid chat.completion', async () => {
    const { client } = stack.iris;
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'What is this?' },
          { type: 'image_url' as const, image_url: { url: IMAGE_URL, detail: 'low' as const } },
        ],
      },
    ];
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    assertChatCompletion(completion);
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'gpt-4o-mini');
    assert.ok(Number.isInteger(completion.created) && completion.created > 1_600_000_000);
    assert.match(completion.system_fingerprint ?? '', /^fp_/);
    assert.equal(completion.choices.length, 1);
    const expected = fakeReply({ model: 'gpt-4o-mini', messages });
    assert.equal(completion.choices[0].message.content, expected.content);
    assert.equal(completion.choices[0].message.content, 'I see 1 image. You said: What is this?');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.equal(completion.choices[0].message.role, 'assistant');
  });

  it('reports usage with prompt and completion token details', async () => {
    const messages = [{ role: 'user' as const, content: 'count these words please' }];
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const usage = completion.usage;
    assert.ok(usage);
    const prompt = fakePromptTokens({ model: 'gpt-4o-mini', messages });
    const reply = fakeReply({ model: 'gpt-4o-mini', messages });
    assert.equal(usage.prompt_tokens, prompt);
    assert.equal(usage.completion_tokens, reply.completionTokens);
    assert.equal(usage.total_tokens, prompt + reply.completionTokens);
    assert.equal(usage.prompt_tokens_details?.cached_tokens, 0);
    assert.equal(usage.completion_tokens_details?.reasoning_tokens, 0);
  });

  it('breaks the prompt into text, image and cached tokens, and keeps the upstream details', async () => {
    const messages = [{ role: 'user' as const, content: 'text only here' }];
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const prompt = fakePromptTokens({ model: 'gpt-4o-mini', messages });
    assert.deepEqual(completion.usage?.prompt_tokens_details, { cached_tokens: 0, audio_tokens: 0, text_tokens: prompt, image_tokens: 0 });
    assert.deepEqual(completion.usage?.completion_tokens_details, { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 });
  });

  it('fills the usage breakdown and a stable fingerprint when the upstream sends neither', async () => {
    const answer = (fingerprint: Record<string, unknown>, usage: Record<string, unknown>) => ({
      kind: 'json' as const,
      body: {
        id: 'chatcmpl-bare', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', ...fingerprint,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
        usage,
      },
    });
    stack.upstream.script([
      answer({}, { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 }),
      answer({ system_fingerprint: null }, { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14, completion_tokens_details: { reasoning_tokens: 5 } }),
    ]);
    const first = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const second = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assertChatCompletion(first);
    assertChatCompletion(second);
    assert.match(first.system_fingerprint ?? '', /^fp_iris_[0-9a-f]+$/);
    assert.equal(second.system_fingerprint, first.system_fingerprint);
    assert.deepEqual(first.usage, {
      prompt_tokens: 12,
      completion_tokens: 2,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 0, text_tokens: 12, image_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    assert.deepEqual(second.usage?.completion_tokens_details, { reasoning_tokens: 5 });
  });

  it('answers with the model name the client used while the upstream gets its own id', async () => {
    stack.upstream.reset();
    const completion = await stack.iris.client.chat.completions.create({ model: 'vision', messages: [{ role: 'user', content: 'hi' }] });
    assertChatCompletion(completion);
    assert.equal(completion.model, 'vision');
    const [sent] = chatRequests(stack.upstream);
    assert.equal((sent.body as { model: string }).model, 'gpt-4o');
  });

  it('sends the upstream its api key and a request id, not the client key', async () => {
    stack.upstream.reset();
    const { response } = await stack.iris.client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const [sent] = chatRequests(stack.upstream);
    assert.equal(sent.headers.authorization, 'Bearer sk-upstream-secret');
    assert.equal(sent.headers['x-request-id'], response.headers.get('x-request-id'));
    assert.match(response.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{24}$/);
  });

  it('returns n choices when n > 1', async () => {
    const messages = [{ role: 'user' as const, content: 'three please' }];
    const completion = await stack.iris.client.chat.completions.create({ model: 'gpt-4o-mini', messages, n: 3 });
    assertChatCompletion(completion);
    assert.deepEqual(
      completion.choices.map((c) => [c.index, c.message.content]),
      [0, 1, 2].map((i) => [i, fakeReply({ model: 'gpt-4o-mini', messages }, i).content]),
    );
  });

  it('returns tool calls when the tools and tool_choice force them', async () => {
    const completion = await stack.iris.client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'count' }],
      tools: [
        { type: 'function', function: { name: 'count_images', parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
      ],
      tool_choice: 'required',
    });
    assertChatCompletion(completion);
    const choice = completion.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'count_images');
    assert.deepEqual(JSON.parse(call.function.arguments), { n: 0 });
  });

  it('passes the sampling parameters and unknown fields through to the upstream', async () => {
    stack.upstream.reset();
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop: ['zzz'],
      seed: 7,
      max_completion_tokens: 50,
      response_format: { type: 'json_object' },
      user: 'u-1',
      logit_bias: { '50256': -100 },
      repetition_penalty: 1.1,
      chat_template_kwargs: { enable_thinking: false },
    };
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    assertChatCompletion(await res.json());
    const sent = chatRequests(stack.upstream)[0].body as Record<string, unknown>;
    for (const [key, value] of Object.entries(body)) assert.deepEqual(sent[key], value, key);
    assert.equal(sent.stream, false);
  });

  it('cuts at max_tokens with finish_reason length', async () => {
    const completion = await stack.iris.client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'a long answer' }],
      max_tokens: 2,
    });
    assertChatCompletion(completion);
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.choices[0].message.content, 'I see');
    assert.equal(completion.usage?.completion_tokens, 2);
  });
});
